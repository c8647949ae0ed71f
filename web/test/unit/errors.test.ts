// Every API error in words (src/errors.ts): the server's exact texts
// (openapi.yaml) mapped, statuses without a text, what is not an API
// error.

import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api-error';
import { describeError, sentence } from '../../src/errors';

describe('describeError', () => {
  it('the server\'s known texts in other words', () => {
    expect(describeError(new ApiError(401, 'Invalid credentials')))
      .toBe('The email or password is wrong, or the account is deactivated.');
    expect(describeError(new ApiError(503, 'service unavailable')))
      .toMatch(/cannot reach its database/);
    expect(describeError(new ApiError(403, 'Insufficient access rights')))
      .toBe('Only a superadmin may do this.');
    expect(describeError(new ApiError(404, 'Room not found'))).toMatch(/no room of this name/);
  });

  it('a known text with details after a colon keeps the details', () => {
    expect(describeError(new ApiError(502, 'LiveKit is unavailable: the ban is recorded')))
      .toBe('The media server (LiveKit) is not answering right now. The ban is recorded.');
  });

  it('no answer, too many, an unknown 401', () => {
    expect(describeError(new ApiError(0, 'Failed to fetch'))).toMatch(/cannot be reached/);
    expect(describeError(new ApiError(429, 'too many requests', 3)))
      .toBe('Too many attempts. Wait 3 seconds and try again.');
    expect(describeError(new ApiError(429, 'too many requests', 1))).toMatch(/Wait 1 second and/);
    expect(describeError(new ApiError(429, 'x'))).toMatch(/Wait a moment/);
    expect(describeError(new ApiError(401, 'something else'))).toBe('Your session has ended. Sign in again.');
  });

  it('an unknown text is shown as a sentence; an empty one by its status', () => {
    expect(describeError(new ApiError(400, 'name must be at least 2 characters')))
      .toBe('Name must be at least 2 characters.');
    expect(describeError(new ApiError(500, ''))).toMatch(/ran into an error/);
    expect(describeError(new ApiError(418, ''))).toBe('The server answered 418.');
  });

  it('what is not an API error', () => {
    expect(describeError(new Error('the two new passwords differ'))).toBe('The two new passwords differ.');
    expect(describeError('plain')).toBe('Plain.');
    expect(describeError(new Error(''))).toBe('Something went wrong.');
  });
});

describe('sentence', () => {
  it('capital first, a stop at the end, once', () => {
    expect(sentence('room is full')).toBe('Room is full.');
    expect(sentence('Done!')).toBe('Done!');
    expect(sentence('  ')).toBe('');
  });
});
