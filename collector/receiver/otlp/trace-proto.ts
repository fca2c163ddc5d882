import protobuf from 'protobufjs';
import { ANY_VALUE_KINDS, MAX_VALUE_DEPTH } from './any-value.ts';
import { decodeSpanFast } from './span-decoder.ts';
import type { SpanLike } from './spans-to-rows.ts';

/**
 * The OTLP trace messages a receiver decodes, written from the opentelemetry-proto v1.x wire contract (field
 * names, numbers and types) as a protobufjs descriptor. Enums are plain int32 on the wire.
 */
const descriptor = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: {
          fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } },
        },
        ExportTraceServiceResponse: {
          fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } },
        },
        ExportTracePartialSuccess: {
          fields: { rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } },
        },
        RpcStatus: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        ScopeSpans: {
          fields: {
            scope: { type: 'InstrumentationScope', id: 1 },
            spans: { rule: 'repeated', type: 'Span', id: 2 },
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            parentSpanId: { type: 'bytes', id: 4 },
            flags: { type: 'fixed32', id: 16 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            droppedAttributesCount: { type: 'uint32', id: 10 },
            events: { rule: 'repeated', type: 'Event', id: 11 },
            droppedEventsCount: { type: 'uint32', id: 12 },
            links: { rule: 'repeated', type: 'Link', id: 13 },
            droppedLinksCount: { type: 'uint32', id: 14 },
            status: { type: 'Status', id: 15 },
          },
        },
        Event: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            name: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        Link: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 4 },
            droppedAttributesCount: { type: 'uint32', id: 5 },
            flags: { type: 'fixed32', id: 6 },
          },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        Resource: {
          fields: {
            attributes: { rule: 'repeated', type: 'KeyValue', id: 1 },
            droppedAttributesCount: { type: 'uint32', id: 2 },
          },
        },
        InstrumentationScope: {
          fields: {
            name: { type: 'string', id: 1 },
            version: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [...ANY_VALUE_KINDS],
            },
          },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
      },
    },
  },
};

// Invalid UTF-8 in a string field is read leniently (as U+FFFD) instead of failing the whole request: the spans
// around it are still worth storing, and the converter writes only well-formed text. (Each message type read from
// JSON is proto3, which verifies, so the feature is set per type.)
for (const type of Object.values(descriptor.nested.otlp.nested) as { options?: object }[])
  type.options = { features: { utf8_validation: 'NONE' } };

const root = protobuf.Root.fromJSON(descriptor);

/**
 * protobufjs refuses messages nested more than 100 deep (protoc's default); an AnyValue array is two message levels
 * per nesting level and a span's attribute sits 6 levels down, so 50 nested arrays, which OTLP allows, would fail
 * the whole request. Allow what the converter accepts (MAX_VALUE_DEPTH), plus headroom for the envelope.
 */
const recursionLimit = 2 * MAX_VALUE_DEPTH + 16;
protobuf.Reader.recursionLimit = Math.max(protobuf.Reader.recursionLimit, recursionLimit);
protobuf.util.recursionLimit = Math.max(protobuf.util.recursionLimit, recursionLimit);

export const ExportTraceServiceRequest = root.lookupType('otlp.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('otlp.ExportTraceServiceResponse');
export const RpcStatus = root.lookupType('otlp.RpcStatus');

const Resource = root.lookupType('otlp.Resource');
const InstrumentationScope = root.lookupType('otlp.InstrumentationScope');
const Span = root.lookupType('otlp.Span');

/** Where each length-delimited field of a message lies, by field number; other fields are skipped. */
function fieldRanges(reader: protobuf.Reader, start: number, end: number): Map<number, [number, number][]> {
  const ranges = new Map<number, [number, number][]>();
  reader.pos = start;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 0) throw new Error(`invalid field number 0 at byte ${reader.pos}`);
    if ((tag & 7) !== 2) {
      reader.skipType(tag & 7);
      continue;
    }
    const length = reader.uint32();
    const from = reader.pos;
    if (from + length > end) throw new Error(`a field runs past the end of its message at byte ${from}`);
    const list = ranges.get(tag >>> 3);
    if (list) list.push([from, from + length]);
    else ranges.set(tag >>> 3, [[from, from + length]]);
    reader.pos = from + length;
  }
  if (reader.pos !== end) throw new Error(`a message runs past its length at byte ${end}`);
  return ranges;
}

function decodeAt(type: protobuf.Type, reader: protobuf.Reader, [from, to]: [number, number]) {
  reader.pos = from;
  return type.decode(reader, to - from);
}

const fastTypes = {
  AnyValue: root.lookupType('otlp.AnyValue'),
  Event: root.lookupType('otlp.Event'),
  Link: root.lookupType('otlp.Link'),
  Status: root.lookupType('otlp.Status'),
};

/** A span by the fast path where its bytes are in the usual shape, else by protobufjs (which decides on odd bytes). */
export function decodeSpan(
  reader: protobuf.Reader,
  [from, to]: [number, number],
): protobuf.Message | SpanLike {
  // Read within the span's own bytes, as protobufjs does (it narrows the reader's end to a message's while it reads
  // one, and leaves it narrowed when that throws).
  const len = reader.len;
  try {
    reader.len = to;
    const span = decodeSpanFast(reader, from, to, fastTypes);
    if (span) return span;
  } catch {
    // The same bytes again through protobufjs: it throws (or reads) exactly as it always did.
  } finally {
    reader.len = len;
  }
  return decodeAt(Span, reader, [from, to]);
}

export interface SpanVisitor<R, S> {
  resource(resource: protobuf.Message | undefined): R;
  scope(resource: R, scope: protobuf.Message | undefined): S;
  span(scope: S, span: protobuf.Message | SpanLike): void;
}

/**
 * Decodes a protobuf ExportTraceServiceRequest one span at a time: only one span's decoded objects are alive at
 * once, so a 20 MB request does not become hundreds of MB of heap at the same moment. A resource or scope is
 * decoded before its spans wherever it lies in the message. Throws on bytes that are not a valid request.
 */
export function forEachProtobufSpan<R, S>(body: Uint8Array, visit: SpanVisitor<R, S>): void {
  const reader = protobuf.Reader.create(body);
  for (const resourceSpans of fieldRanges(reader, 0, body.length).get(1) ?? []) {
    const rs = fieldRanges(reader, ...resourceSpans);
    const resourceAt = rs.get(1)?.at(-1);
    const resource = visit.resource(resourceAt && decodeAt(Resource, reader, resourceAt));
    for (const scopeSpans of rs.get(2) ?? []) {
      const ss = fieldRanges(reader, ...scopeSpans);
      const scopeAt = ss.get(1)?.at(-1);
      const scope = visit.scope(resource, scopeAt && decodeAt(InstrumentationScope, reader, scopeAt));
      for (const spanAt of ss.get(2) ?? []) visit.span(scope, decodeSpan(reader, spanAt));
    }
  }
}
