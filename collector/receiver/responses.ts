import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { CollectorMetrics } from '../telemetry/metrics.ts';
import { ExportTraceServiceResponse, RpcStatus } from './otlp/trace-proto.ts';

/** How the OTLP receiver answers: Status bodies, partial success, and what Node refuses before a request arrives. */

export type Encoding = 'protobuf' | 'json';

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

export function successBody(encoding: Encoding, partial: PartialSuccess | undefined): Buffer | string {
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

export function errorBody(encoding: Encoding, status: number, message: string): Buffer | string {
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

export function reply(
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
