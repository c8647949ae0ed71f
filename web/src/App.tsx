// The pages (wouter): "/" the rooms dashboard (signed out: sign in or
// create an account), "/signin" (then back to ?next=), "/account",
// "/admin/..." the superadmin's console (its own chunk) and "/r/<room>"
// the meeting (its own chunk, with LiveKit). Pages that need an account
// send a signed-out person (or one whose session the server ended) to
// sign in, and sign-in brings them back where they were.

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { Account } from './Account';
import { ApiError, isSuperadmin } from './api';
import { Dashboard } from './Dashboard';
import { Header } from './Header';
import { SignInPage } from './Home';
import { roomOfPath } from './keys';
import { SessionProvider, useSession } from './session';
import { signInPath } from './session-util';
import { Loading } from './ui';

const MeetingPage = lazy(() => import('./meeting/MeetingPage'));
const Admin = lazy(() => import('./admin/Admin'));

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // a refusal (4xx) will not change by asking again
      retry: (n, e) => n < 2 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
      staleTime: 2000,
    },
  },
});

/** The pages of a signed-in person: sign in first, then come back. */
function RequireUser({ children }: { children: ReactNode }) {
  const { user, loading } = useSession();
  useLocation();               // re-rendered on navigation
  if (loading) return <Loading what="Loading…" />;
  // the whole path (inside /admin, wouter's are relative to it)
  const here = window.location.pathname + window.location.search;
  if (!user) return <Redirect to={`~${signInPath(here)}`} replace />;
  return <>{children}</>;
}

/** The console: superadmins only (the server refuses the others anyway). */
function RequireSuperadmin({ children }: { children: ReactNode }) {
  const { user } = useSession();
  if (isSuperadmin(user)) return <>{children}</>;
  return (
    <section className="card" data-testid="admin-refused">
      <h1>Not for this account</h1>
      <p>The administration console is for superadmins. Your account is not one.</p>
      <p><a href="/">Go to your rooms</a></p>
    </section>
  );
}

function Page({ children, wide }: { children: ReactNode; wide?: boolean }) {
  return (
    <>
      <Header />
      <main className={wide ? 'page wide' : 'page'}>{children}</main>
    </>
  );
}

function Home() {
  const { user, loading } = useSession();
  if (loading) return <Loading what="Loading…" />;
  return user ? <Dashboard /> : <SignInPage />;
}

function NotFound() {
  return (
    <section className="card" data-testid="not-found">
      <h1>Page not found</h1>
      <p>There is nothing at this address. <a href="/">Go to your rooms</a>.</p>
    </section>
  );
}

/** Query results belong to one person: forgotten when the user changes. */
function ForgetOnSignOut() {
  const { user } = useSession();
  const id = user?.id ?? null;
  useEffect(() => { if (!id) queries.clear(); }, [id]);
  return null;
}

function Pages() {
  const [path] = useLocation();
  const room = roomOfPath(path);
  if (room) {
    return (
      <Suspense fallback={<Loading what="Loading the meeting…" />}>
        <MeetingPage key={room} room={room} />
      </Suspense>
    );
  }
  return (
    <Page wide={path.startsWith('/admin')}>
      <Switch>
        <Route path="/"><Home /></Route>
        <Route path="/signin"><SignInPage /></Route>
        <Route path="/account"><RequireUser><Account /></RequireUser></Route>
        <Route path="/admin" nest>
          <RequireUser>
            <RequireSuperadmin>
              <Suspense fallback={<Loading what="Loading the console…" />}><Admin /></Suspense>
            </RequireSuperadmin>
          </RequireUser>
        </Route>
        <Route><NotFound /></Route>
      </Switch>
    </Page>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queries}>
      <SessionProvider>
        <ForgetOnSignOut />
        <Pages />
      </SessionProvider>
    </QueryClientProvider>
  );
}
