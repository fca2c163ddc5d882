/**
 * Attribute values as the clickhouseexporter writes them (pdata `AsString`): strings as they are, ints in decimal,
 * doubles as JSON/ES number text, bools as true/false, bytes as base64, arrays and maps as JSON.
 * Works on protobufjs-decoded messages and on OTLP/JSON objects alike (both carry only the set oneof field).
 */
export interface AnyValueLike {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: unknown;
  doubleValue?: number | string;
  arrayValue?: { values?: AnyValueLike[] | null } | null;
  kvlistValue?: { values?: KeyValueLike[] | null } | null;
  bytesValue?: Uint8Array | string;
}

export interface KeyValueLike {
  key?: string;
  value?: AnyValueLike | null;
}

/** The members of OTLP's AnyValue oneof (the protobuf descriptor uses the same list). */
export const ANY_VALUE_KINDS = [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'arrayValue',
  'kvlistValue',
  'bytesValue',
] as const;
type Kind = (typeof ANY_VALUE_KINDS)[number];

const KIND_SET: ReadonlySet<string> = new Set(ANY_VALUE_KINDS);

function kindOf(v: AnyValueLike): Kind | undefined {
  // protobufjs messages name their set oneof member in the virtual `value` property.
  const named = (v as { value?: unknown }).value;
  if (typeof named === 'string' && KIND_SET.has(named)) return named as Kind;
  // OTLP/JSON objects carry only the member that is set.
  for (const key of Object.keys(v)) if (KIND_SET.has(key)) return key as Kind;
  return undefined;
}

/**
 * Deepest array / kvlist nesting converted. OTLP sets no limit; past this the span is refused (partial_success)
 * rather than risking the stack. protobufjs decodes 2 message levels per nesting level, so its limit is set above.
 */
export const MAX_VALUE_DEPTH = 1000;

/** A value nested deeper than MAX_VALUE_DEPTH. */
export class ValueTooDeep extends Error {}

/**
 * The string as ClickHouse can store it: OTLP strings are UTF-8, so a lone UTF-16 surrogate (which JSON can
 * spell as `\ud800`) becomes U+FFFD, as Go's decoder in the official collector does.
 */
export function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

export function anyValueToString(v: AnyValueLike | null | undefined): string {
  if (!v) return '';
  switch (kindOf(v)) {
    case 'stringValue':
      return wellFormed(String(v.stringValue ?? ''));
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue':
      return intToString(v.intValue);
    case 'doubleValue':
      return doubleToString(Number(v.doubleValue));
    case 'bytesValue':
      return bytesToString(v.bytesValue);
    case 'arrayValue':
    case 'kvlistValue':
      return JSON.stringify(anyValueToRaw(v, 0));
    default:
      return '';
  }
}

/** The value as plain JSON data (maps with sorted keys, as Go's encoding/json writes them). */
function anyValueToRaw(v: AnyValueLike | null | undefined, depth: number): unknown {
  if (!v) return null;
  if (depth > MAX_VALUE_DEPTH)
    throw new ValueTooDeep(`an attribute value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  switch (kindOf(v)) {
    case 'stringValue':
      return wellFormed(String(v.stringValue ?? ''));
    case 'boolValue':
      return Boolean(v.boolValue);
    case 'intValue': {
      const s = intToString(v.intValue);
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : s;
    }
    case 'doubleValue':
      return Number(v.doubleValue);
    case 'bytesValue':
      return bytesToString(v.bytesValue);
    case 'arrayValue':
      return listOf(v.arrayValue?.values).map((x) => anyValueToRaw(x, depth + 1));
    case 'kvlistValue': {
      const entries = listOf(v.kvlistValue?.values).map(
        (kv) => [wellFormed(String(kv?.key ?? '')), anyValueToRaw(kv?.value, depth + 1)] as const,
      );
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries);
    }
    default:
      return null;
  }
}

/** int64 from protobufjs (Long), JSON (decimal string or number) or a bigint, in decimal. */
export function intToString(v: unknown): string {
  if (v === undefined || v === null) return '0';
  if (typeof v === 'string') return wellFormed(v);
  if (typeof v === 'number' || typeof v === 'bigint')
    return String(typeof v === 'number' ? Math.trunc(v) : v);
  return wellFormed(String(v));
}

/** Bytes in base64 (OTLP/JSON already carries them as base64 text). */
function bytesToString(v: unknown): string {
  if (typeof v === 'string') return wellFormed(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return '';
}

function doubleToString(n: number): string {
  if (Number.isNaN(n) || !Number.isFinite(n)) return `json: unsupported value: ${n}`;
  return String(n);
}

/** A repeated field as a list; OTLP/JSON from strangers may hold anything there. */
export function listOf<T>(values: T[] | null | undefined): T[] {
  return Array.isArray(values) ? values : [];
}

/** Attributes as the Map(String, String) the exporter writes (a null-prototype object: keys are data). */
export function attributesToMap(kvs: KeyValueLike[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const kv of listOf(kvs)) {
    if (kv && typeof kv === 'object' && kv.key) out[wellFormed(String(kv.key))] = anyValueToString(kv.value);
  }
  return out;
}
