import { memo } from 'preact/compat';
import type { MapNode, MapWorkload } from '../../contract/map.js';
import { age, bytes, cpu } from '../format.js';
import { CoreCell } from './CoreCell.js';

/** The cores grouped by NUMA node when the node declares them (a border around each group). */
function groups(node: MapNode): Array<{ numa: string | null; cores: MapNode['cores'] }> {
  if (!node.numa) return [{ numa: null, cores: node.cores }];
  const byCore = new Map(node.cores.map((c) => [c.core, c]));
  const placed = new Set<string>();
  const result = Object.entries(node.numa).map(([numa, ids]) => ({
    numa,
    cores: ids.map((id) => byCore.get(id)).filter((c): c is MapNode['cores'][number] => c !== undefined && !placed.has(c.core) && Boolean(placed.add(c.core))),
  }));
  const rest = node.cores.filter((c) => !placed.has(c.core));
  return rest.length > 0 ? [...result, { numa: null, cores: rest }] : result;
}

/** One node: its liveness and heartbeat, memory as a bar, and its cores. */
export const NodeCard = memo(function NodeCard({ node, sharebase, workloads, now }: { node: MapNode; sharebase: number; workloads: ReadonlyMap<string, MapWorkload>; now: number }) {
  const usedMemory = node.memory.total - node.memory.free;
  const freeCpu = node.cores.filter((c) => c.state !== 'reserved').reduce((sum, c) => sum + c.free, 0) / sharebase - node.unboundCpu;
  return (
    <section class={`node node-${node.liveness}`} data-node={node.name} data-liveness={node.liveness}>
      <header>
        <strong class="node-name">{node.name}</strong>
        <span class={`badge ${node.liveness}`} title={node.reason ?? ''}>
          {node.liveness === 'up' ? '▲ up' : node.liveness === 'down' ? '▼ down' : '? no agent'}
        </span>
        {node.bypass && <span class="badge bypass">bypass</span>}
        {node.draining && (
          <span class="badge draining" title={`draining since ${node.draining.since}, deadline ${node.draining.deadline}`}>
            draining
          </span>
        )}
        {node.gone && <span class="badge down">gone</span>}
        {node.liveness === 'up' && node.reason && (
          <span class="badge down" title={node.reason}>
            no Docker
          </span>
        )}
        <span class="muted" title={node.heartbeat ?? ''}>
          {node.heartbeat ? `heartbeat ${age(node.heartbeat, now)} ago` : node.reason ?? 'no heartbeat'}
        </span>
        <span class="muted">{cpu(freeCpu)} CPU free</span>
        {node.instances !== undefined && <span class="muted" data-instances={node.instances}>{node.instances} instances</span>}
        {Object.entries(node.labels).map(([k, v]) => (
          <span class="tag" key={k}>
            {k}={v}
          </span>
        ))}
      </header>
      <div class="memory" title={`memory: ${bytes(usedMemory)} reserved of ${bytes(node.memory.total)}`}>
        <span class="memory-used" style={`width:${node.memory.total > 0 ? (usedMemory / node.memory.total) * 100 : 0}%`} />
        <span class="memory-text">
          mem {bytes(usedMemory)} / {bytes(node.memory.total)}
        </span>
      </div>
      <div class={node.cores.length <= 16 ? 'cores wide' : 'cores'}>
        {groups(node).map((group) => (
          <div class={group.numa === null ? 'numa none' : 'numa'} data-numa={group.numa ?? ''} key={group.numa ?? '-'}>
            {group.numa !== null && <span class="numa-label">NUMA {group.numa}</span>}
            {group.cores.map((core) => (
              <CoreCell core={core} sharebase={sharebase} workloads={workloads} key={core.core} />
            ))}
          </div>
        ))}
      </div>
    </section>
  );
});
