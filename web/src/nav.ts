// Client-side navigation: history.pushState plus an event the App listens
// to. No router library: two kinds of page.

import { useEffect, useState } from 'react';
import { captureKey } from './pagekey';

const EVENT = 'bedrud:navigate';

export function navigate(path: string, state: unknown = null): void {
  history.pushState(state, '', path);
  captureKey();
  window.dispatchEvent(new Event(EVENT));
}

/** The current path, re-rendered on navigation and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => { captureKey(); setPath(location.pathname); };
    // a link that changes only the fragment (a new key for this page)
    // fires hashchange, and popstate too in most browsers
    window.addEventListener(EVENT, on);
    window.addEventListener('popstate', on);
    window.addEventListener('hashchange', on);
    return () => {
      window.removeEventListener(EVENT, on);
      window.removeEventListener('popstate', on);
      window.removeEventListener('hashchange', on);
    };
  }, []);
  return path;
}
