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

export function anyValueToString(v: AnyValueLike | null | undefined): string {
  if (!v) return '';
  switch (kindOf(v)) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue':
      return intToString(v.intValue);
    case 'doubleValue':
      return doubleToString(Number(v.doubleValue));
    case 'bytesValue':
      return typeof v.bytesValue === 'string'
        ? v.bytesValue
        : Buffer.from(v.bytesValue ?? []).toString('base64');
    case 'arrayValue':
    case 'kvlistValue':
      return JSON.stringify(anyValueToRaw(v));
    default:
      return '';
  }
}

/** The value as plain JSON data (maps with sorted keys, as Go's encoding/json writes them). */
function anyValueToRaw(v: AnyValueLike | null | undefined): unknown {
  if (!v) return null;
  switch (kindOf(v)) {
    case 'stringValue':
      return v.stringValue ?? '';
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
      return typeof v.bytesValue === 'string'
        ? v.bytesValue
        : Buffer.from(v.bytesValue ?? []).toString('base64');
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValueToRaw);
    case 'kvlistValue': {
      const entries = (v.kvlistValue?.values ?? []).map(
        (kv) => [kv.key ?? '', anyValueToRaw(kv.value)] as const,
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
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint')
    return String(typeof v === 'number' ? Math.trunc(v) : v);
  return (v as { toString(): string }).toString();
}

function doubleToString(n: number): string {
  if (Number.isNaN(n) || !Number.isFinite(n)) return `json: unsupported value: ${n}`;
  return String(n);
}

/** Attributes as the Map(String, String) the exporter writes. */
export function attributesToMap(kvs: KeyValueLike[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!kvs) return out;
  for (const kv of kvs) if (kv.key) out[kv.key] = anyValueToString(kv.value);
  return out;
}
