import type { OtelTraceRow } from '../../span-row.ts';
import { attributesToMap, type KeyValueLike, listOf, ValueTooDeep, wellFormed } from './any-value.ts';

type Id = Uint8Array | string | null | undefined;
type Nanos = unknown;

export interface SpanLike {
  traceId?: Id;
  spanId?: Id;
  parentSpanId?: Id;
  traceState?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: Nanos;
  endTimeUnixNano?: Nanos;
  attributes?: KeyValueLike[] | null;
  /** The attributes already as the row's map (the protobuf fast path, span-decoder.ts); used instead of `attributes`. */
  attributeMap?: Record<string, string>;
  events?: { timeUnixNano?: Nanos; name?: string; attributes?: KeyValueLike[] | null }[] | null;
  links?: { traceId?: Id; spanId?: Id; traceState?: string; attributes?: KeyValueLike[] | null }[] | null;
  status?: { code?: number | string; message?: string } | null;
}

export interface ExportRequestLike {
  resourceSpans?:
    | {
        resource?: { attributes?: KeyValueLike[] | null } | null;
        scopeSpans?:
          | { scope?: { name?: string; version?: string } | null; spans?: SpanLike[] | null }[]
          | null;
      }[]
    | null;
}

export interface ConversionResult {
  rows: OtelTraceRow[];
  rejected: number;
  /** One message per kind of rejection, for partial_success.error_message. */
  problems: string[];
}

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES = ['Unset', 'Ok', 'Error'];
const STATUS_NAMES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};
const HEX = /^[0-9a-fA-F]*$/;
/** The last instant DateTime64(9) can hold (2262-04-11T23:47:16.854775807Z): OTLP's uint64 goes further. */
const MAX_NANOS = 2n ** 63n - 1n;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

class InvalidSpan extends Error {}

/** A string field from the request, as ClickHouse can store it (OTLP/JSON from strangers may hold anything). */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return wellFormed(typeof value === 'string' ? value : String(value));
}

/** What a resource contributes to each of its spans' rows (or why none of them can be stored). */
export type ResourceContext =
  | { attributes: Record<string, string>; serviceName: string }
  | { attributes?: undefined; problem: unknown };

export type ScopeContext = ResourceContext & { scopeName?: string; scopeVersion?: string };

/**
 * Builds otel_traces rows span by span, from decoded protobuf or OTLP/JSON alike, handing each to `onRow` as it is
 * made (so a large request never holds all its rows at once). A bad span is counted with its reason, not fatal.
 */
export class RowBuilder {
  rejected = 0;
  /** One message per kind of rejection, for partial_success.error_message. */
  readonly problems = new Set<string>();
  readonly #onRow: (row: OtelTraceRow, startNanos: bigint) => void;

  /** `onRow` gets each row with its start time (the pipeline's stages price by it); a throw rejects the span. */
  constructor(onRow: (row: OtelTraceRow, startNanos: bigint) => void) {
    this.#onRow = onRow;
  }

  resource(resource: { attributes?: KeyValueLike[] | null } | null | undefined): ResourceContext {
    try {
      const attributes = attributesToMap(resource?.attributes);
      return { attributes, serviceName: attributes['service.name'] ?? '' };
    } catch (problem) {
      // The resource is shared by all its spans: none of them can be stored without it.
      return { problem };
    }
  }

  scope(
    resource: ResourceContext,
    scope: { name?: string; version?: string } | null | undefined,
  ): ScopeContext {
    return { ...resource, scopeName: text(scope?.name), scopeVersion: text(scope?.version) };
  }

  span(scope: ScopeContext, span: SpanLike): void {
    try {
      if (scope.attributes === undefined) throw scope.problem;
      const start = nanos(span.startTimeUnixNano, 'startTimeUnixNano');
      const end = nanos(span.endTimeUnixNano, 'endTimeUnixNano');
      const row: OtelTraceRow = {
        Timestamp: formatNanos(start),
        TraceId: id(span.traceId, 16, 'traceId'),
        SpanId: id(span.spanId, 8, 'spanId'),
        ParentSpanId: id(span.parentSpanId, 8, 'parentSpanId'),
        TraceState: text(span.traceState),
        SpanName: text(span.name),
        // A number OTLP does not define is written '', as pdata's SpanKind.String() / StatusCode.String() do.
        SpanKind: SPAN_KINDS[enumValue(span.kind, SPAN_KIND_NAMES)] ?? '',
        ServiceName: scope.serviceName,
        ResourceAttributes: scope.attributes,
        ScopeName: scope.scopeName ?? '',
        ScopeVersion: scope.scopeVersion ?? '',
        SpanAttributes: span.attributeMap ?? attributesToMap(span.attributes),
        Duration: (end > start ? end - start : 0n).toString(),
        StatusCode: STATUS_CODES[enumValue(span.status?.code, STATUS_NAMES)] ?? '',
        StatusMessage: text(span.status?.message),
        'Events.Timestamp': [],
        'Events.Name': [],
        'Events.Attributes': [],
        'Links.TraceId': [],
        'Links.SpanId': [],
        'Links.TraceState': [],
        'Links.Attributes': [],
      };
      for (const e of listOf(span.events)) {
        row['Events.Timestamp'].push(formatNanos(nanos(e?.timeUnixNano, 'events.timeUnixNano')));
        row['Events.Name'].push(text(e?.name));
        row['Events.Attributes'].push(attributesToMap(e?.attributes));
      }
      for (const l of listOf(span.links)) {
        row['Links.TraceId'].push(id(l?.traceId, 16, 'links.traceId'));
        row['Links.SpanId'].push(id(l?.spanId, 8, 'links.spanId'));
        row['Links.TraceState'].push(text(l?.traceState));
        row['Links.Attributes'].push(attributesToMap(l?.attributes));
      }
      // OTel defines all-zero ids as invalid: such a span has no identity to store or deduplicate by.
      if (!row.TraceId || row.TraceId === ZERO_TRACE_ID)
        throw new InvalidSpan('a span without a valid traceId (missing or all zero)');
      if (!row.SpanId || row.SpanId === ZERO_SPAN_ID)
        throw new InvalidSpan('a span without a valid spanId (missing or all zero)');
      this.#onRow(row, start);
    } catch (error) {
      this.rejected++;
      this.problems.add(
        error instanceof InvalidSpan || error instanceof ValueTooDeep
          ? error.message
          : `a malformed span: ${(error as Error)?.message ?? String(error)}`,
      );
    }
  }
}

/** Walks a decoded export request (OTLP/JSON, or protobuf decoded whole) span by span. */
export function walkRequest(request: ExportRequestLike, builder: RowBuilder): void {
  for (const rs of listOf(request.resourceSpans)) {
    const resource = builder.resource(rs?.resource);
    for (const ss of listOf(rs?.scopeSpans)) {
      const scope = builder.scope(resource, ss?.scope);
      for (const span of listOf(ss?.spans)) builder.span(scope, span);
    }
  }
}

/** Turns an export request (decoded protobuf or OTLP/JSON) into otel_traces rows; bad spans are counted, not fatal. */
export function toRows(request: ExportRequestLike): ConversionResult {
  const rows: OtelTraceRow[] = [];
  const builder = new RowBuilder((row) => rows.push(row));
  walkRequest(request, builder);
  return { rows, rejected: builder.rejected, problems: [...builder.problems] };
}

/**
 * Lowercase hex, as the exporter writes ids; protobuf gives bytes, OTLP/JSON gives (any-case) hex. An all-zero
 * parent or link id is written as "", as the exporter does (`TraceIDToHexOrEmptyString`).
 */
function id(value: Id, bytes: number, field: string): string {
  if (value === undefined || value === null) return '';
  let hex: string;
  if (typeof value === 'string') {
    if (value === '') return '';
    if (value.length !== bytes * 2 || !HEX.test(value))
      throw new InvalidSpan(`${field} must be ${bytes * 2} hex characters`);
    hex = value.toLowerCase();
  } else {
    // protobufjs leaves an unset bytes field as its (empty) default, which may be a plain array.
    if ((value as ArrayLike<number>).length === 0) return '';
    if (!(value instanceof Uint8Array)) throw new InvalidSpan(`${field} must be ${bytes} bytes`);
    if (value.length !== bytes) throw new InvalidSpan(`${field} must be ${bytes} bytes`);
    hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  }
  if (field !== 'traceId' && field !== 'spanId' && /^0+$/.test(hex)) return '';
  return hex;
}

/** A fixed64 time in nanoseconds since the epoch, within what DateTime64(9) can hold. */
function nanos(value: Nanos, field: string): bigint {
  const ns = parseNanos(value);
  if (ns === undefined) throw new InvalidSpan(`${field} must be a whole number of nanoseconds`);
  if (ns < 0n || ns > MAX_NANOS)
    throw new InvalidSpan(`${field} is outside 1970-01-01 .. 2262-04-11 (0 .. 2^63-1 nanoseconds)`);
  return ns;
}

function parseNanos(value: Nanos): bigint | undefined {
  if (value === undefined || value === null) return 0n;
  try {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : undefined;
    if (typeof value === 'string') return /^\s*-?\d+\s*$/.test(value) ? BigInt(value) : undefined;
    const long = value as { low: number; high: number; unsigned?: boolean };
    if (typeof long.low === 'number' && typeof long.high === 'number') {
      return (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
    }
  } catch {}
  return undefined;
}

function enumValue(value: number | string | undefined, names: Record<string, number>): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return names[value] ?? Number(value);
  return 0;
}

/**
 * Nanoseconds since the epoch as "seconds.nanoseconds", which DateTime64(9) parses exactly whatever the time zone.
 * The seconds are padded to 10 digits: ClickHouse reads a shorter number ("0.000000011", "620603012.5") as a date
 * in another format and refuses it (found by the receiver fuzz test; a span with no start time was enough).
 */
export function formatNanos(ns: bigint): string {
  const seconds = (ns / 1_000_000_000n).toString().padStart(10, '0');
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}`;
}
