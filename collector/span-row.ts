/**
 * The span as it travels from receiver to exporter: one row of `otel_traces` (the clickhouseexporter table contract).
 * The queue stores rows already as the insert reads them, so a batch goes to ClickHouse without re-encoding.
 */
/** One row of `otel_traces`, in the clickhouseexporter's column names and value formats (JSONEachRow). */
export interface OtelTraceRow {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': Record<string, string>[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Record<string, string>[];
}

/** The exporter's INSERT column list, in order; spooled rows are these values (JSONCompactEachRow). */
export const OTEL_COLUMNS = [
  'Timestamp',
  'TraceId',
  'SpanId',
  'ParentSpanId',
  'TraceState',
  'SpanName',
  'SpanKind',
  'ServiceName',
  'ResourceAttributes',
  'ScopeName',
  'ScopeVersion',
  'SpanAttributes',
  'Duration',
  'StatusCode',
  'StatusMessage',
  'Events.Timestamp',
  'Events.Name',
  'Events.Attributes',
  'Links.TraceId',
  'Links.SpanId',
  'Links.TraceState',
  'Links.Attributes',
] as const satisfies readonly (keyof OtelTraceRow)[];

/** One row as the JSONCompactEachRow line the spool stores. */
export function compactRow(row: OtelTraceRow): string {
  return JSON.stringify(OTEL_COLUMNS.map((c) => row[c]));
}
