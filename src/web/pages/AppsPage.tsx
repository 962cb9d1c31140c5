import { age } from '../format.js';
import { useLoad, type PageProps } from '../page.js';
import { href } from '../router.js';

export function AppsPage({ client, live }: PageProps) {
  const apps = useLoad(() => client.apps.list(), [client], { live, stale: (e) => e.type === 'app.registered' });
  if (apps.error) return <p class="error">{apps.error}</p>;
  if (!apps.data) return <p class="muted">Loading apps…</p>;
  return (
    <section>
      <h1>Apps</h1>
      {apps.data.length === 0 && <p class="muted">No app registered yet: eru app register --dir CHECKOUT</p>}
      <table class="list">
        <thead>
          <tr>
            <th>App</th>
            <th>Versions</th>
            <th>Repository</th>
            <th>Registered</th>
          </tr>
        </thead>
        <tbody>
          {apps.data.map((app) => (
            <tr key={app.name}>
              <td>
                <a href={href('apps', app.name)}>{app.name}</a>
              </td>
              <td>{app.versions}</td>
              <td>{app.repo}</td>
              <td>{age(app.createdAt)} ago</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
