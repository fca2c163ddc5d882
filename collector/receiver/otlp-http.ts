import type http from 'node:http';
import type { Logger } from '../../src/platform/log.ts';
import { failpoint } from '../failpoint.ts';
import type { SpanPipeline } from '../processor/pipeline.ts';
import { encodeRecord, type Spool } from '../queue/spool.ts';
import { compactRow } from '../span-row.ts';
import type { CollectorMetrics } from '../telemetry/metrics.ts';
import type { BudgetHolder, ByteBudget } from './byte-budget.ts';
import { type ExportRequestLike, RowBuilder, type SpanLike, walkRequest } from './otlp/spans-to-rows.ts';
import { forEachProtobufSpan } from './otlp/trace-proto.ts';
import { readBody } from './read-body.ts';
import type { RecentSpans } from './recent-spans.ts';
import { type Encoding, errorBody, HttpError, type PartialSuccess, reply, successBody } from './responses.ts';

/** Spool records are cut at about this size (lines are never split), so no insert batch grows past its limit. */
const RECORD_BYTES = 1024 * 1024;

export interface ReceiverOptions {
  spool: Spool;
  metrics: CollectorMetrics;
  log: Logger;
  /** decode → stages → spool: what each span goes through (the collector's: pricing). */
  pipeline?: SpanPipeline;
  /** Largest request body, compressed or not (OTLP: 413 above it). */
  maxBodyBytes: number;
  /** Past this many unsent spool bytes the receiver sheds load with 503 + Retry-After. */
  maxSpoolBytes: number;
  /**
   * Bytes held for requests at once (received so far, inflated, and encoded for the spool until the fsync); when it is
   * spent the receiver answers 429 + Retry-After: the bound on the receiver's request memory. Counted as bytes arrive, so a
   * client that declares a large body and sends little holds little. Shared with /metrics, which reports it.
   */
  budget: ByteBudget;
  /** A request whose body sends nothing for this long is answered 503 + Retry-After and its connection closed. */
  bodyIdleTimeoutMs: number;
  retryAfterSeconds: number;
  onAccepted?: () => void;
  /** Recently accepted span ids, to drop client retries. */
  recent?: RecentSpans;
  /** Asked before a request's body is read, when the collector requires a key (PROMPTSCOPE_OTLP_AUTH). */
  authorize?: OtlpAuthorizer;
}

/** Whether a request may write spans: undefined = yes, else 401 (no or bad key) or 403 (key lacks the scope). */
export type OtlpAuthorizer = (
  authorization: string | undefined,
) => Promise<{ status: 401 | 403; message: string } | undefined>;

/** The OTLP/HTTP trace receiver: POST /v1/traces (protobuf or JSON, gzip or not), decoded through the pipeline into the spool. */
export function createReceiver(o: ReceiverOptions): http.RequestListener {
  const budget = o.budget;
  /** Spans of requests being persisted right now: a copy arriving meanwhile waits for that request's fsync. */
  const persisting = new Map<string, Promise<void>>();
  return (req, res) => {
    const url = req.url?.split('?')[0] ?? '/';
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const encoding: Encoding = type === 'application/json' ? 'json' : 'protobuf';
    const fail = (error: HttpError): undefined => {
      o.metrics.countRequest(error.status);
      reply(res, error.status, encoding, errorBody(encoding, error.status, error.message), error.headers);
      // Stop reading what the client still sends, without killing a keep-alive connection mid-response.
      req.resume();
    };
    if (url !== '/v1/traces')
      return fail(new HttpError(404, `no OTLP endpoint at ${url}; traces go to POST /v1/traces`));
    if (req.method !== 'POST') return fail(new HttpError(405, 'use POST', { allow: 'POST' }));
    if (type !== 'application/x-protobuf' && type !== 'application/json') {
      return fail(
        new HttpError(
          415,
          `Content-Type must be application/x-protobuf or application/json, got '${type || 'none'}'`,
        ),
      );
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      return fail(
        new HttpError(415, `Content-Encoding '${contentEncoding}' is not supported; use gzip or none`),
      );
    }
    if (o.authorize) {
      o.authorize(req.headers.authorization).then(
        (refused) => {
          if (!refused) return receive(req, res, encoding, contentEncoding, fail);
          const challenge: Record<string, string> =
            refused.status === 401 ? { 'www-authenticate': 'Bearer realm="promptscope"' } : {};
          fail(new HttpError(refused.status, refused.message, challenge));
        },
        (error: unknown) => {
          o.log.error('could not check the OTLP request key', { error });
          fail(
            new HttpError(503, 'could not check the API key; retry later', {
              'retry-after': String(o.retryAfterSeconds),
            }),
          );
        },
      );
      return;
    }
    receive(req, res, encoding, contentEncoding, fail);
  };

  function receive(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    encoding: Encoding,
    contentEncoding: string,
    fail: (error: HttpError) => undefined,
  ): undefined {
    const retryAfter = { 'retry-after': String(o.retryAfterSeconds) };
    if (o.spool.unsentBytes >= o.maxSpoolBytes)
      return fail(
        new HttpError(503, 'the spool is full: ClickHouse is behind or down; retry later', retryAfter),
      );
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > o.maxBodyBytes)
      return fail(new HttpError(413, `request body over ${o.maxBodyBytes} bytes`));
    if (budget.full)
      return fail(new HttpError(429, 'too many requests in progress; retry later', retryAfter));
    const held = budget.holder();
    readBody(req, contentEncoding === 'gzip', o.maxBodyBytes, held, o.bodyIdleTimeoutMs)
      .then((body) => accept(body, encoding, held))
      .then(
        (response) => {
          o.metrics.countRequest(200);
          reply(res, 200, encoding, response);
        },
        (error: unknown) => {
          if (error instanceof HttpError) {
            if (error.status === 429) error.headers['retry-after'] = String(o.retryAfterSeconds);
            return fail(error);
          }
          o.log.error('OTLP request failed', { error });
          fail(new HttpError(503, 'could not persist the request; retry later', retryAfter));
        },
      )
      .finally(() => held.release());
  }

  /**
   * Decodes and converts span by span and encodes the spool record synchronously, then waits for the fsync holding
   * only the ids: the decoded spans, their rows and their text are garbage by then, so at high rates they die young
   * instead of being promoted to V8's old generation.
   */
  async function accept(body: Buffer, encoding: Encoding, held: BudgetHolder): Promise<Buffer | string> {
    const { records, keys, waitFor, partial } = prepare(body, encoding);
    if (keys.length === 0) {
      await Promise.all(waitFor);
      return successBody(encoding, partial);
    }
    // The body is garbage now: hold the encoded rows instead, until they are on disk.
    held.release();
    for (const record of records) held.force(record.length);
    const persisted = o.spool.appendRecords(records);
    for (const key of keys) persisting.set(key, persisted);
    try {
      await persisted;
    } finally {
      for (const key of keys) if (persisting.get(key) === persisted) persisting.delete(key);
    }
    failpoint('after-fsync');
    for (const key of keys) o.recent?.add(key.slice(0, 32), key.slice(32));
    o.metrics.spansAccepted += keys.length;
    o.onAccepted?.();
    // Copies of spans another request was persisting are acknowledged once that request's fsync succeeded.
    await Promise.all(waitFor);
    return successBody(encoding, partial);
  }

  function prepare(
    body: Buffer,
    encoding: Encoding,
  ): { records: Buffer[]; keys: string[]; waitFor: Promise<void>[]; partial?: PartialSuccess } {
    // Rows become spool records about every RECORD_BYTES, so their text dies young even in a 20 MB request.
    const records: Buffer[] = [];
    let lines: string[] = [];
    let lineBytes = 0;
    const keys: string[] = [];
    const waitFor = new Set<Promise<void>>();
    const mine = new Set<string>();
    let duplicates = 0;
    const builder = new RowBuilder((row, startNanos) => {
      o.pipeline?.apply(row, startNanos);
      const key = row.TraceId + row.SpanId;
      // A span already accepted (the client retried after losing our answer), already in this request, or being
      // persisted by another request right now, is acknowledged, not stored again.
      const other = persisting.get(key);
      if (other) waitFor.add(other);
      if (other || mine.has(key) || o.recent?.has(row.TraceId, row.SpanId)) {
        duplicates++;
        return;
      }
      mine.add(key);
      const line = compactRow(row);
      lines.push(line);
      lineBytes += line.length + 1;
      if (lineBytes >= RECORD_BYTES) {
        records.push(encodeRecord(lines));
        lines = [];
        lineBytes = 0;
      }
      keys.push(key);
    });
    if (encoding === 'json') {
      let request: ExportRequestLike;
      try {
        request = JSON.parse(body.toString('utf8')) as ExportRequestLike;
      } catch (error) {
        throw new HttpError(
          400,
          `cannot decode the JSON ExportTraceServiceRequest: ${(error as Error).message}`,
        );
      }
      if (
        request === null ||
        typeof request !== 'object' ||
        Array.isArray(request) ||
        (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans))
      ) {
        throw new HttpError(
          400,
          'the body is not an ExportTraceServiceRequest (resourceSpans must be a list)',
        );
      }
      walkRequest(request, builder);
    } else {
      try {
        forEachProtobufSpan(body, {
          resource: (resource) => builder.resource(resource as { attributes?: [] } | undefined),
          scope: (resource, scope) => builder.scope(resource, scope as { name?: string } | undefined),
          span: (scope, span) => builder.span(scope, span as SpanLike),
        });
      } catch (error) {
        throw new HttpError(
          400,
          `cannot decode the protobuf ExportTraceServiceRequest: ${(error as Error).message}`,
        );
      }
    }
    if (lines.length > 0) records.push(encodeRecord(lines));
    o.metrics.spansReceived += keys.length + duplicates + builder.rejected;
    o.metrics.spansRejected += builder.rejected;
    o.metrics.spansDuplicate += duplicates;
    return {
      records,
      keys,
      waitFor: [...waitFor],
      partial:
        builder.rejected > 0
          ? { rejectedSpans: builder.rejected, errorMessage: [...builder.problems].join('; ') }
          : undefined,
    };
  }
}
