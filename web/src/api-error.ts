// The error every API call throws (its own module: errors.ts and the unit
// tests use it without api.ts's session).

export class ApiError extends Error {
  /**
   * status: the HTTP status, 0 when the server could not be reached.
   * message: the server's {"error"} text. retryAfter: seconds, from a
   * 429's or a 503's Retry-After.
   */
  constructor(readonly status: number, message: string,
              readonly retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
  }
}
