// Server state of the signed-in pages (react-query): one cache for the
// dashboard and the console, in their lazy chunks only, so that the home
// and meeting pages do not carry it. The cache belongs to one person: it
// is emptied when the signed-in user changes.

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from './api';
import { useSession } from './session';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // a refusal (4xx) will not change by asking again
      retry: (n, e) => n < 2 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
      staleTime: 2000,
    },
  },
});

let owner: string | null = null;

export function QueryRoot({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const id = user?.id ?? null;
  // before any query of the new person runs (they run in effects)
  if (id !== owner) {
    queries.clear();
    owner = id;
  }
  return <QueryClientProvider client={queries}>{children}</QueryClientProvider>;
}
