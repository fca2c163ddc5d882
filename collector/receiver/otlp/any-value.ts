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
      return goJson(v);
    default:
      return '';
  }
}

/**
 * An array or kvlist value as JSON text, as pdata's `AsString` writes it with Go's encoding/json: map keys sorted by
 * their UTF-8 bytes (a repeated key: the last one wins), `<`, `>`, `&`, U+2028 and U+2029 escaped as \\u…, -0 kept,
 * 64-bit integers exact, bytes in base64. A NaN or infinity anywhere inside makes Go's encoder fail, and the value
 * is then written as the empty string: so is it here.
 */
function goJson(v: AnyValueLike): string {
  try {
    return jsonOf(v, 0);
  } catch (error) {
    if (error instanceof UnsupportedNumber) return '';
    throw error;
  }
}

class UnsupportedNumber extends Error {}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

function jsonString(s: string): string {
  return JSON.stringify(wellFormed(s)).replace(
    HTML_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function jsonOf(v: AnyValueLike | null | undefined, depth: number): string {
  if (!v) return 'null';
  if (depth > MAX_VALUE_DEPTH)
    throw new ValueTooDeep(`an attribute value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  switch (kindOf(v)) {
    case 'stringValue':
      return jsonString(String(v.stringValue ?? ''));
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue': {
      const s = intToString(v.intValue);
      return /^-?\d+$/.test(s) ? s : jsonString(s);
    }
    case 'doubleValue': {
      const n = Number(v.doubleValue);
      if (!Number.isFinite(n)) throw new UnsupportedNumber();
      return es6Number(n);
    }
    case 'bytesValue':
      return jsonString(bytesToString(v.bytesValue));
    case 'arrayValue':
      return `[${listOf(v.arrayValue?.values)
        .map((x) => jsonOf(x, depth + 1))
        .join(',')}]`;
    case 'kvlistValue': {
      const byKey = new Map<string, AnyValueLike | null | undefined>();
      for (const kv of listOf(v.kvlistValue?.values)) byKey.set(wellFormed(String(kv?.key ?? '')), kv?.value);
      const keys = [...byKey.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      return `{${keys.map((k) => `${jsonString(k)}:${jsonOf(byKey.get(k), depth + 1)}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** A double as ES6 (and Go's encoding/json) writes it, keeping the sign of -0 as Go does. */
function es6Number(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
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
export function bytesToString(v: unknown): string {
  if (typeof v === 'string') return wellFormed(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return '';
}

/** pdata's text for a double: the JSON number, or Go's encoder error for NaN and the infinities. */
export function doubleToString(n: number): string {
  if (Number.isNaN(n)) return 'json: unsupported value: NaN';
  if (!Number.isFinite(n)) return `json: unsupported value: ${n > 0 ? '+Inf' : '-Inf'}`;
  return es6Number(n);
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
