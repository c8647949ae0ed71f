// Pages: "/" (sign in, create or open a meeting) and "/r/<room>" (the
// meeting, its own chunk). Rooms dashboard, account and admin pages fit
// here as more paths.

import { lazy, Suspense } from 'react';
import { roomOfPath } from './keys';
import { usePath } from './nav';
import { SessionProvider } from './session';
import { Home } from './Home';
import { Header } from './Header';

const MeetingPage = lazy(() => import('./meeting/MeetingPage'));

export function App() {
  const path = usePath();
  const room = roomOfPath(path);
  return (
    <SessionProvider>
      {room
        ? (
          <Suspense fallback={<p className="loading" role="status">Loading the meeting…</p>}>
            <MeetingPage key={room} room={room} />
          </Suspense>
        )
        : <><Header /><main className="page"><Home /></main></>}
    </SessionProvider>
  );
}
