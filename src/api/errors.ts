import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type DomainErrorCode, notFound } from '../domain-error.ts';
import type { Logger } from '../platform/log.ts';

export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldError {
  field: string;
  message: string;
}

/** The API's own errors (the HTTP layer's: body size, media type, …): a code, a message, details, headers. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export { notFound };

/** Headers that go with a domain error's status. */
const DOMAIN_HEADERS: Partial<Record<DomainErrorCode, Record<string, string>>> = {
  unauthorized: { 'WWW-Authenticate': 'Bearer realm="promptscope"' },
};

/** 422 listing each field and what is wrong with it. */
export const validationFailed = (message: string, fields: FieldError[]) =>
  new ApiError('validation_failed', message, { fields });

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: { code, message, details: details ?? null } };
}

/** Hono's onError: every failure becomes `{"error": {code, message, details}}`, never a stack trace. */
export function handleError(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return c.json(errorBody(err.code, err.message, err.details), err.status);
    }
    // The one place a domain error code becomes an HTTP status.
    if (err instanceof DomainError) {
      for (const [k, v] of Object.entries(DOMAIN_HEADERS[err.code] ?? {})) c.header(k, v);
      return c.json(errorBody(err.code, err.message, err.details), ERROR_STATUS[err.code]);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = (Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0] ??
        'bad_request') as ErrorCode;
      const message =
        status === 400 && /JSON/i.test(err.message) ? 'request body is not valid JSON' : err.message;
      return c.json(errorBody(code, message || code), ERROR_STATUS[code]);
    }
    const pgCode = (err as { code?: string }).code;
    if (pgCode === '23505') return c.json(errorBody('conflict', 'that resource already exists'), 409);
    log.error('unhandled error', { error: err, method: c.req.method, path: c.req.path });
    return c.json(errorBody('internal', 'internal error; see the server log'), 500);
  };
}
