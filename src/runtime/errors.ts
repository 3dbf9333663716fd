/**
 * errors: the ground floor. The one error class every layer throws for a client's mistake or a refusal it can name
 * (a status, a stable code, a message that says what to do); `http/` turns it into the documented error body.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
