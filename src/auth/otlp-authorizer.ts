import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { OtlpAuthorizer } from '../../collector/index.ts';
import { DomainError } from '../domain-error.ts';
import type { Authenticator } from './authenticator.ts';

/**
 * The collector's key check: a `telemetry:write` (or `admin`) key as `Authorization: Bearer psk_…`, the header
 * every OTel SDK sends from `OTEL_EXPORTER_OTLP_HEADERS`. Lookups go through the API's bounded, briefly cached
 * Authenticator. `processToken` is a secret of this process only, for the server's own spans to its in-process
 * collector; it is never stored.
 */
export function otlpAuthorizer(auth: Authenticator, processToken?: string): OtlpAuthorizer {
  const own = processToken === undefined ? undefined : Buffer.from(`Bearer ${processToken}`);
  return async (authorization) => {
    if (own && authorization !== undefined) {
      const presented = Buffer.from(authorization);
      if (presented.length === own.length && timingSafeEqual(presented, own)) return undefined;
    }
    try {
      await auth.authenticate(authorization, 'telemetry:write');
      return undefined;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'unauthorized')
        return { status: 401, message: error.message };
      if (error instanceof DomainError && error.code === 'forbidden')
        return { status: 403, message: `${error.message}: sending spans needs a 'telemetry:write' key` };
      throw error;
    }
  };
}

/** A fresh secret for `otlpAuthorizer`'s `processToken`. */
export function newProcessToken(): string {
  return randomBytes(32).toString('base64url');
}
