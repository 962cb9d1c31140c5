import { memo } from 'preact/compat';
import type { MapCore, MapWorkload } from '../../contract/map.js';
import { appLook, cpu, percent } from '../format.js';
import { href } from '../router.js';

/** A workload in trouble reads so in the map too: a red outline and a ✕, whatever the colour. */
const BAD_STATES = new Set(['exited', 'unhealthy']);

/** A piece's classes: its app's pattern, ✕ when in trouble, dashed when a job holds it. */
function pieceClass(holder: { id: string; workload: MapWorkload | undefined }, base: string): string {
  const w = holder.workload;
  return `${base} pattern-${appLook(w?.app ?? holder.id).pattern}${BAD_STATES.has(w?.state ?? '') ? ' bad' : ''}${w?.kind === 'job' ? ' job' : ''}`;
}

function pieceStyle(app: string, width: number): string {
  const look = appLook(app);
  return `width:${width}%;--hue:${look.hue}`;
}

/**
 * One core: free (dashed), reserved for the host (hatched, "host"), exclusive (the whole cell in its
 * workload's app colour and pattern, with the app's first letters), or a fragment core (a bar split
 * into the pieces each workload holds, free pieces left empty). Its measured use shades it from the
 * bottom; an exclusive core that sits idle is dotted, a saturated fragment core marked hot.
 */
export const CoreCell = memo(function CoreCell({ core, sharebase, workloads }: { core: MapCore; sharebase: number; workloads: ReadonlyMap<string, MapWorkload> }) {
  const holders = core.holders.map(([id, pieces]) => ({ id, pieces, workload: workloads.get(id) }));
  const exclusive = holders.length === 1 && holders[0]!.pieces === sharebase;
  const use = core.use;
  const idle = exclusive && use !== undefined && use < 0.05;
  const hot = !exclusive && holders.length > 0 && use !== undefined && use > 0.9;
  const kind = core.state === 'reserved' ? 'reserved' : holders.length === 0 ? 'free' : exclusive ? 'exclusive' : 'fragment';
  const title = [
    `core ${core.core}: ${kind}${kind === 'fragment' ? `, ${core.free}/${sharebase} pieces free` : ''}`,
    ...holders.map((h) => `${h.id} (${h.workload ? `${h.workload.kind === 'job' ? 'job, ' : ''}${h.workload.app}/${h.workload.entry}, ` : ''}${cpu(h.pieces / sharebase)} CPU${h.workload ? `, ${h.workload.state}` : ''})`),
    `use ${percent(use)}`,
  ].join('\n');
  return (
    <div
      class={`core ${kind}${idle ? ' idle' : ''}${hot ? ' hot' : ''}`}
      data-core={core.core}
      data-kind={kind}
      data-holders={core.holders.map(([id, pieces]) => `${id}:${pieces}`).join(',')}
      data-use={use ?? ''}
      title={title}
    >
      <span class="core-id">{core.core}</span>
      {kind === 'reserved' && <span class="core-label">host</span>}
      {kind === 'exclusive' && (
        <a
          class={pieceClass(holders[0]!, 'piece whole')}
          href={href('workloads', holders[0]!.id)}
          style={pieceStyle(holders[0]!.workload?.app ?? holders[0]!.id, 100)}
          data-workload={holders[0]!.id}
          data-kind={holders[0]!.workload?.kind ?? 'service'}
          data-state={holders[0]!.workload?.state ?? 'unknown'}
        >
          <span class="core-label">{appLook(holders[0]!.workload?.app ?? holders[0]!.id).label}</span>
        </a>
      )}
      {kind === 'fragment' && (
        <div class="pieces">
          {holders.map((h) => (
            <a
              key={h.id}
              class={pieceClass(h, 'piece')}
              href={href('workloads', h.id)}
              style={pieceStyle(h.workload?.app ?? h.id, (h.pieces / sharebase) * 100)}
              data-workload={h.id}
              data-kind={h.workload?.kind ?? 'service'}
              data-state={h.workload?.state ?? 'unknown'}
            />
          ))}
        </div>
      )}
      {use !== undefined && <span class="use" style={`height:${Math.round(use * 100)}%`} />}
    </div>
  );
});
