import { useEffect, useState } from 'preact/hooks';

/** Where the page is: `#/pods/p1?node=a` → path ['pods', 'p1'], query {node: 'a'}. */
export interface Route {
  path: string[];
  query: Record<string, string>;
}

export function currentRoute(): Route {
  const [path = '', search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: Object.fromEntries(new URLSearchParams(search)),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = (): void => setRoute(currentRoute());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** A link target: href('pods', 'p1') → '#/pods/p1'; with a query, its non-empty values. */
export function href(...parts: Array<string | Record<string, string | undefined>>): string {
  const query = parts.find((p): p is Record<string, string | undefined> => typeof p === 'object');
  const path = parts.filter((p): p is string => typeof p === 'string').map(encodeURIComponent).join('/');
  const search = query ? new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1]))).toString() : '';
  return `#/${path}${search ? `?${search}` : ''}`;
}
