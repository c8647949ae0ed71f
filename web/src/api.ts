// The typed API layer: Bedrud's JSON API as served by the module
// (openapi.yaml). Every call returns data or throws ApiError with the
// server's {"error": "..."} text.

export interface User {
  id: string;
  email: string;
  name: string;
  accesses?: string[];
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
  /** the owner's user id ("creator" in Bedrud's client) */
  adminId?: string;
  createdBy?: string;
  isPublic?: boolean;
  maxParticipants?: number;
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

// body: undefined (none), FormData (multipart, as the browser encodes
// it) or anything else (JSON)
async function call<T>(method: string, path: string, body?: unknown,
                       retry = true): Promise<T> {
  const headers: Record<string, string> = {};
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
  if (access) headers.Authorization = `Bearer ${access}`;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined
      : form ? body : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (res.status === 401 && retry && access && path !== '/api/auth/refresh') {
    if (await refresh()) return call<T>(method, path, body, false);
  }
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
    throw new ApiError(res.status, typeof err === 'string' && err
      ? err : res.statusText || `HTTP ${res.status}`);
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
