import type protobuf from 'protobufjs';
import {
  type AnyValueLike,
  anyValueToString,
  bytesToString,
  doubleToString,
  wellFormed,
} from './any-value.ts';
import type { SpanLike } from './spans-to-rows.ts';

/** protobufjs 8's reader: `tag` and `size` check a tag's and a length's encoding as its generated decoders do. */
type Reader = protobuf.Reader & { tag(): number; size(): number };

/**
 * A Span message read field by field into what the row builder needs, without protobufjs's message objects: one
 * KeyValue and one AnyValue object per attribute, a Long per timestamp, and a second pass turning the attributes
 * into a map were most of the receiver's time and garbage. Scalar attribute values (string, bool, int, double,
 * bytes) are turned into their text here, exactly as `anyValueToString` does; arrays, kvlists, events, links and the
 * status are decoded by protobufjs as before.
 *
 * Only the encoding a conforming sender writes is read here: any field with an unexpected wire type, or an
 * attribute value that is not exactly one scalar, returns undefined and the caller decodes the whole span with
 * protobufjs, so a stranger's odd bytes give exactly what they gave before.
 */
export function decodeSpanFast(
  reader: protobuf.Reader,
  from: number,
  to: number,
  types: { AnyValue: protobuf.Type; Event: protobuf.Type; Link: protobuf.Type; Status: protobuf.Type },
): SpanLike | undefined {
  const span: SpanLike & { attributeMap: Record<string, string> } = {
    attributeMap: Object.create(null) as Record<string, string>,
  };
  reader.pos = from;
  while (reader.pos < to) {
    const tag = (reader as Reader).tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
      case 2:
      case 4: {
        if (wire !== 2) return undefined;
        const bytes = reader.bytes();
        if (field === 1) span.traceId = bytes;
        else if (field === 2) span.spanId = bytes;
        else span.parentSpanId = bytes;
        break;
      }
      case 3:
      case 5:
        if (wire !== 2) return undefined;
        if (field === 3) span.traceState = reader.string();
        else span.name = reader.string();
        break;
      case 6:
        if (wire !== 0) return undefined;
        span.kind = reader.int32();
        break;
      case 7:
      case 8: {
        if (wire !== 1) return undefined;
        const low = reader.fixed32();
        const nanos = (BigInt(reader.fixed32()) << 32n) | BigInt(low);
        if (field === 7) span.startTimeUnixNano = nanos;
        else span.endTimeUnixNano = nanos;
        break;
      }
      case 9: {
        if (wire !== 2) return undefined;
        const end = (reader as Reader).size() + reader.pos;
        if (end > to || !readAttribute(reader, end, span.attributeMap, types.AnyValue)) return undefined;
        break;
      }
      case 11:
      case 13: {
        if (wire !== 2) return undefined;
        const length = (reader as Reader).size();
        const message = (field === 11 ? types.Event : types.Link).decode(reader, length);
        if (field === 11) {
          span.events ??= [];
          span.events.push(message as NonNullable<SpanLike['events']>[number]);
        } else {
          span.links ??= [];
          span.links.push(message as NonNullable<SpanLike['links']>[number]);
        }
        break;
      }
      case 15:
        if (wire !== 2) return undefined;
        span.status = types.Status.decode(reader, (reader as Reader).size()) as SpanLike['status'];
        break;
      case 10:
      case 12:
      case 14:
        // Dropped counts: not stored.
        if (wire !== 0) return undefined;
        reader.skipType(wire);
        break;
      case 0:
        return undefined;
      default:
        // Flags and fields a newer OTLP adds: not stored. (A group must end with its own field number, as
        // protobufjs checks when it is told the number.)
        if (field === 16 && wire !== 5) return undefined;
        (reader.skipType as (wire: number, depth: number, field: number) => void)(wire, 0, field);
    }
  }
  return reader.pos === to ? span : undefined;
}

/** Reads one KeyValue into `map`; false when it is not in the shape the fast path reads. */
function readAttribute(
  reader: protobuf.Reader,
  end: number,
  map: Record<string, string>,
  AnyValue: protobuf.Type,
): boolean {
  let key = '';
  let value = '';
  let seenValue = false;
  while (reader.pos < end) {
    const tag = (reader as Reader).tag();
    if ((tag & 7) !== 2) return false;
    if (tag >>> 3 === 1) {
      key = reader.string();
    } else if (tag >>> 3 === 2) {
      if (seenValue) return false;
      seenValue = true;
      const valueEnd = (reader as Reader).size() + reader.pos;
      if (valueEnd > end) return false;
      const text = readScalar(reader, valueEnd, AnyValue);
      if (text === undefined) return false;
      value = text;
    } else {
      return false;
    }
  }
  if (reader.pos !== end) return false;
  // As attributesToMap: a KeyValue without a key is not stored; a repeated key keeps its last value.
  if (key) map[wellFormed(key)] = value;
  return true;
}

/** An AnyValue of exactly one scalar member as pdata's AsString writes it; arrays and kvlists via protobufjs. */
function readScalar(reader: protobuf.Reader, end: number, AnyValue: protobuf.Type): string | undefined {
  if (reader.pos === end) return '';
  const start = reader.pos;
  const tag = (reader as Reader).tag();
  const wire = tag & 7;
  let text: string;
  switch (tag >>> 3) {
    case 1:
      if (wire !== 2) return undefined;
      text = wellFormed(reader.string());
      break;
    case 2:
      if (wire !== 0) return undefined;
      text = reader.bool() ? 'true' : 'false';
      break;
    case 3:
      if (wire !== 0) return undefined;
      text = readInt64Text(reader);
      break;
    case 4:
      if (wire !== 1) return undefined;
      text = doubleToString(reader.double());
      break;
    case 7:
      if (wire !== 2) return undefined;
      text = bytesToString(reader.bytes());
      break;
    case 5:
    case 6: {
      if (wire !== 2) return undefined;
      reader.pos = start;
      text = anyValueToString(AnyValue.decode(reader, end - start) as AnyValueLike);
      break;
    }
    default:
      return undefined;
  }
  // A second member (or anything else) after the first: protobufjs's reading of it decides.
  return reader.pos === end ? text : undefined;
}

/**
 * An int64 varint in decimal, as Long#toString writes it: values up to 2^49 (token counts, sizes, ids) are read as
 * plain numbers, exactly; longer varints (large and negative values) through protobufjs's Long.
 */
function readInt64Text(reader: protobuf.Reader): string {
  const buf = reader.buf;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const byte = buf[reader.pos + i];
    if (byte === undefined) break;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      reader.pos += i + 1;
      return String(value);
    }
    scale *= 128;
  }
  return reader.int64().toString();
}
