import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { compactRow } from '../../span-row.ts';
import { RowBuilder } from './spans-to-rows.ts';
import { decodeSpan, ExportTraceServiceRequest } from './trace-proto.ts';

/**
 * The receiver reads spans field by field (span-decoder.ts) instead of through protobufjs's message objects. Its
 * promise: for any bytes, the row (or the rejection, or the error) is exactly the one protobufjs's decoding gives.
 */

const Span = ExportTraceServiceRequest.root.lookupType('otlp.Span');

/** What a span's bytes become: its otel_traces line, the reason it was rejected, or the decoding error. */
function outcome(decode: (reader: protobuf.Reader) => unknown, bytes: Uint8Array): string {
  let line = '';
  const builder = new RowBuilder((row) => {
    line = compactRow(row);
  });
  const scope = builder.scope(builder.resource({ attributes: [] }), { name: 'scope' });
  try {
    builder.span(scope, decode(protobuf.Reader.create(bytes)) as never);
  } catch (error) {
    return `threw: ${(error as Error).message}`;
  }
  return line || `rejected: ${[...builder.problems].join('; ')}`;
}

const fast = (bytes: Uint8Array) => outcome((reader) => decodeSpan(reader, [0, bytes.length]), bytes);
const protobufjs = (bytes: Uint8Array) => outcome((reader) => Span.decode(reader, bytes.length), bytes);

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', 'gen_ai.usage.input_tokens', '\ud800', 'a\u0000b', '"<&>', '\u2028', '💥', 'é'),
);
const scalar = fc.oneof(
  text.map((s) => ({ stringValue: s })),
  fc.boolean().map((b) => ({ boolValue: b })),
  fc
    .oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.bigInt({ min: 0n, max: 2n ** 50n }),
      fc.constantFrom(0n, 127n, 128n, 2n ** 49n - 1n, 2n ** 49n, -1n),
    )
    .map((i) => ({ intValue: i.toString() })),
  fc
    .oneof(fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 0.1))
    .map((d) => ({ doubleValue: d })),
  fc.uint8Array({ maxLength: 6 }).map((b) => ({ bytesValue: b })),
  fc.constant({}),
);
const anyValue = fc.oneof(
  { weight: 6, arbitrary: scalar },
  fc.array(scalar, { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
  fc
    .array(fc.record({ key: text, value: scalar }), { maxLength: 3 })
    .map((values) => ({ kvlistValue: { values } })),
);
const attribute = fc.record({ key: text, value: anyValue }, { requiredKeys: ['key'] });
const id = (bytes: number) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.uint8Array({ minLength: bytes, maxLength: bytes }) },
    fc.uint8Array({ maxLength: 20 }),
  );
const nanos = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 1_700_000_000_000_000_000n),
);
const span = fc.record(
  {
    traceId: id(16),
    spanId: id(8),
    parentSpanId: id(8),
    traceState: text,
    name: text,
    kind: fc.integer({ min: -2, max: 7 }),
    startTimeUnixNano: nanos.map(String),
    endTimeUnixNano: nanos.map(String),
    attributes: fc.array(attribute, { maxLength: 12 }),
    droppedAttributesCount: fc.nat(),
    events: fc.array(
      fc.record({
        timeUnixNano: nanos.map(String),
        name: text,
        attributes: fc.array(attribute, { maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
    links: fc.array(
      fc.record({ traceId: id(16), spanId: id(8), attributes: fc.array(attribute, { maxLength: 2 }) }),
      { maxLength: 2 },
    ),
    status: fc.record({ code: fc.integer({ min: 0, max: 3 }), message: text }),
    flags: fc.nat(),
  },
  { requiredKeys: ['traceId', 'spanId', 'startTimeUnixNano', 'endTimeUnixNano'] },
);
const encoded = span.map((s) => Span.encode(Span.fromObject(s)).finish());

describe('reading a span field by field', () => {
  it('gives exactly the row protobufjs gives, for spans of every shape', () => {
    fc.assert(
      fc.property(encoded, (bytes) => {
        expect(fast(bytes)).toBe(protobufjs(bytes));
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives exactly what protobufjs gives (row, rejection or error) for damaged bytes', () => {
    const damaged = fc
      .tuple(
        encoded,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat(),
      )
      .map(([bytes, flips, cut]) => {
        const copy = Uint8Array.from(bytes);
        for (const [at, value] of flips) if (copy.length > 0) copy[at % copy.length] = value;
        return copy.subarray(0, copy.length - (cut % 3 === 0 ? cut % Math.max(1, copy.length) : 0));
      });
    fc.assert(
      fc.property(damaged, (bytes) => {
        expect(fast(bytes)).toBe(protobufjs(bytes));
      }),
      { numRuns: 3_000 },
    );
  });

  it('reads the spans the sdk and the OTel exporters send without protobufjs', () => {
    const bytes = Span.encode(
      Span.fromObject({
        traceId: new Uint8Array(16).fill(1),
        spanId: new Uint8Array(8).fill(2),
        name: 'chat gemini-2.5-flash',
        kind: 3,
        startTimeUnixNano: '1700000000000000000',
        endTimeUnixNano: '1700000000250000000',
        attributes: [
          { key: 'gen_ai.request.model', value: { stringValue: 'gemini-2.5-flash' } },
          { key: 'gen_ai.usage.input_tokens', value: { intValue: '1200' } },
          { key: 'gen_ai.request.temperature', value: { doubleValue: 0.2 } },
          { key: 'promptscope.cache_hit', value: { boolValue: false } },
        ],
        status: { code: 1 },
      }),
    ).finish();
    const read = decodeSpan(protobuf.Reader.create(bytes), [0, bytes.length]) as { attributeMap?: object };
    expect(read.attributeMap).toEqual({
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.usage.input_tokens': '1200',
      'gen_ai.request.temperature': '0.2',
      'promptscope.cache_hit': 'false',
    });
    expect(fast(bytes)).toBe(protobufjs(bytes));
  });
});
