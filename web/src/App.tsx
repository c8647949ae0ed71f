// The pages (wouter): "/" the rooms dashboard (signed out: sign in or
// create an account), "/signin" (then back to ?next=), "/account",
// "/admin/..." the superadmin's console and "/r/<room>" the meeting (with
// LiveKit). The dashboard, account, console and meeting are chunks of
// their own, loaded when opened: the first page stays small. Pages that need an account
// send a signed-out person (or one whose session the server ended) to
// sign in, and sign-in brings them back where they were.

import { lazy, Suspense, type ReactNode } from 'react';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { isSuperadmin } from './api';
import { describeError } from './errors';
import { Header } from './Header';
import { SignInPage } from './Home';
import { roomOfPath } from './keys';
import { SessionProvider, useSession } from './session';
import { signInPath } from './session-util';
import { Loading } from './loading';

const MeetingPage = lazy(() => import('./meeting/MeetingPage'));
const Dashboard = lazy(() => import('./Dashboard'));
const Account = lazy(() => import('./Account'));
const Admin = lazy(() => import('./admin/Admin'));

function Chunk({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading what="Loading…" />}>{children}</Suspense>;
}

/** The server could not say who is signed in: said, with a retry. */
function SessionTrouble() {
  const { error, reload } = useSession();
  return (
    <section className="card notice error" data-testid="session-error">
      <h2>Your account cannot be loaded</h2>
      <p role="alert">{describeError(error)}</p>
      <button type="button" className="primary" data-testid="session-retry"
              onClick={() => { void reload(); }}>Try again</button>
    </section>
  );
}

/** The pages of a signed-in person: sign in first, then come back. */
function RequireUser({ children }: { children: ReactNode }) {
  const { user, loading, error } = useSession();
  useLocation();               // re-rendered on navigation
  if (loading) return <Loading what="Loading…" />;
  if (error) return <SessionTrouble />;
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
  const { user, loading, error } = useSession();
  if (loading) return <Loading what="Loading…" />;
  if (error) return <SessionTrouble />;
  return user ? <Chunk><Dashboard /></Chunk> : <SignInPage />;
}

function NotFound() {
  return (
    <section className="card" data-testid="not-found">
      <h1>Page not found</h1>
      <p>There is nothing at this address. <a href="/">Go to your rooms</a>.</p>
    </section>
  );
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
        <Route path="/account"><RequireUser><Chunk><Account /></Chunk></RequireUser></Route>
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
    <SessionProvider>
      <Pages />
    </SessionProvider>
  );
}
