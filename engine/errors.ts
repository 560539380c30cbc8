/**
 * A refusal the caller can act on: bad input, a conflict, a missing object. The API maps it to a 4xx
 * response of one documented shape (a 503 when a service it needs, such as every channel that could
 * deliver a one-time code, is unavailable); nothing of the command that raised it is written.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 422 | 429 | 503 = 422,
    readonly field?: string,
    /** When to ask again (a 429): the API sends it as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
