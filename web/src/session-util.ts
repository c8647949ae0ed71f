// Pure helpers of the session (unit-tested: test/unit/session.test.ts):
// one refresh in flight at a time, where a sign-in may send the person
// back to, and the roles an access token carries.

/**
 * Wraps `fn` so that calls made while one is running share its result:
 * one refresh in flight for the whole page, every caller waits for it.
 * The next call after it settled starts a new one.
 */
export function singleFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    if (!running) {
      running = fn().finally(() => { running = null; });
    }
    return running;
  };
}

/**
 * A path of this site to go back to after signing in, or "/": only a
 * local path ("/x", not "//host" or "/\host", no scheme), so that a link
 * cannot send a person elsewhere after they typed their password.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > 2048) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f]/.test(next)) return '/';
  if (next === '/signin' || next.startsWith('/signin?') || next.startsWith('/signin/')) return '/';
  return next;
}

/** The sign-in page that comes back to `current` (path, query) after. */
export function signInPath(current: string): string {
  const next = safeNext(current);
  return next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`;
}

/**
 * The roles in an access token's claims (read, not verified: the server
 * verifies; this only tells whether the token is older than a role
 * change), or null for something that is not a JWT.
 */
export function tokenAccesses(token: string | null): string[] | null {
  const part = token?.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const a = (JSON.parse(json) as { accesses?: unknown }).accesses;
    return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return null;
  }
}
