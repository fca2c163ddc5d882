import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPriceCatalog } from './catalog.ts';
import { computeCost } from './cost.ts';
import { formatDecimal, parseDecimal } from './decimal.ts';
import { compileMatch, secondOfDay, withDashedDate } from './reference.ts';
import { bucketsFromSemconv } from './usage.ts';

const catalog = loadPriceCatalog();
const at = Date.parse('2026-11-20T12:00:00Z');

/**
 * The catalog's prices per 1M tokens, read back through the arithmetic: what 100,000 tokens in each bucket cost, times
 * ten (a small prompt, so the base tier).
 */
function perMillion(provider: string, model: string, when = at) {
  const price = (usage: Parameters<typeof bucketsFromSemconv>[0]) => {
    const cost = computeCost(catalog, { provider, model, usage: bucketsFromSemconv(usage), at: when });
    return cost.status === 'priced' ? formatDecimal(parseDecimal(cost.amount) * 10n) : cost.reason;
  };
  return {
    input: price({ inputTokens: 100_000 }),
    cache_read: price({ inputTokens: 100_000, cacheReadTokens: 100_000 }),
    output: price({ outputTokens: 100_000 }),
  };
}

describe('the reference catalog against the providers’ published prices (USD per 1M tokens, checked 2026-12)', () => {
  it.each([
    // provider, model as instrumentations send it, input, cached input, output, published at
    ['openai', 'gpt-4o', '2.5', '1.25', '10', 'https://openai.com/api/pricing/'],
    ['openai', 'gpt-4o-mini-2024-07-18', '0.15', '0.075', '0.6', 'https://openai.com/api/pricing/'],
    ['openai', 'gpt-4.1', '2', '0.5', '8', 'https://openai.com/api/pricing/'],
    ['openai', 'o3-mini', '1.1', '0.55', '4.4', 'https://openai.com/api/pricing/'],
    ['openai', 'gpt-5', '1.25', '0.125', '10', 'https://openai.com/api/pricing/'],
    ['anthropic', 'claude-3-5-haiku-20241022', '0.8', '0.08', '4', 'https://www.anthropic.com/pricing#api'],
    ['anthropic', 'claude-sonnet-4-5-20250929', '3', '0.3', '15', 'https://www.anthropic.com/pricing#api'],
    ['anthropic', 'claude-opus-4-1-20250805', '15', '1.5', '75', 'https://www.anthropic.com/pricing#api'],
    [
      'aws.bedrock',
      'anthropic.claude-3-5-sonnet-20241022-v2:0',
      '3',
      '0.3',
      '15',
      'https://aws.amazon.com/bedrock/pricing/',
    ],
    ['gcp.gemini', 'gemini-2.5-flash', '0.3', '0.03', '2.5', 'https://ai.google.dev/gemini-api/docs/pricing'],
  ])('%s %s: input %s, cached %s, output %s (%s)', (provider, model, input, cached, output) => {
    expect(perMillion(provider, model)).toEqual({ input, cache_read: cached, output });
  });

  it('Anthropic’s long-context tier: a prompt over 200k tokens is priced at $6 / $22.50, cache writes at $7.50', () => {
    const usage = bucketsFromSemconv({
      inputTokens: 250_000,
      cacheWriteTokens: 100_000,
      cacheReadTokens: 50_000,
      outputTokens: 2_000,
    });
    const cost = computeCost(catalog, { provider: 'anthropic', model: 'claude-sonnet-4-5', usage, at });
    // 100,000 × 6 + 100,000 × 7.5 + 50,000 × 0.6 + 2,000 × 22.5, per 1M
    expect(cost).toMatchObject({ status: 'priced', amount: '1.425', priceId: 'anthropic/claude-sonnet-4-5' });
    expect(cost.status === 'priced' && cost.catalog).toMatch(/^genai-prices@\d+\.\d+\.\d+$/);
  });
});

describe('model names as providers write them', () => {
  it.each([
    ['openai', 'gpt-4o-2024-08-06', 'openai/gpt-4o'],
    ['openai', 'openai/gpt-4o', 'openai/gpt-4o'],
    ['anthropic', 'claude-3-5-sonnet-20241022', 'anthropic/claude-3-5-sonnet'],
    ['anthropic', 'Claude-3-5-Sonnet-Latest', 'anthropic/claude-3-5-sonnet'],
    [
      'aws.bedrock',
      'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      'aws/regional.anthropic.claude-3-5-sonnet-20241022-v2:0',
    ],
    // OpenLLMetry's Bedrock spans: gen_ai.system "AWS", the model without its vendor
    ['AWS', 'claude-3-5-sonnet-20241022-v2:0', 'aws/regional.anthropic.claude-3-5-sonnet-20241022-v2:0'],
    ['aws.bedrock', 'meta.llama3-70b-instruct-v1:0', 'aws/meta.llama3-70b-instruct-v1:0'],
    // Azure deployments name models as OpenAI does; what Azure's own list lacks comes from OpenAI's
    ['azure.ai.openai', 'gpt-4o', 'openai/gpt-4o'],
    ['az.ai.openai', 'gpt-4o-mini', 'openai/gpt-4o-mini'],
    ['azure.ai.openai', 'text-embedding-ada-002', 'azure/ada'],
    [
      'gcp.vertex_ai',
      'publishers/anthropic/models/claude-3-5-sonnet-v2@20241022',
      'google/claude-3-5-sonnet',
    ],
    ['mistral', 'mistral-large-latest', 'mistral/mistral-large'],
    // No provider name at all: the model's name says whose it is
    ['', 'claude-3-haiku-20240307', 'anthropic/claude-3-haiku'],
  ])('%s / %s is priced by %s', (provider, model, id) => {
    expect(catalog.find(provider, model, at)?.id).toBe(id);
  });

  it('our own Google entries come before the reference data', () => {
    expect(catalog.find('gcp.gemini', 'gemini-2.5-flash', at)?.catalog).toMatch(/^promptscope@/);
  });

  it('an override wins over the reference data', () => {
    const withOverride = loadPriceCatalog({
      overrides: [
        {
          id: 'negotiated-gpt-4o',
          providers: ['openai'],
          models: ['gpt-4o'],
          effective_from: '2024-01-01',
          tiers: [{ input: '2.00', output: '8.00' }],
          source: 'our contract',
        },
      ],
    });
    expect(withOverride.find('openai', 'gpt-4o', at)?.id).toBe('negotiated-gpt-4o');
    expect(withOverride.find('openai', 'gpt-4o-mini', at)?.id).toBe('openai/gpt-4o-mini');
  });

  it('a model nobody prices stays unpriced', () => {
    expect(catalog.find('openai', 'gpt-99-imaginary', at)).toBeUndefined();
    expect(catalog.find('acme-llm', 'acme-1', at)).toBeUndefined();
  });
});

describe('prices in force at the call’s time', () => {
  it('o3 before and after OpenAI’s price cut of 2025-06-10', () => {
    const usage = bucketsFromSemconv({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
    const before = computeCost(catalog, {
      provider: 'openai',
      model: 'o3',
      usage,
      at: Date.parse('2025-06-09T23:59:59Z'),
    });
    const after = computeCost(catalog, {
      provider: 'openai',
      model: 'o3',
      usage,
      at: Date.parse('2025-06-10T00:00:00Z'),
    });
    expect(before).toMatchObject({ amount: '50' });
    expect(after).toMatchObject({ amount: '10' });
  });

  it.each([
    // DeepSeek's standard price holds 00:30–16:30 UTC; the discount the rest of the day
    ['2026-11-20T00:29:59Z', '0.135'],
    ['2026-11-20T00:30:00Z', '0.27'],
    ['2026-11-20T16:29:59Z', '0.27'],
    ['2026-11-20T16:30:00Z', '0.135'],
  ])('deepseek-chat at %s: $%s per 1M input tokens', (time, amount) => {
    const usage = bucketsFromSemconv({ inputTokens: 1_000_000 });
    expect(
      computeCost(catalog, { provider: 'deepseek', model: 'deepseek-chat', usage, at: Date.parse(time) }),
    ).toMatchObject({ amount });
  });
});

describe('service tiers', () => {
  const flex = loadPriceCatalog({
    overrides: [
      {
        id: 'openai-flex/gpt-4o-mini',
        providers: ['openai'],
        models: ['gpt-4o-mini'],
        effective_from: '2025-01-01',
        service_tier: 'flex',
        tiers: [{ input: '0.075', cache_read: '0.0375', output: '0.30' }],
        source: 'https://platform.openai.com/docs/guides/flex-processing',
      },
    ],
  });
  const usage = bucketsFromSemconv({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
  it.each([
    ['flex', 'openai-flex/gpt-4o-mini', '0.375'],
    ['FLEX', 'openai-flex/gpt-4o-mini', '0.375'],
    ['default', 'openai/gpt-4o-mini', '0.75'],
    ['auto', 'openai/gpt-4o-mini', '0.75'],
    [undefined, 'openai/gpt-4o-mini', '0.75'],
  ])('a call served at %s is priced by %s: $%s', (serviceTier, priceId, amount) => {
    expect(
      computeCost(flex, { provider: 'openai', model: 'gpt-4o-mini', usage, at, serviceTier }),
    ).toMatchObject({
      priceId,
      amount,
    });
  });

  it('a tier nobody prices is unpriced, saying which tier, never the standard price', () => {
    expect(
      computeCost(flex, { provider: 'openai', model: 'gpt-4o-mini', usage, at, serviceTier: 'priority' }),
    ).toEqual({
      status: 'unpriced',
      reason: "no 'priority' service tier price for model 'gpt-4o-mini' (provider 'openai')",
    });
  });
});

describe('cache writes and reasoning', () => {
  it('a cache write on a model without a cache-write price is unpriced, never $0', () => {
    const usage = bucketsFromSemconv({ inputTokens: 1000, cacheWriteTokens: 500 });
    expect(computeCost(catalog, { provider: 'openai', model: 'gpt-4o', usage, at })).toMatchObject({
      status: 'unpriced',
      reason: expect.stringContaining('cache-write'),
    });
  });

  it('reasoning tokens are output unless a model prices them apart', () => {
    const usage = bucketsFromSemconv({ outputTokens: 1_000_000, reasoningTokens: 400_000 });
    expect(computeCost(catalog, { provider: 'openai', model: 'o3-mini', usage, at })).toMatchObject({
      amount: '4.4',
    });
    const apart = loadPriceCatalog({
      withoutBuiltIn: true,
      overrides: [
        {
          id: 'thinker',
          providers: ['*'],
          models: ['thinker-1'],
          effective_from: '2024-01-01',
          tiers: [{ input: '1', output: '10', reasoning: '2' }],
          source: 'test',
        },
      ],
    });
    const cost = computeCost(apart, { provider: 'x', model: 'thinker-1', usage, at });
    // 600,000 × 10 + 400,000 × 2, per 1M
    expect(cost).toMatchObject({ amount: '6.8' });
    expect(cost.status === 'priced' && cost.breakdown).toMatchObject({ output: '6', reasoning: '0.8' });
  });
});

describe('the matching rules', () => {
  it.each([
    ['20241022 → 2024-10-22', 'claude-3-5-sonnet-20241022', 'claude-3-5-sonnet-2024-10-22'],
    ['not a date: left alone', 'model-20241399', 'model-20241399'],
    ['before a colon', 'claude-3-haiku-20240307-v1:0', 'claude-3-haiku-2024-03-07-v1:0'],
  ])('%s', (_case, name, dashed) => {
    expect(withDashedDate(name)).toBe(dashed);
  });

  it.each([
    ['00:30:00Z', 1800],
    ['16:30:00Z', 59_400],
    ['08:00:00+08:00', 0],
    ['23:00:00-02:00', 3600],
  ])('%s is second %d of the UTC day', (text, second) => {
    expect(secondOfDay(text)).toBe(second);
  });

  it('match rules compose (and, or) and compare without case', () => {
    const m = compileMatch({
      and: [{ starts_with: 'GPT-' }, { or: [{ ends_with: '-mini' }, { contains: 'turbo' }] }],
    });
    expect([m('gpt-4o-mini'), m('gpt-4-turbo-x'), m('gpt-4o'), m('o3-mini')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('any model name finds at most one price and never throws', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('openai', 'anthropic', 'aws.bedrock', 'azure', '', 'gcp.vertex_ai'),
        fc.string(),
        (p, m) => {
          const found = catalog.find(p, m, at);
          expect(found === undefined || typeof found.id === 'string').toBe(true);
        },
      ),
    );
  });
});
