// The typed API layer: Bedrud's JSON API as served by the module
// (openapi.yaml). Every call returns data or throws ApiError with the
// server's {"error": "..."} text (errors.ts says it in words).
//
// The session: the access token lives in this tab (sessionStorage); the
// refresh token is an HttpOnly cookie the server set. A 401 refreshes
// once and retries; refreshes are single-flight for the whole page (and,
// through a Web Lock, for every tab of the site): two refreshes with the
// same cookie look like a replay to the server, which then ends the
// session. A refresh the server refuses ends the session: onSessionEnd's
// listeners hear it. A new tab (or a returning person) is signed in from
// the cookie by restore().

import { ApiError } from './api-error';
import { singleFlight } from './session-util';

export interface User {
  id: string;
  email: string;
  name: string;
  provider?: string;
  accesses?: string[];
  isActive?: boolean;
  createdAt?: string;
}

export const isSuperadmin = (u: User | null): boolean =>
  !!u?.accesses?.includes('superadmin');

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
  createdBy?: string;
  adminId?: string;
  isActive?: boolean;
  isPublic?: boolean;
  /** 0 or less: no limit */
  maxParticipants?: number;
  createdAt?: string;
  updatedAt?: string;
  mode?: string;
  settings: RoomSettings;
}

/** A room of GET /api/room/list: with the participants connected now. */
export interface OwnRoom extends Room {
  activeNow: number;
}

/** What a join answers: the room, a LiveKit token and where LiveKit is. */
export interface Join {
  id: string;
  name: string;
  token: string;
  livekitHost: string;
  settings: RoomSettings;
  /** the owner's user id ("creator" in Bedrud's client) */
  adminId?: string;
  createdBy?: string;
  isPublic?: boolean;
  maxParticipants?: number;
}

export { ApiError };

const STORE = 'bedrud.access';
// "a session may exist": set at sign-in, cleared at sign-out, so that a
// signed-out visitor's page load spends no refresh (rate limited)
const HINT = 'bedrud.session';
const REFRESH = '/api/auth/refresh';

let access: string | null = sessionStorage.getItem(STORE);

function remember(token: string | null): void {
  access = token;
  if (token) {
    sessionStorage.setItem(STORE, token);
    localStorage.setItem(HINT, '1');
  } else {
    sessionStorage.removeItem(STORE);
  }
}

type EndListener = () => void;
const endListeners = new Set<EndListener>();

/** Called when the server ends the session (refresh refused). */
export function onSessionEnd(l: EndListener): () => void {
  endListeners.add(l);
  return () => { endListeners.delete(l); };
}

function ended(): void {
  forget();
  for (const l of endListeners) l();
}

async function send(method: string, path: string, body: unknown,
                    token: string | null): Promise<Response> {
  const headers: Record<string, string> = {};
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined
        : form ? body : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, (e as Error).message || 'network error');
  }
}

async function parse<T>(res: Response): Promise<T> {
  // a few routes answer plain text (Bedrud's moderation 404 "Not Found")
  const text = await res.text().catch(() => '');
  let data: unknown = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { error: text.trim().slice(0, 200) || res.statusText };
  }
  if (!res.ok) {
    const err = (data as { error?: unknown })?.error;
    const after = Number(res.headers.get('Retry-After'));
    throw new ApiError(res.status, typeof err === 'string' && err
      ? err : res.statusText || `HTTP ${res.status}`,
                       Number.isFinite(after) && after > 0 ? after : undefined);
  }
  return data as T;
}

// body: undefined (none), FormData (multipart, as the browser encodes
// it) or anything else (JSON)
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const used = access;
  let res = await send(method, path, body, used);
  if (res.status === 401 && used) {
    // another call may have refreshed meanwhile: then its token serves
    if (access === used && !(await refresh())) return parse<T>(res);
    if (!access) return parse<T>(res);
    res = await send(method, path, body, access);
  }
  return parse<T>(res);
}

// one refresh at a time in this page; across tabs, one after the other
// (each then sends the cookie the previous one got)
const locked = <T>(fn: () => Promise<T>): Promise<T> =>
  (navigator.locks ? navigator.locks.request('bedrud-refresh', fn) as Promise<T> : fn());

/**
 * A new access token from the refresh cookie: true, or false when the
 * server refused it (the session is over: onSessionEnd). A server that
 * cannot answer now (429, 503, network) throws: the session may be fine.
 */
export const refresh: () => Promise<boolean> = singleFlight(() => locked(async () => {
  const res = await send('POST', REFRESH, undefined, null);
  if (res.status === 401 || res.status === 400) {
    ended();
    return false;
  }
  // Bedrud's refresh answer is flat and snake_case, unlike login's
  const r = await parse<{ access_token: string; refresh_token: string }>(res);
  remember(r.access_token);
  return true;
}));

export const signedIn = (): boolean => access !== null;

/** The access token's text (to compare its roles with the user's). */
export const accessToken = (): string | null => access;

/**
 * At page load: a tab without an access token whose browser may hold a
 * session (signed in earlier, the cookie may still be valid) refreshes
 * from the cookie, without a password. Throws when the server cannot
 * answer now (the session may be fine: the page says so, not "signed
 * out").
 */
export async function restore(): Promise<void> {
  if (access || localStorage.getItem(HINT) !== '1') return;
  await refresh();
}

export async function register(email: string, password: string, name: string,
                               inviteToken?: string): Promise<User> {
  const r = await call<{ user: User; tokens: Tokens }>(
    'POST', '/api/auth/register',
    { email, password, name, ...(inviteToken ? { inviteToken } : {}) });
  remember(r.tokens.accessToken);
  return r.user;
}

export async function login(email: string, password: string): Promise<User> {
  const r = await call<{ user: User; tokens: Tokens }>(
    'POST', '/api/auth/login', { email, password });
  remember(r.tokens.accessToken);
  return r.user;
}

function forget(): void {
  remember(null);
  localStorage.removeItem(HINT);
}

/**
 * Signs out this browser, whatever the server answers. everywhere: every
 * session of the user, on every device (POST /api/auth/logout
 * {"all": true}); if the server did not do it, this throws and this
 * browser stays signed in (so that the person knows and can retry).
 */
export async function logout(everywhere = false): Promise<void> {
  if (everywhere) {
    await call('POST', '/api/auth/logout', { all: true });
    forget();
    return;
  }
  try {
    await call('POST', '/api/auth/logout', {});
  } finally {
    forget();
  }
}

export const me = (): Promise<User | null> => call<User | null>('GET', '/api/auth/me');

/** A new display name (meetings joined after it use it). */
export const rename = (name: string): Promise<User> =>
  call<User>('PUT', '/api/auth/me', { name });

/** Ends every other session of the user; this one stays. */
export const changePassword = (currentPassword: string,
                               newPassword: string): Promise<{ message: string }> =>
  call('PUT', '/api/auth/password', { currentPassword, newPassword });

/** The public registration switches. */
export interface AuthSettings {
  registrationEnabled: boolean;
  tokenRegistrationOnly: boolean;
}

export const authSettings = (): Promise<AuthSettings> =>
  call<AuthSettings>('GET', '/api/auth/settings');

// ----------------------------------------------------------------- rooms

export interface CreateRoom {
  /** empty: the server makes one up */
  name: string;
  /** guests (no account) may join with the room's name */
  isPublic: boolean;
  /** 0: no limit */
  maxParticipants: number;
  settings: RoomSettings;
}

export const createRoom = (r: CreateRoom): Promise<Room> =>
  call<Room>('POST', '/api/room/create', r);

/** The caller's rooms, newest first. */
export const listRooms = (): Promise<OwnRoom[]> => call<OwnRoom[]>('GET', '/api/room/list');

/** Owner or superadmin; `settings` replaces all five flags. */
export const updateRoom = (id: string,
                           r: Omit<CreateRoom, 'name'>): Promise<Room> =>
  call<Room>('PUT', `/api/room/${encodeURIComponent(id)}/settings`, r);

/** Deletes the room; LiveKit disconnects everyone in it. */
export const deleteRoom = (id: string): Promise<{ status: string }> =>
  call('DELETE', `/api/room/${encodeURIComponent(id)}`);

export const joinRoom = (roomName: string): Promise<Join> =>
  call<Join>('POST', '/api/room/join', { roomName });

/** A public room, without an account: LiveKit identity "guest-...". */
export const guestJoin = (roomName: string, guestName: string): Promise<Join> =>
  call<Join>('POST', '/api/room/guest-join', { roomName, guestName });

/** For api-admin.ts: the same call, its session and its errors. */
export const request = call;

// ------------------------------------------------------------ moderation
// In-room moderation (bedrud-api.md §6): all POST, no body, by room id and
// LiveKit identity. Owner level: kick, mute, ban, unban, promote, demote;
// moderator level (owner, promoted moderators, superadmins): camera off,
// stop screen share. Errors come back as ApiError with the server's text.

export type ModAction = 'mute' | 'video-off' | 'screenshare-stop' | 'kick'
  | 'ban' | 'unban' | 'promote' | 'demote';

/** Who may do what, as the server checks it. */
export const OWNER_LEVEL: readonly ModAction[] =
  ['mute', 'kick', 'ban', 'unban', 'promote', 'demote'];
export const MODERATOR_LEVEL: readonly ModAction[] =
  ['video-off', 'screenshare-stop'];

export function moderationPath(roomId: string, action: ModAction,
                               identity: string): string {
  const r = encodeURIComponent(roomId);
  const i = encodeURIComponent(identity);
  switch (action) {
  case 'video-off': return `/api/room/${r}/video/${i}/off`;
  case 'screenshare-stop': return `/api/room/${r}/screenshare/${i}/stop`;
  default: return `/api/room/${r}/${action}/${i}`;
  }
}

/** "success", or Bedrud's "already_moderator" for a second promote. */
export const moderate = (roomId: string, action: ModAction,
                         identity: string): Promise<{ status: string }> =>
  call<{ status: string }>('POST', moderationPath(roomId, action, identity));

export interface Ban {
  identity: string;
  /** the guest's name, or the user's name; "" when unknown */
  name: string;
}

/** The room's ban list (owner or superadmin). */
export const listBans = (roomId: string): Promise<Ban[]> =>
  call<{ bans: Ban[] }>('GET', `/api/room/${encodeURIComponent(roomId)}/bans`)
    .then((r) => r.bans);

export interface Upload {
  url: string;
  mime: string;
  size: number;
  w: number;
  h: number;
}

/**
 * An image for the chat of a room WITHOUT end-to-end encryption (§5.7).
 * E2EE rooms never use it: their images go through LiveKit's encrypted
 * byte streams, and the server refuses the upload for them.
 */
export function uploadChatImage(roomId: string, file: File): Promise<Upload> {
  const f = new FormData();
  f.append('file', file, file.name);
  return call<Upload>('POST',
    `/api/room/${encodeURIComponent(roomId)}/chat/upload`, f);
}
