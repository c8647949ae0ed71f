// The typed API layer: Bedrud's JSON API as served by the module
// (openapi.yaml). Every call returns data or throws ApiError with the
// server's {"error": "..."} text.

export interface User {
  id: string;
  email: string;
  name: string;
  accesses?: string[];
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export interface RoomSettings {
  allowChat: boolean;
  allowVideo: boolean;
  allowAudio: boolean;
  requireApproval: boolean;
  e2ee: boolean;
}

export interface Room {
  id: string;
  name: string;
  isPublic?: boolean;
  maxParticipants?: number;
  settings: RoomSettings;
}

/** What a join answers: the room, a LiveKit token and where LiveKit is. */
export interface Join {
  id: string;
  name: string;
  token: string;
  livekitHost: string;
  settings: RoomSettings;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// The access token lives in this tab only; the refresh token is an
// HttpOnly cookie the server set, so a reload refreshes without it.
const STORE = 'bedrud.access';
let access: string | null = sessionStorage.getItem(STORE);

function remember(tokens: Tokens | null): void {
  access = tokens ? tokens.accessToken : null;
  if (access) sessionStorage.setItem(STORE, access);
  else sessionStorage.removeItem(STORE);
}

async function call<T>(method: string, path: string, body?: unknown,
                       retry = true): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (access) headers.Authorization = `Bearer ${access}`;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (res.status === 401 && retry && access && path !== '/api/auth/refresh') {
    if (await refresh()) return call<T>(method, path, body, false);
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg = typeof data?.error === 'string' ? data.error : res.statusText;
    throw new ApiError(res.status, msg);
  }
  return data as T;
}

async function refresh(): Promise<boolean> {
  try {
    // Bedrud's refresh answer is flat and snake_case, unlike login's
    const r = await call<{ access_token: string; refresh_token: string }>(
      'POST', '/api/auth/refresh', undefined, false);
    remember({ accessToken: r.access_token, refreshToken: r.refresh_token });
    return true;
  } catch {
    remember(null);
    return false;
  }
}

export const signedIn = (): boolean => access !== null;

export async function register(email: string, password: string,
                               name: string): Promise<User> {
  const r = await call<{ user: User; tokens: Tokens }>(
    'POST', '/api/auth/register', { email, password, name });
  remember(r.tokens);
  return r.user;
}

export async function login(email: string, password: string): Promise<User> {
  const r = await call<{ user: User; tokens: Tokens }>(
    'POST', '/api/auth/login', { email, password });
  remember(r.tokens);
  return r.user;
}

export async function logout(): Promise<void> {
  try {
    await call('POST', '/api/auth/logout', {});
  } finally {
    remember(null);
  }
}

export const me = (): Promise<User> => call<User>('GET', '/api/auth/me');

/** isPublic: guests (no account) may join with the room's name. */
export const createRoom = (name: string, e2ee: boolean,
                           isPublic: boolean): Promise<Room> =>
  call<Room>('POST', '/api/room/create', {
    name,
    isPublic,
    settings: { allowChat: true, allowVideo: true, allowAudio: true,
                requireApproval: false, e2ee },
  });

export const joinRoom = (roomName: string): Promise<Join> =>
  call<Join>('POST', '/api/room/join', { roomName });

/** A public room, without an account: LiveKit identity "guest-...". */
export const guestJoin = (roomName: string, guestName: string): Promise<Join> =>
  call<Join>('POST', '/api/room/guest-join', { roomName, guestName });
