/**
 * The domain's errors: a code a person and a program can act on, a message, details. The domain (templates, keys,
 * alerts) raises these; only `api/` turns a code into an HTTP status, and the CLI into an exit code.
 */
export type DomainErrorCode =
  | 'bad_request'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly details: unknown;
  constructor(code: DomainErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
