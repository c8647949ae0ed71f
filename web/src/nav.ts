// Client-side navigation. The pages are matched by wouter (App.tsx), which
// follows history.pushState and popstate; navigate() is for paths that
// may carry a room key ("/r/<room>#key=..."): the key is taken out of the
// address bar at once (pagekey.ts), before any page renders. Back and
// forward do the same, from this listener registered before React's.

import { captureKey } from './pagekey';

window.addEventListener('popstate', () => captureKey());
// a link that changes only the fragment (a new key for the page shown,
// after a rotation) fires hashchange, and popstate in most browsers too
window.addEventListener('hashchange', () => captureKey());

export function navigate(path: string, state: unknown = null): void {
  history.pushState(state, '', path);
  // wouter hears pushState through its patch of history (installed when
  // it is imported, before any navigation)
  captureKey();
}
