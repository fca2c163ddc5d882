import type http from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Logger } from '../src/log.ts';
import type { CollectorMetrics } from './metrics.ts';
import { compactRow, type ExportRequestLike, type OtelTraceRow, toRows } from './otlp/spans-to-rows.ts';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from './otlp/trace-proto.ts';
import type { RecentSpans } from './recent-spans.ts';
import type { Spool } from './spool.ts';

export interface ReceiverOptions {
  spool: Spool;
  metrics: CollectorMetrics;
  log: Logger;
  enrich?: (row: OtelTraceRow, startNanos: bigint) => void;
  /** Largest request body, compressed or not (OTLP: 413 above it). */
  maxBodyBytes: number;
  /** Past this many unsent spool bytes the receiver sheds load with 503 + Retry-After. */
  maxSpoolBytes: number;
  /** Past this many request bytes being decoded at once it answers 429 + Retry-After (memory bound). */
  maxInFlightBytes: number;
  retryAfterSeconds: number;
  onAccepted?: () => void;
  /** Recently accepted span ids, to drop client retries. */
  recent?: RecentSpans;
}

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

/** The OTLP/HTTP trace receiver: POST /v1/traces (protobuf or JSON, gzip or not), plus GET /metrics and /health. */
export function createReceiver(o: ReceiverOptions): http.RequestListener {
  let inFlight = 0;
  return (req, res) => {
    const url = req.url?.split('?')[0] ?? '/';
    if (req.method === 'GET' && url === '/metrics') {
      const oldest = o.spool.oldestUnsentAt;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        o.metrics.render({
          spoolBytes: o.spool.unsentBytes,
          spoolOldestAgeSeconds: oldest === undefined ? 0 : (Date.now() - oldest) / 1000,
        }),
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
    const fail = (error: HttpError) => {
      o.metrics.countRequest(error.status);
      reply(res, error.status, encoding, errorBody(encoding, error.message), error.headers);
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
    const retryAfter = { 'retry-after': String(o.retryAfterSeconds) };
    if (o.spool.unsentBytes >= o.maxSpoolBytes)
      return fail(
        new HttpError(503, 'the spool is full: ClickHouse is behind or down; retry later', retryAfter),
      );
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > o.maxBodyBytes)
      return fail(new HttpError(413, `request body over ${o.maxBodyBytes} bytes`));
    if (inFlight >= o.maxInFlightBytes)
      return fail(new HttpError(429, 'too many requests in progress; retry later', retryAfter));
    const reserved = Math.min(o.maxBodyBytes, Math.max(declared, 64 * 1024));
    inFlight += reserved;
    readBody(req, contentEncoding === 'gzip', o.maxBodyBytes)
      .then((body) => accept(body, encoding))
      .then(
        (response) => {
          o.metrics.countRequest(200);
          reply(res, 200, encoding, response);
        },
        (error: unknown) => {
          if (error instanceof HttpError) return fail(error);
          o.log.error('OTLP request failed', { error });
          fail(new HttpError(503, 'could not persist the request; retry later', retryAfter));
        },
      )
      .finally(() => {
        inFlight -= reserved;
      });
  };

  /**
   * Decodes, converts and encodes the spool record synchronously, then waits for the fsync holding only the ids:
   * the decoded request, its rows and their text are garbage by then, so at high rates they die young instead of
   * being promoted to V8's old generation.
   */
  function accept(body: Buffer, encoding: Encoding): Promise<Buffer | string> {
    const { lines, ids, partial } = prepare(body, encoding);
    const persisted = ids.length > 0 ? o.spool.append(lines).then(() => accepted(ids)) : Promise.resolve();
    return persisted.then(() => successBody(encoding, partial));
  }

  function prepare(
    body: Buffer,
    encoding: Encoding,
  ): { lines: string[]; ids: [traceId: string, spanId: string][]; partial?: PartialSuccess } {
    let request: ExportRequestLike;
    try {
      request =
        encoding === 'json'
          ? (JSON.parse(body.toString('utf8')) as ExportRequestLike)
          : (ExportTraceServiceRequest.decode(body) as unknown as ExportRequestLike);
    } catch (error) {
      throw new HttpError(
        400,
        `cannot decode the ${encoding === 'json' ? 'JSON' : 'protobuf'} ExportTraceServiceRequest: ${(error as Error).message}`,
      );
    }
    if (
      request === null ||
      typeof request !== 'object' ||
      (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans))
    ) {
      throw new HttpError(400, 'the body is not an ExportTraceServiceRequest (resourceSpans must be a list)');
    }
    let result: ReturnType<typeof toRows>;
    try {
      result = toRows(request, o.enrich);
    } catch (error) {
      throw new HttpError(400, `malformed ExportTraceServiceRequest: ${(error as Error).message}`);
    }
    o.metrics.spansReceived += result.rows.length + result.rejected;
    o.metrics.spansRejected += result.rejected;
    // A span already accepted (the client retried after losing our answer) is acknowledged, not stored again.
    const fresh = o.recent ? result.rows.filter((r) => !o.recent!.has(r.TraceId, r.SpanId)) : result.rows;
    o.metrics.spansDuplicate += result.rows.length - fresh.length;
    return {
      lines: fresh.map(compactRow),
      ids: fresh.map((r) => [r.TraceId, r.SpanId]),
      partial:
        result.rejected > 0
          ? { rejectedSpans: result.rejected, errorMessage: result.problems.join('; ') }
          : undefined,
    };
  }

  function accepted(ids: [traceId: string, spanId: string][]): void {
    for (const [traceId, spanId] of ids) o.recent?.add(traceId, spanId);
    o.metrics.spansAccepted += ids.length;
    o.onAccepted?.();
  }
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

/** Reads the body, enforcing the limit while reading and after decompression (a gzip bomb never inflates fully). */
function readBody(req: http.IncomingMessage, gzip: boolean, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    const source = gzip ? req.pipe(createGunzip()) : req;
    const tooLarge = () => {
      reject(new HttpError(413, `request body over ${limit} bytes${gzip ? ' after decompression' : ''}`));
      source.destroy();
      if (gzip) req.unpipe();
    };
    if (gzip) {
      req.on('data', (c: Buffer) => {
        raw += c.length;
        if (raw > limit) tooLarge();
      });
    }
    source.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) return tooLarge();
      chunks.push(c);
    });
    source.on('end', () => resolve(Buffer.concat(chunks)));
    source.on('error', (error) => reject(new HttpError(400, `cannot read the body: ${error.message}`)));
    req.on('error', (error) => reject(new HttpError(400, `cannot read the body: ${error.message}`)));
  });
}

function errorBody(encoding: Encoding, message: string): Buffer | string {
  if (encoding === 'json') return JSON.stringify({ code: 0, message });
  return Buffer.from(RpcStatus.encode(RpcStatus.fromObject({ code: 0, message })).finish());
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
    ...headers,
  });
  res.end(body);
}
