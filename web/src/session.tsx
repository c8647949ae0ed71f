// Who is signed in, for every page. At load a tab without an access token
// is signed in from the refresh cookie when the browser may hold a
// session (api.restore: a returning person types no password); then the
// user comes from GET /api/auth/me. When the server ends the session (a
// refresh refused: expired, signed out everywhere, password changed
// elsewhere) `ended` says so and the protected pages send the person to
// sign in, then back (App.tsx).

import { createContext, useCallback, useContext, useEffect, useState,
         type ReactNode } from 'react';
import * as api from './api';
import { tokenAccesses } from './session-util';

export interface Session {
  user: api.User | null;
  loading: boolean;
  /** the server ended the session (not the person) */
  ended: boolean;
  /**
   * the server could not say who is signed in (database, network): not
   * the same as signed out; reload() tries again
   */
  error: unknown;
  /** re-read after sign-in, a rename or a role change */
  reload(): Promise<void>;
  /** everywhere: every session of the user, on every device (may throw) */
  signOut(everywhere?: boolean): Promise<void>;
}

const Ctx = createContext<Session>({
  user: null, loading: true, ended: false, error: null,
  reload: async () => {}, signOut: async () => {},
});

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<api.User | null>(null);
  const [loading, setLoading] = useState(true);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // (an error stays shown until the server answered: no flash of the
  // sign-in form while retrying)
  const reload = useCallback(async () => {
    try {
      await api.restore();
      if (!api.signedIn()) {
        setUser(null);
        setError(null);
        return;
      }
      const u = await api.me();
      // a role given or taken since this token was made: the server
      // checks the token's, so a fresh one brings it
      const roles = tokenAccesses(api.accessToken());
      if (u && roles && api.isSuperadmin(u) !== roles.includes('superadmin')) {
        await api.refresh().catch(() => false);
      }
      setUser(api.signedIn() ? u : null);
      setError(null);
      if (u) setEnded(false);
    } catch (e) {
      setUser(null);
      // a refused session is a signed-out one; anything else is said
      setError(e instanceof api.ApiError && e.status === 401 ? null : e);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => { void reload(); }, [reload]);

  useEffect(() => api.onSessionEnd(() => {
    setUser(null);
    setEnded(true);
  }), []);

  const signOut = useCallback(async (everywhere = false) => {
    // everywhere: an error is thrown to the page, still signed in here
    if (everywhere) await api.logout(true);
    else await api.logout(false).catch(() => {});
    setUser(null);
    setEnded(false);
  }, []);

  return (
    <Ctx.Provider value={{ user, loading, ended, error, reload, signOut }}>
      {children}
    </Ctx.Provider>
  );
}

export const useSession = (): Session => useContext(Ctx);
