// Who is signed in, for every page: the user from GET /api/auth/me when
// this tab holds an access token (api.ts refreshes it from the cookie).

import { createContext, useCallback, useContext, useEffect, useState,
         type ReactNode } from 'react';
import * as api from './api';

export interface Session {
  user: api.User | null;
  loading: boolean;
  /** re-read after sign-in or sign-out */
  reload(): Promise<void>;
  signOut(): Promise<void>;
}

const Ctx = createContext<Session>({
  user: null, loading: true, reload: async () => {}, signOut: async () => {},
});

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<api.User | null>(null);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    if (!api.signedIn()) {
      setUser(null);
      setLoading(false);
      return;
    }
    try {
      setUser(await api.me());
    } catch {
      setUser(null);
    } finally {
      setLoading(false);
    }
  }, []);
  const signOut = useCallback(async () => {
    await api.logout().catch(() => {});
    setUser(null);
  }, []);
  useEffect(() => { void reload(); }, [reload]);
  return <Ctx.Provider value={{ user, loading, reload, signOut }}>{children}</Ctx.Provider>;
}

export const useSession = (): Session => useContext(Ctx);
