import { describe, expect, it } from 'vitest';
import type { AnyValueLike } from './receiver/otlp/any-value.ts';
import { type SpanLike, toRows } from './receiver/otlp/spans-to-rows.ts';

/**
 * Values where our rows could differ from the official clickhouseexporter's (pdata `AsString`, Go's
 * encoding/json, pdata's enum `String()`, traceutil's id helpers). Each edge either writes what the exporter writes
 * (`matches`) or is a deliberate, documented difference.
 */

function rowOf(span: Partial<SpanLike>) {
  const { rows, rejected, problems } = toRows({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'golden' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'span',
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000001000000',
                ...span,
              },
            ],
          },
        ],
      },
    ],
  });
  expect({ rejected, problems }).toEqual({ rejected: 0, problems: [] });
  return rows[0]!;
}

const attribute = (value: AnyValueLike) => rowOf({ attributes: [{ key: 'v', value }] }).SpanAttributes.v;

describe('golden values: what the clickhouseexporter writes, we write', () => {
  it.each<[string, AnyValueLike, string]>([
    ['a double', { doubleValue: 0.1 }, '0.1'],
    ['a large double (ES6 exponent form)', { doubleValue: 1e21 }, '1e+21'],
    ['a small double (exponent without padding)', { doubleValue: 1e-7 }, '1e-7'],
    ['negative zero keeps its sign (strconv)', { doubleValue: -0 }, '-0'],
    ['+Inf (Go encoder error text)', { doubleValue: 'Infinity' as never }, 'json: unsupported value: +Inf'],
    ['-Inf', { doubleValue: '-Infinity' as never }, 'json: unsupported value: -Inf'],
    ['NaN', { doubleValue: 'NaN' as never }, 'json: unsupported value: NaN'],
    ['an int64 past 2^53, exact', { intValue: '9223372036854775807' }, '9223372036854775807'],
    ['bytes, base64', { bytesValue: 'AAEC' }, 'AAEC'],
    [
      'HTML characters and U+2028/U+2029 escaped inside arrays (Go escapes them, JSON.stringify does not)',
      { arrayValue: { values: [{ stringValue: '<a&b>\u2028\u2029' }] } },
      '["\\u003ca\\u0026b\\u003e\\u2028\\u2029"]',
    ],
    [
      'control characters inside arrays',
      { arrayValue: { values: [{ stringValue: '\u0001\b\f\n\t"\\' }] } },
      '["\\u0001\\b\\f\\n\\t\\"\\\\"]',
    ],
    [
      'map keys sorted by their UTF-8 bytes (not UTF-16 code units)',
      {
        kvlistValue: {
          values: [
            { key: 'b', value: { intValue: '1' } },
            { key: '😀', value: { intValue: '4' } },
            { key: '！', value: { intValue: '5' } },
            { key: 'ä', value: { intValue: '3' } },
            { key: 'a', value: { intValue: '2' } },
          ],
        },
      },
      '{"a":2,"b":1,"ä":3,"！":5,"😀":4}',
    ],
    [
      'a repeated map key: the last one wins (a Go map)',
      {
        kvlistValue: {
          values: [
            { key: 'k', value: { stringValue: 'first' } },
            { key: 'k', value: { stringValue: 'last' } },
          ],
        },
      },
      '{"k":"last"}',
    ],
    [
      'numbers inside arrays: -0, an exact int64, an exponent',
      {
        arrayValue: {
          values: [{ doubleValue: -0 }, { intValue: '-9223372036854775808' }, { doubleValue: 1e-7 }],
        },
      },
      '[-0,-9223372036854775808,1e-7]',
    ],
    [
      'an infinity anywhere inside an array: Go’s encoder fails and the value is empty',
      { arrayValue: { values: [{ stringValue: 'x' }, { doubleValue: 'Infinity' as never }] } },
      '',
    ],
    [
      'bytes inside an array, base64 strings',
      { arrayValue: { values: [{ bytesValue: 'AAEC' }, { boolValue: true }] } },
      '["AAEC",true]',
    ],
  ])('%s', (_, value, expected) => {
    expect(attribute(value)).toBe(expected);
  });

  it('an all-zero parent or link id is written "" (traceutil.SpanIDToHexOrEmptyString)', () => {
    const row = rowOf({
      parentSpanId: '0000000000000000',
      links: [{ traceId: '00000000000000000000000000000000', spanId: '0000000000000000' }],
    });
    expect([row.ParentSpanId, row['Links.TraceId'], row['Links.SpanId']]).toEqual(['', [''], ['']]);
  });

  it.each<[string, Partial<SpanLike>, string, string]>([
    ['kind and status by number', { kind: 3, status: { code: 2 } }, 'Client', 'Error'],
    [
      'kind and status by their OTLP/JSON names',
      { kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_OK' } },
      'Server',
      'Ok',
    ],
    ['no kind and no status', {}, 'Unspecified', 'Unset'],
    ['numbers OTLP does not define: "" (pdata String())', { kind: 9, status: { code: 7 } }, '', ''],
  ])('%s', (_, span, kind, status) => {
    const row = rowOf(span);
    expect([row.SpanKind, row.StatusCode]).toEqual([kind, status]);
  });

  it('deliberate difference: an unknown enum name in OTLP/JSON stores the span with "" (Go refuses the whole request)', () => {
    const row = rowOf({ kind: 'SPAN_KIND_TELEPORT' });
    expect(row.SpanKind).toBe('');
  });
});
