import { describe, expect, it } from 'vitest';
import { normaliseVariables, resolveValues, type VariableDefinition } from './variables.ts';

const defs: VariableDefinition[] = [
  { name: 'query', type: 'string', required: true },
  { name: 'limit', type: 'number', required: false, default: 5 },
  { name: 'verbose', type: 'boolean', required: false },
  { name: 'context', type: 'json', required: false },
];

describe('variable declarations', () => {
  it('accepts plain names (the seed form) as required strings', () => {
    expect(normaliseVariables(['query']).definitions).toEqual([
      { name: 'query', type: 'string', required: true },
    ]);
  });

  it('reports a duplicate and a default of the wrong type', () => {
    const { problems } = normaliseVariables([
      'a',
      { name: 'a', type: 'string', required: true },
      { name: 'n', type: 'number', required: false, default: 'x' },
    ]);
    expect(problems).toEqual([
      { path: 'variables[1]', message: "'a' is declared twice" },
      { path: 'variables[2].default', message: 'expected a number, got string "x"' },
    ]);
  });
});

describe('resolving values', () => {
  it('turns typed values into text and applies defaults', () => {
    const r = resolveValues(defs, { query: 'otel?', verbose: true, context: { a: [1] } });
    expect(r).toEqual({
      ok: true,
      values: { query: 'otel?', limit: '5', verbose: 'true', context: '{"a":[1]}' },
    });
  });

  it('an optional variable without a default renders as empty text', () => {
    const r = resolveValues([{ name: 'x', type: 'string', required: false }], {});
    expect(r).toEqual({ ok: true, values: { x: '' } });
  });

  it.each([
    [{}, { missing: ['query'], unknown: [], wrongType: [] }],
    [
      { query: 'q', extra: 1 },
      { missing: [], unknown: ['extra'], wrongType: [] },
    ],
    [
      { query: 3, limit: '10' },
      {
        missing: [],
        unknown: [],
        wrongType: [
          { name: 'query', expected: 'string', message: 'expected a string, got number 3' },
          { name: 'limit', expected: 'number', message: 'expected a number, got string "10"' },
        ],
      },
    ],
    [{ query: null }, { missing: ['query'], unknown: [], wrongType: [] }],
  ])('refuses %j naming every problem', (input, problems) => {
    expect(resolveValues(defs, input)).toEqual({ ok: false, ...problems });
  });
});
