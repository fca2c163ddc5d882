import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from '../src/log.ts';
import { failpoint } from './failpoint.ts';
import type { CollectorMetrics } from './metrics.ts';
import { compactRow, type ExportRequestLike, type SpanLike, walkRequest } from './otlp/spans-to-rows.ts';
import { ExportTraceServiceResponse, forEachProtobufSpan, RpcStatus } from './otlp/trace-proto.ts';
import { SpanPipeline } from './pipeline.ts';
import type { RecentSpans } from './recent-spans.ts';
import { encodeRecord, type Spool } from './spool.ts';

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
   * Past this many bytes held for requests at once (received so far, inflated, and encoded for the spool until the
   * fsync) it answers 429 + Retry-After: the bound on the receiver's request memory. Counted as bytes arrive, so a
   * client that declares a large body and sends little holds little.
   */
  maxInFlightBytes: number;
  /** A request whose body sends nothing for this long is answered 408 and its connection closed. */
  bodyIdleTimeoutMs: number;
  retryAfterSeconds: number;
  onAccepted?: () => void;
  /** Appended to /metrics: other components of the same process. */
  extraMetrics?: () => string;
  /** Recently accepted span ids, to drop client retries. */
  recent?: RecentSpans;
  /** Asked before a request's body is read, when the collector requires a key (PROMPTSCOPE_OTLP_AUTH). */
  authorize?: OtlpAuthorizer;
}

/** Whether a request may write spans: undefined = yes, else 401 (no or bad key) or 403 (key lacks the scope). */
export type OtlpAuthorizer = (
  authorization: string | undefined,
) => Promise<{ status: 401 | 403; message: string } | undefined>;

type Encoding = 'protobuf' | 'json';

class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

const NO_STAGES = new SpanPipeline([]);

/** The OTLP/HTTP trace receiver: POST /v1/traces (protobuf or JSON, gzip or not), plus GET /metrics and /health. */
export function createReceiver(o: ReceiverOptions): http.RequestListener {
  const budget = new ByteBudget(o.maxInFlightBytes);
  /** Spans of requests being persisted right now: a copy arriving meanwhile waits for that request's fsync. */
  const persisting = new Map<string, Promise<void>>();
  return (req, res) => {
    const url = req.url?.split('?')[0] ?? '/';
    if (req.method === 'GET' && url === '/metrics') {
      const oldest = o.spool.oldestUnsentAt;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        o.metrics.render({
          spoolBytes: o.spool.unsentBytes,
          inFlightBytes: budget.used,
          inFlightBytesPeak: budget.peak,
          spoolOldestAgeSeconds: oldest === undefined ? 0 : (Date.now() - oldest) / 1000,
        }) + (o.extraMetrics?.() ?? ''),
      );
      return;
    }
    if (req.method === 'GET' && url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"healthy"}');
      return;
    }
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
    const builder = (o.pipeline ?? NO_STAGES).builder((row) => {
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

/** Bytes held for requests in progress, against one limit. */
class ByteBudget {
  readonly #max: number;
  #used = 0;
  #peak = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get full(): boolean {
    return this.#used >= this.#max;
  }

  get used(): number {
    return this.#used;
  }

  /** The most ever held at once (a bound check for tests and operators). */
  get peak(): number {
    return this.#peak;
  }

  /** One request's share; released in one go when the request is answered. */
  holder(): BudgetHolder {
    let held = 0;
    return {
      take: (bytes) => {
        if (this.#used + bytes > this.#max) return false;
        this.#used += bytes;
        held += bytes;
        this.#peak = Math.max(this.#peak, this.#used);
        return true;
      },
      force: (bytes) => {
        this.#used += bytes;
        held += bytes;
        this.#peak = Math.max(this.#peak, this.#used);
      },
      release: () => {
        this.#used -= held;
        held = 0;
      },
    };
  }
}

interface BudgetHolder {
  /** Holds more bytes if the budget has room; false when it has not. */
  take(bytes: number): boolean;
  /** Holds bytes already allocated (the encoded spool record), whatever the budget says. */
  force(bytes: number): void;
  release(): void;
}

interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

function successBody(encoding: Encoding, partial: PartialSuccess | undefined): Buffer | string {
  if (encoding === 'json')
    return JSON.stringify(
      partial
        ? {
            partialSuccess: {
              rejectedSpans: String(partial.rejectedSpans),
              errorMessage: partial.errorMessage,
            },
          }
        : {},
    );
  return Buffer.from(
    ExportTraceServiceResponse.encode(
      ExportTraceServiceResponse.fromObject(partial ? { partialSuccess: partial } : {}),
    ).finish(),
  );
}

/**
 * Reads the body, enforcing the size limit while reading and after decompression (a gzip bomb never inflates fully),
 * holding every byte read or inflated in the request's budget share (429 when the budget is spent), and giving up
 * with 408 on a body that sends nothing for `idleMs`.
 */
function readBody(
  req: http.IncomingMessage,
  gzip: boolean,
  limit: number,
  held: BudgetHolder,
  idleMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    let done = false;
    const source = gzip ? req.pipe(createGunzip()) : req;
    const stop = (error: HttpError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(error);
      if (gzip) {
        req.unpipe();
        source.destroy();
      }
    };
    const timer = setTimeout(onIdle, idleMs);
    // 503, not 408: OTLP exporters retry 429, 502, 503 and 504 only, and a stalled body is worth retrying.
    function onIdle() {
      stop(
        new HttpError(503, `the request body sent nothing for ${idleMs / 1000} s; retry`, {
          connection: 'close',
          'retry-after': '1',
        }),
      );
    }
    // The rest of the body is read and dropped (not held), so the client gets the 429 rather than a reset.
    const overBudget = () => stop(new HttpError(429, 'too many request bytes in progress; retry later'));
    const tooLarge = () =>
      stop(new HttpError(413, `request body over ${limit} bytes${gzip ? ' after decompression' : ''}`));
    req.on('data', (c: Buffer) => {
      if (done) return;
      timer.refresh();
      raw += c.length;
      if (raw > limit) return tooLarge();
      if (!held.take(c.length)) return overBudget();
      if (!gzip) chunks.push(c);
    });
    if (gzip) {
      source.on('data', (c: Buffer) => {
        if (done) return;
        size += c.length;
        if (size > limit) return tooLarge();
        if (!held.take(c.length)) return overBudget();
        chunks.push(c);
      });
    }
    source.on('end', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    source.on('error', (error) => stop(new HttpError(400, `cannot read the body: ${error.message}`)));
    req.on('error', (error) => stop(new HttpError(400, `cannot read the body: ${error.message}`)));
    req.on('close', () => {
      if (!req.complete) stop(new HttpError(400, 'the client closed the request before its body ended'));
    });
  });
}

/**
 * The google.rpc.Code an OTLP error Status carries for each HTTP status we answer (the gRPC ↔ HTTP mapping of
 * google/rpc/code.proto): 3 INVALID_ARGUMENT, 5 NOT_FOUND, 7 PERMISSION_DENIED, 8 RESOURCE_EXHAUSTED,
 * 12 UNIMPLEMENTED, 14 UNAVAILABLE, 16 UNAUTHENTICATED.
 */
export const RPC_CODE: Readonly<Record<number, number>> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  405: 12,
  413: 3,
  415: 3,
  429: 8,
  503: 14,
};

function errorBody(encoding: Encoding, status: number, message: string): Buffer | string {
  const code = RPC_CODE[status] ?? 2; // 2 UNKNOWN
  if (encoding === 'json') return JSON.stringify({ code, message });
  return Buffer.from(RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish());
}

/**
 * Answers what Node refuses before a request reaches the receiver (headers or the whole request too slow, a
 * malformed request) as OTLP asks: a Status body, and 503 + Retry-After for a timeout (Node's own answer, 408, is
 * not one the OTLP exporters retry).
 */
export function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  metrics: CollectorMetrics,
): void {
  const pending = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = timeout ? 503 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message = timeout
    ? 'the request did not arrive in time; retry'
    : `malformed HTTP request (${error.code})`;
  const body = errorBody('protobuf', status, message) as Buffer;
  metrics.countRequest(status);
  const reason = timeout
    ? 'Service Unavailable'
    : status === 431
      ? 'Request Header Fields Too Large'
      : 'Bad Request';
  socket.end(
    Buffer.concat([
      Buffer.from(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/x-protobuf\r\ncontent-length: ${body.length}\r\n` +
          `${timeout ? 'retry-after: 1\r\n' : ''}connection: close\r\n\r\n`,
      ),
      body,
    ]),
  );
}

function reply(
  res: http.ServerResponse,
  status: number,
  encoding: Encoding,
  body: Buffer | string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}
