// The superadmin's routes (/api/admin/..., openapi.yaml tag "admin"),
// typed. The server refuses them to anyone else (403 "Insufficient access
// rights"); the web client also shows the console to superadmins only.

import { request as call, type Room, type RoomSettings } from './api';

const id = encodeURIComponent;

export interface Page {
  total: number;
  page: number;
  limit: number;
}

export interface AdminRoomList extends Page {
  rooms: Room[];
}

/** All rooms, newest first, one page. */
export const rooms = (page = 1, limit = 50): Promise<AdminRoomList> =>
  call('GET', `/api/admin/rooms?page=${page}&limit=${limit}`);

/** Capacity and any subset of the flags (the others keep their values). */
export const updateRoom = (roomId: string, r: {
  maxParticipants?: number;
  settings?: Partial<RoomSettings>;
}): Promise<Room> => call('PUT', `/api/admin/rooms/${id(roomId)}`, r);

/** Closes the room (kept, inactive) and ends its meeting. */
export const closeRoom = (roomId: string): Promise<{ status: string }> =>
  call('DELETE', `/api/admin/rooms/${id(roomId)}`);

export type Encryption = 'NONE' | 'GCM' | 'CUSTOM';

export interface LiveTrack {
  sid: string;
  /** AUDIO, VIDEO, DATA */
  type: string;
  /** CAMERA, MICROPHONE, SCREEN_SHARE, SCREEN_SHARE_AUDIO, UNKNOWN */
  source: string;
  muted: boolean;
  bitrate: number;
  /** as the publisher declared it to LiveKit */
  encryption: Encryption;
}

export interface LiveParticipant {
  sid: string;
  identity: string;
  name: string;
  state: string;
  /** unix seconds */
  joinedAt: number;
  isPublisher: boolean;
  tracks: LiveTrack[];
}

export interface Participants {
  participants: LiveParticipant[];
  room: Room;
}

/** Who is in the room now, from LiveKit, with each track's encryption. */
export const participants = (roomId: string): Promise<Participants> =>
  call('GET', `/api/admin/rooms/${id(roomId)}/participants`);

export const kick = (roomId: string, identity: string): Promise<{ status: string }> =>
  call('POST', `/api/admin/rooms/${id(roomId)}/participants/${id(identity)}/kick`);

export const mute = (roomId: string, identity: string): Promise<{ status: string }> =>
  call('POST', `/api/admin/rooms/${id(roomId)}/participants/${id(identity)}/mute`);

/** Identities connected to any room now, each once. */
export const onlineCount = (): Promise<number> =>
  call<{ count: number }>('GET', '/api/admin/online-count').then((r) => r.count);

export interface LiveKitStats {
  totalParticipants: number;
  totalPublishers: number;
  /** media rooms LiveKit has now */
  activeRooms: number;
  rooms: { name: string; numParticipants: number; numPublishers: number;
           creationTime: number }[];
}

export const livekitStats = (): Promise<LiveKitStats> =>
  call('GET', '/api/admin/livekit/stats');

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  provider: string;
  isActive: boolean;
  isAdmin: boolean;
  accesses: string[];
  /** "YYYY-MM-DD HH:MM:SS", UTC */
  createdAt: string;
}

export interface AdminUserList extends Page {
  users: AdminUser[];
}

export const users = (page = 1, limit = 50): Promise<AdminUserList> =>
  call('GET', `/api/admin/users?page=${page}&limit=${limit}`);

export const user = (userId: string): Promise<{ user: AdminUser; rooms: Room[] }> =>
  call('GET', `/api/admin/users/${id(userId)}`);

/** Deactivating ends every session of the user at once. */
export const setActive = (userId: string, active: boolean): Promise<{ message: string }> =>
  call('PUT', `/api/admin/users/${id(userId)}/status`, { active });

/** Replaces the roles; they apply at the user's next token refresh. */
export const setAccesses = (userId: string, accesses: string[]): Promise<{ message: string }> =>
  call('PUT', `/api/admin/users/${id(userId)}/accesses`, { accesses });

/** Gives or takes one role, keeping the others (at least "user"). */
export function withRole(accesses: string[], role: string, on: boolean): string[] {
  const rest = accesses.filter((a) => a !== role);
  const next = on ? [...rest, role] : rest;
  return next.length ? next : ['user'];
}

/**
 * Bedrud's SystemSettings record. Only some fields are acted on by this
 * server: `supported` says which; the rest is stored for Bedrud's clients.
 */
export interface SystemSettings {
  registrationEnabled: boolean;
  tokenRegistrationOnly: boolean;
  chatUploadMaxBytes: number;
  updatedAt: string | null;
  supported: Record<string, boolean>;
  [field: string]: unknown;
}

export type SettingsChange = Partial<Pick<SystemSettings,
  'registrationEnabled' | 'tokenRegistrationOnly' | 'chatUploadMaxBytes'>>;

export const settings = (): Promise<SystemSettings> => call('GET', '/api/admin/settings');

/** Only the fields sent change. */
export const putSettings = (s: SettingsChange): Promise<SystemSettings> =>
  call('PUT', '/api/admin/settings', s);

export interface Invite {
  id: string;
  /** what a person types (or the invite link carries) to register */
  token: string;
  email: string;
  createdBy: string;
  expiresAt: string;
  usedAt: string | null;
  usedBy: string;
  createdAt: string;
  used: boolean;
}

export const invites = (): Promise<Invite[]> =>
  call<{ tokens: Invite[] }>('GET', '/api/admin/invite-tokens').then((r) => r.tokens);

export const createInvite = (r: { email?: string; expiresInHours?: number }): Promise<Invite> =>
  call('POST', '/api/admin/invite-tokens', r);

export const deleteInvite = (inviteId: string): Promise<{ status: string }> =>
  call('DELETE', `/api/admin/invite-tokens/${id(inviteId)}`);

/** The link that opens registration with the invite code filled in. */
export const inviteLink = (origin: string, token: string): string =>
  `${origin}/signin?invite=${encodeURIComponent(token)}`;
