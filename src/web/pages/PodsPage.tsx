import type { PageProps } from '../page.js';
import { useLoad } from '../page.js';
import { href } from '../router.js';

export function PodsPage({ client, live }: PageProps) {
  const pods = useLoad(() => client.pods.list(), [client], { live, stale: (e) => e.type.startsWith('pod.') || e.type.startsWith('node.') });
  if (pods.error) return <p class="error">{pods.error}</p>;
  if (!pods.data) return <p class="muted">Loading pods…</p>;
  if (pods.data.length === 0) return <p class="muted">No pods yet: eru pod add NAME</p>;
  return (
    <section>
      <h1>Pods</h1>
      <table class="list">
        <thead>
          <tr>
            <th>Pod</th>
            <th>Nodes</th>
            <th>Granularity</th>
            <th>Description</th>
          </tr>
        </thead>
        <tbody>
          {pods.data.map((pod) => (
            <tr key={pod.name}>
              <td>
                <a href={href('pods', pod.name)} data-pod={pod.name}>
                  {pod.name}
                </a>
              </td>
              <td>{pod.nodeCount}</td>
              <td>1/{pod.sharebase} CPU</td>
              <td>{pod.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
