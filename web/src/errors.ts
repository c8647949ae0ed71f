// Every API error in words a person understands: the server's texts are
// Bedrud's (terse, lowercase, sometimes cryptic: "Invalid token"); this
// says what happened and, where there is one, what to do. Pure (unit-
// tested: test/unit/errors.test.ts).

import { ApiError } from './api-error';

const SESSION_ENDED = 'Your session has ended. Sign in again.';

// the server's exact texts (openapi.yaml) that need other words
const TEXTS: Record<string, string> = {
  'Invalid credentials': 'The email or password is wrong, or the account is deactivated.',
  'user already exists': 'An account with this email already exists. Sign in instead.',
  'Missing authorization': 'You are not signed in. Sign in to continue.',
  'Invalid token': SESSION_ENDED,
  'Invalid or expired refresh token': SESSION_ENDED,
  'No refresh token provided': SESSION_ENDED,
  'Insufficient access rights': 'Only a superadmin may do this.',
  'Insufficient permissions': 'Only the room\'s owner or a superadmin may do this.',
  'not authorized for this room': 'Only the room\'s owner, its moderators or a superadmin may do this.',
  'Only the room creator can delete this room': 'Only the room\'s owner or a superadmin may delete it.',
  'Room not found': 'There is no room of this name (any more): it may have been deleted.',
  'User not found': 'This account does not exist any more.',
  'Participant not found': 'This person is no longer in the meeting.',
  'a room with this name already exists': 'A room with this name already exists: choose another name.',
  'current password is incorrect': 'The current password is wrong.',
  'password change is only available for local accounts':
    'This account has no password to change (it is a guest account).',
  'password was changed concurrently, try again':
    'The password was changed elsewhere at the same moment. Try again.',
  'Registration is currently disabled': 'This server does not take new accounts at the moment.',
  'An invite token is required to register':
    'This server is invite only: you need an invite code to create an account.',
  'Invalid or expired invite token': 'This invite code cannot be used: it is unknown, used or expired.',
  'room is full': 'The meeting is full.',
  'you are banned from this room': 'You are banned from this meeting.',
  'This room is private': 'This meeting is for people with an account: sign in to join.',
  'room is no longer active': 'This meeting was closed. Its owner can open it again by joining.',
  'service unavailable': 'The server cannot reach its database right now. Try again in a moment.',
  'internal server error': 'The server ran into an error. Try again; if it persists, tell the administrator.',
  'request body too large': 'That is too large for the server.',
  'Invalid input': 'The server did not accept what was sent. Check the fields and try again.',
  'Invalid body': 'The server did not accept what was sent. Check the fields and try again.',
  'Invalid request body': 'The server did not accept what was sent. Check the fields and try again.',
  'Invalid identity': 'This participant\'s identity is not valid.',
  'not found': 'The server does not know this address. Reload the page.',
  'method not allowed': 'The server does not allow this here. Reload the page.',
  'LiveKit is unavailable': 'The media server (LiveKit) is not answering right now.',
  'LiveKit is not configured': 'This server has no media server (LiveKit) configured.',
  'LiveKit refused the request': 'The media server (LiveKit) refused the request.',
};

/** "some text" → "Some text." */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return '';
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** What went wrong, for the person: one or two sentences. */
export function describeError(e: unknown): string {
  if (!(e instanceof ApiError)) {
    const m = e instanceof Error ? e.message : String(e);
    return sentence(m) || 'Something went wrong.';
  }
  if (e.status === 0) return 'The server cannot be reached. Check your connection and try again.';
  if (e.status === 429) {
    const wait = e.retryAfter ? ` Wait ${e.retryAfter} second${e.retryAfter === 1 ? '' : 's'} and try again.`
      : ' Wait a moment and try again.';
    return `Too many attempts.${wait}`;
  }
  const known = TEXTS[e.message];
  if (known) return known;
  // "LiveKit is unavailable: the ban is recorded, ..." (502)
  const colon = e.message.indexOf(': ');
  if (colon > 0 && TEXTS[e.message.slice(0, colon)]) {
    return `${TEXTS[e.message.slice(0, colon)]} ${sentence(e.message.slice(colon + 2))}`;
  }
  if (e.status === 401) return SESSION_ENDED;
  if (e.status >= 500 && !e.message) return TEXTS['internal server error'];
  return sentence(e.message) || `The server answered ${e.status}.`;
}
