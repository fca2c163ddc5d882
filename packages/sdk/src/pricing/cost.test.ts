import { describe, expect, it } from 'vitest';
import { loadPriceCatalog } from './catalog.ts';
import { computeCost } from './cost.ts';
import { costOfTokens, formatDecimal, parseDecimal } from './decimal.ts';
import { normaliseModelName } from './model-name.ts';
import { bucketsFromGemini, bucketsFromSemconv } from './usage.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const catalog = loadPriceCatalog();

describe('decimal money', () => {
  it.each([
    ['0.075', '0.075'],
    ['12', '12'],
    ['0.000000000001', '0.000000000001'],
    ['10.50', '10.5'],
  ])('round-trips %s exactly', (text, formatted) => {
    expect(formatDecimal(parseDecimal(text))).toBe(formatted);
  });

  it('adds what floats get wrong', () => {
    expect(formatDecimal(parseDecimal('0.1') + parseDecimal('0.2'))).toBe('0.3');
  });

  it('prices a token count per million exactly', () => {
    expect(formatDecimal(costOfTokens(1_250, parseDecimal('0.075')))).toBe('0.00009375');
    expect(formatDecimal(costOfTokens(3, parseDecimal('0.0375')))).toBe('0.0000001125');
  });

  it('refuses what is not a decimal amount', () => {
    expect(() => parseDecimal('1e-6')).toThrow('not a decimal amount');
    expect(() => parseDecimal('-1')).toThrow('not a decimal amount');
  });
});

describe('Gemini usage buckets', () => {
  it('splits promptTokenCount (cached included) and adds thinking to output', () => {
    expect(
      bucketsFromGemini({
        promptTokenCount: 1000,
        cachedContentTokenCount: 300,
        candidatesTokenCount: 200,
        thoughtsTokenCount: 50,
        totalTokenCount: 1250,
      }),
    ).toEqual({
      inputUncached: 700,
      cacheRead: 300,
      cacheWrite: 0,
      output: 250,
      reasoning: 50,
      promptTotal: 1000,
    });
  });

  it('reads semantic-convention counts where input includes cache reads and output includes reasoning', () => {
    expect(
      bucketsFromSemconv({ inputTokens: 1000, cacheReadTokens: 300, outputTokens: 250, reasoningTokens: 50 }),
    ).toEqual({
      inputUncached: 700,
      cacheRead: 300,
      cacheWrite: 0,
      output: 250,
      reasoning: 50,
      promptTotal: 1000,
    });
  });

  it.each([
    // [case, input, cache read, cache write] → [uncached, prompt total]
    ['cache writes inside the input, as the conventions and OpenLLMetry count', 1000, 300, 200, 500, 1000],
    ['cache counts apart from the input, as Anthropic’s API counts', 20, 3000, 500, 20, 3520],
    ['no cache at all', 800, 0, 0, 800, 800],
  ])('%s', (_case, inputTokens, cacheReadTokens, cacheWriteTokens, uncached, total) => {
    expect(
      bucketsFromSemconv({ inputTokens, cacheReadTokens, cacheWriteTokens, outputTokens: 10 }),
    ).toMatchObject({
      inputUncached: uncached,
      cacheRead: cacheReadTokens,
      cacheWrite: cacheWriteTokens,
      promptTotal: total,
    });
  });
});

describe('model names', () => {
  it.each([
    'gemini-2.5-flash',
    'models/gemini-2.5-flash',
    'publishers/google/models/gemini-2.5-flash',
    'projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash-001',
    'google/gemini-2.5-flash',
    'Gemini-2.5-Flash@001',
  ])('normalises %s', (name) => {
    expect(normaliseModelName(name)).toBe('gemini-2.5-flash');
  });
});

describe('cost', () => {
  it("reproduces the seed's figures ($0.075/M input, $0.30/M output) as a custom price entry", () => {
    const seed = loadPriceCatalog({
      withoutBuiltIn: true,
      overrides: [
        {
          id: 'seed-flat-rate',
          providers: ['*'],
          models: ['gemini-2.5-flash'],
          effective_from: '2024-01-01',
          tiers: [{ input: '0.075', output: '0.30' }],
          source: 'seed application constants',
        },
      ],
    });
    const cost = computeCost(seed, {
      provider: 'vertex_ai',
      model: 'gemini-2.5-flash',
      usage: bucketsFromGemini({ promptTokenCount: 1250, candidatesTokenCount: 400 }),
      at: NOW,
    });
    // 1,250 × 0.075 / 1M + 400 × 0.30 / 1M = 0.00009375 + 0.00012
    expect(cost).toMatchObject({
      status: 'priced',
      amount: '0.00021375',
      currency: 'USD',
      priceId: 'seed-flat-rate',
    });
  });

  it('prices a long-context, cached, thinking gemini-2.5-pro call at the >200k tier, bucket by bucket', () => {
    const usage = bucketsFromGemini({
      promptTokenCount: 250_000,
      cachedContentTokenCount: 100_000,
      candidatesTokenCount: 2_000,
      thoughtsTokenCount: 3_000,
    });
    const cost = computeCost(catalog, {
      provider: 'gcp.vertex_ai',
      model: 'publishers/google/models/gemini-2.5-pro',
      usage,
      at: NOW,
    });
    // 150,000 × 2.50 + 100,000 × 0.25 + 5,000 × 15.00 (per 1M); the breakdown is read on demand, and in JSON
    expect(JSON.parse(JSON.stringify(cost))).toEqual({
      status: 'priced',
      amount: '0.475',
      currency: 'USD',
      priceId: 'gemini-2.5-pro',
      catalog: 'promptscope@2026-11-25',
      tier: 1,
      breakdown: { input: '0.375', cache_read: '0.025', cache_write: '0', output: '0.075', reasoning: '0' },
    });
  });

  it('uses the base tier up to 200k prompt tokens', () => {
    const usage = bucketsFromGemini({
      promptTokenCount: 120_000,
      cachedContentTokenCount: 20_000,
      candidatesTokenCount: 1_000,
      thoughtsTokenCount: 500,
    });
    const cost = computeCost(catalog, { provider: 'gcp.gemini', model: 'gemini-2.5-pro', usage, at: NOW });
    expect(cost).toMatchObject({
      amount: '0.1425',
      tier: 0,
      breakdown: { input: '0.125', cache_read: '0.0025', output: '0.015' },
    });
  });

  it('an unknown model is unpriced, never $0', () => {
    const cost = computeCost(catalog, {
      provider: 'gcp.gemini',
      model: 'gemini-9-ultra',
      usage: bucketsFromGemini({ promptTokenCount: 10 }),
      at: NOW,
    });
    expect(cost).toEqual({
      status: 'unpriced',
      reason: "no price for model 'gemini-9-ultra' (provider 'gcp.gemini')",
    });
  });

  it('cached tokens on a model with no cache-read price are unpriced, not free', () => {
    const usage = bucketsFromGemini({
      promptTokenCount: 100,
      cachedContentTokenCount: 50,
      candidatesTokenCount: 10,
    });
    const cost = computeCost(catalog, {
      provider: 'gcp.gemini',
      model: 'gemini-2.0-flash-lite',
      usage,
      at: NOW,
    });
    expect(cost.status).toBe('unpriced');
  });

  it('a price applies only from its effective date; the newest one valid at call time wins', () => {
    const dated = loadPriceCatalog({
      withoutBuiltIn: true,
      overrides: [
        {
          id: 'old',
          providers: ['*'],
          models: ['m'],
          effective_from: '2025-01-01',
          tiers: [{ input: '1', output: '1' }],
          source: 'x',
        },
        {
          id: 'new',
          providers: ['*'],
          models: ['m'],
          effective_from: '2026-01-01',
          tiers: [{ input: '2', output: '2' }],
          source: 'x',
        },
      ],
    });
    const usage = bucketsFromGemini({ promptTokenCount: 1_000_000 });
    expect(
      computeCost(dated, { provider: 'p', model: 'm', usage, at: Date.parse('2025-06-01') }),
    ).toMatchObject({ priceId: 'old', amount: '1' });
    expect(computeCost(dated, { provider: 'p', model: 'm', usage, at: NOW })).toMatchObject({
      priceId: 'new',
      amount: '2',
    });
    expect(
      computeCost(dated, { provider: 'p', model: 'm', usage, at: Date.parse('2024-06-01') }).status,
    ).toBe('unpriced');
  });

  it('every shipped price names its source and is valid', () => {
    for (const e of catalog.entries) expect(e.source).toMatch(/^https:\/\//);
    expect(catalog.entries.map((e) => e.id)).toEqual(
      expect.arrayContaining([
        'gemini-3-pro-preview',
        'gemini-3-flash-preview',
        'gemini-2.5-pro',
        'gemini-2.5-flash',
        'gemini-2.5-flash-lite',
        'gemini-2.0-flash',
      ]),
    );
  });

  it('rejects a malformed catalog naming the field', () => {
    expect(() =>
      loadPriceCatalog({
        overrides: [
          {
            id: 'x',
            providers: ['*'],
            models: ['m'],
            effective_from: '2025-01-01',
            tiers: [{ input: '0.1e2', output: '1' }],
            source: 'x',
          },
        ],
      }),
    ).toThrow(/prices\.0\.tiers\.0\.input/);
  });
});
