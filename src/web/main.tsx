import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Live, type LiveState } from './live.js';
import { AppPage } from './pages/AppPage.js';
import { AppsPage } from './pages/AppsPage.js';
import { EventsPage } from './pages/EventsPage.js';
import { PodPage } from './pages/PodPage.js';
import { PodsPage } from './pages/PodsPage.js';
import { SignIn } from './pages/SignIn.js';
import { WorkloadPage } from './pages/WorkloadPage.js';
import { WorkloadsPage } from './pages/WorkloadsPage.js';
import { href, useRoute } from './router.js';
import { clientFor, forgetToken, savedToken } from './session.js';

function Shell({ token, signOut }: { token: string; signOut: () => void }) {
  const client = useMemo(() => clientFor(token), [token]);
  const live = useMemo(() => new Live(client), [client]);
  const [state, setState] = useState<LiveState>(live.state);
  useEffect(() => {
    const off = live.onState(setState);
    live.start();
    return () => {
      off();
      live.stop();
    };
  }, [live]);
  const route = useRoute();
  const [section = 'pods', id] = route.path;
  const props = { client, live };
  let page;
  if (section === 'pods' && id) page = <PodPage {...props} pod={id} />;
  else if (section === 'workloads' && id) page = <WorkloadPage {...props} id={id} />;
  else if (section === 'workloads') page = <WorkloadsPage {...props} query={route.query} />;
  else if (section === 'apps' && id) page = <AppPage {...props} app={id} />;
  else if (section === 'apps') page = <AppsPage {...props} />;
  else if (section === 'events') page = <EventsPage {...props} query={route.query} />;
  else page = <PodsPage {...props} />;
  return (
    <>
      <header class="top">
        <a class="brand" href={href('pods')}>Eru</a>
        <nav>
          {(['pods', 'workloads', 'apps', 'events'] as const).map((name) => (
            <a href={href(name)} class={section === name ? 'active' : ''} key={name}>
              {name[0]!.toUpperCase() + name.slice(1)}
            </a>
          ))}
        </nav>
        <span class={`live live-${state}`} data-live={state} title="the bus stream (GET /v1/events)">
          {state === 'live' ? '● live' : state === 'connecting' ? '○ connecting' : '✕ stream lost, retrying'}
        </span>
        <button class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </>
  );
}

function Root() {
  const [token, setToken] = useState(savedToken());
  if (!token) return <SignIn onSignedIn={setToken} />;
  return (
    <Shell
      token={token}
      signOut={() => {
        forgetToken();
        setToken(null);
      }}
    />
  );
}

render(<Root />, document.getElementById('app')!);
