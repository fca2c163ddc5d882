import type { Attributes } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import { createTestApi, type TestApi } from '../test/support/api.ts';
import { collectorOnTestClickHouse, rows, sendCalls, serviceSpans } from '../test/support/collector.ts';
import type { RunningCollector } from './collector.ts';

/**
 * Spans shaped exactly as other instrumentations write them (names, types: token counts are integers), each priced
 * by hand from the provider's published prices per 1M tokens.
 */
const CASES: [string, Attributes, Record<string, string>][] = [
  [
    // OpenLLMetry's OpenAI instrumentation, chat completions with cached prompt tokens:
    // 2,000 × $2.50 + 10,000 cached × $1.25 + 800 × $10.00 (gpt-4o, openai.com/api/pricing)
    'OpenLLMetry, OpenAI chat completions, cached prompt tokens',
    {
      'gen_ai.system': 'openai',
      'llm.request.type': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.prompt_tokens': 12_000,
      'gen_ai.usage.completion_tokens': 800,
      'llm.usage.total_tokens': 12_800,
      'gen_ai.usage.cache_read_input_tokens': 10_000,
    },
    {
      cost_amount: '0.0255',
      cost_price_id: 'openai/gpt-4o',
      input_tokens: '12000',
      cache_read_tokens: '10000',
    },
  ],
  [
    // The GenAI conventions (the official instrumentations), the Responses API with reasoning:
    // 2,000 × $1.10 + 3,000 cached × $0.55 + 4,000 × $4.40, reasoning inside output (o3-mini)
    'GenAI conventions, OpenAI Responses API, cached input and reasoning',
    {
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'o3-mini',
      'gen_ai.response.model': 'o3-mini-2025-01-31',
      'gen_ai.usage.input_tokens': 5_000,
      'gen_ai.usage.cache_read.input_tokens': 3_000,
      'gen_ai.usage.output_tokens': 4_000,
      'gen_ai.usage.reasoning.output_tokens': 3_500,
    },
    { cost_amount: '0.02145', cost_price_id: 'openai/o3-mini', reasoning_tokens: '3500' },
  ],
  [
    // OpenLLMetry's Anthropic instrumentation: prompt_tokens = input + cache reads + cache writes.
    // 15 × $3 + 2,000 read × $0.30 + 1,200 written × $3.75 + 300 × $15 (Claude 3.5 Sonnet, anthropic.com/pricing)
    'OpenLLMetry, Anthropic messages, cache writes and reads',
    {
      'gen_ai.system': 'Anthropic',
      'llm.request.type': 'chat',
      'gen_ai.request.model': 'claude-3-5-sonnet-20241022',
      'gen_ai.response.model': 'claude-3-5-sonnet-20241022',
      'gen_ai.usage.prompt_tokens': 3_215,
      'gen_ai.usage.completion_tokens': 300,
      'llm.usage.total_tokens': 3_515,
      'gen_ai.usage.cache_read_input_tokens': 2_000,
      'gen_ai.usage.cache_creation_input_tokens': 1_200,
    },
    {
      cost_amount: '0.009645',
      cost_price_id: 'anthropic/claude-3-5-sonnet',
      input_tokens: '3215',
      cache_read_tokens: '2000',
      cache_write_tokens: '1200',
    },
  ],
  [
    // Anthropic's own counting under the conventions' names (cache apart from input_tokens):
    // 20 × $3 + 3,000 read × $0.30 + 500 written × $3.75 + 100 × $15 (Claude Sonnet 4.5, prompt under 200k)
    'GenAI conventions, Anthropic, cache counted apart from input',
    {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.cache_read.input_tokens': 3_000,
      'gen_ai.usage.cache_creation.input_tokens': 500,
      'gen_ai.usage.output_tokens': 100,
    },
    { cost_amount: '0.004335', input_tokens: '3520', cache_write_tokens: '500' },
  ],
  [
    // OpenLLMetry's Bedrock instrumentation: gen_ai.system "AWS", the model id without its vendor.
    // 1,000 × $0.25 + 500 × $1.25 (Claude 3 Haiku on Bedrock, aws.amazon.com/bedrock/pricing)
    'OpenLLMetry, Bedrock InvokeModel, Claude 3 Haiku',
    {
      'gen_ai.system': 'AWS',
      'llm.request.type': 'chat',
      'gen_ai.request.model': 'claude-3-haiku-20240307-v1:0',
      'gen_ai.usage.prompt_tokens': 1_000,
      'gen_ai.usage.completion_tokens': 500,
      'llm.usage.total_tokens': 1_500,
    },
    {
      cost_amount: '0.000875',
      provider: 'aws.bedrock',
      cost_price_id: 'aws/regional.anthropic.claude-3-haiku-20240307-v1:0',
    },
  ],
  [
    // Azure OpenAI under the GenAI conventions: the request names the deployment, the response the model it runs.
    // 3,000 × $2.50 + 500 × $10.00 (gpt-4o, Azure's list falls back to OpenAI's)
    'GenAI conventions, Azure OpenAI deployment',
    {
      'gen_ai.provider.name': 'azure.ai.openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'support-bot-prod',
      'gen_ai.response.model': 'gpt-4o-2024-11-20',
      'gen_ai.usage.input_tokens': 3_000,
      'gen_ai.usage.output_tokens': 500,
    },
    { cost_amount: '0.0125', provider: 'azure.ai.openai', cost_price_id: 'openai/gpt-4o' },
  ],
  [
    // OpenLIT prices from its own table and writes a float: the catalog's exact price replaces it.
    // 1,000 × $0.15 + 200 × $0.60 (gpt-4o-mini)
    'OpenLIT, OpenAI chat, with its own float cost',
    {
      'telemetry.sdk.name': 'openlit',
      'gen_ai.system': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 1_000,
      'gen_ai.usage.output_tokens': 200,
      'gen_ai.usage.cost': 0.00027000000000000006,
    },
    { cost_amount: '0.00027', cost_price_id: 'openai/gpt-4o-mini' },
  ],
  [
    // OpenLIT's Anthropic spans: Anthropic's input_tokens, no cache counts. 100 × $0.80 + 50 × $4 (Claude 3.5 Haiku)
    'OpenLIT, Anthropic messages',
    {
      'telemetry.sdk.name': 'openlit',
      'gen_ai.system': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-3-5-haiku-20241022',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 50,
      'gen_ai.usage.cost': 0.00028,
    },
    { cost_amount: '0.00028', cost_price_id: 'anthropic/claude-3-5-haiku-latest' },
  ],
];

describe('every provider’s calls priced exactly, as other instrumentations send them', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let api: TestApi;
  beforeAll(async () => {
    ({ client, collector } = await collectorOnTestClickHouse());
    api = await createTestApi();
    const spanOf = serviceSpans('every-provider');
    const spans = CASES.map(([, attributes], i) =>
      spanOf({ ...attributes, 'promptscope.property.case': String(i) }),
    );
    await sendCalls(collector.url, client, spans, "service_name = 'every-provider'", CASES.length);
  });
  afterAll(async () => {
    await collector.stop();
    await api.close();
  });

  it.each(CASES.map((c, i) => [c[0], i, c[2]] as const))('%s', async (_name, i, expected) => {
    const [row] = await rows<Record<string, string>>(
      client,
      `SELECT toString(cost_amount) AS cost_amount, cost_status, cost_price_id, cost_catalog, provider,
              toString(input_tokens) AS input_tokens, toString(cache_read_tokens) AS cache_read_tokens,
              toString(cache_write_tokens) AS cache_write_tokens, toString(reasoning_tokens) AS reasoning_tokens
       FROM llm_calls FINAL WHERE service_name = 'every-provider' AND properties['case'] = '${i}'`,
    );
    expect(row).toMatchObject({ cost_status: 'priced', ...expected });
    expect(row!.cost_catalog).toMatch(/^genai-prices@\d/);
  });

  it('a call OpenAI served at the flex tier, which no catalog prices, is unpriced and says so', async () => {
    const span = serviceSpans('every-provider-tiers')({
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'openai.request.service_tier': 'auto',
      'openai.response.service_tier': 'flex',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
    });
    await sendCalls(collector.url, client, [span], "service_name = 'every-provider-tiers'", 1);
    const [row] = await rows<Record<string, string>>(
      client,
      "SELECT cost_status, service_tier FROM llm_calls FINAL WHERE service_name = 'every-provider-tiers'",
    );
    expect(row).toEqual({ cost_status: 'unpriced', service_tier: 'flex' });
    const [reason] = await rows<{ r: string }>(
      client,
      "SELECT SpanAttributes['promptscope.cost.unpriced_reason'] AS r FROM otel_traces WHERE ServiceName = 'every-provider-tiers'",
    );
    expect(reason!.r).toBe("no 'flex' service tier price for model 'gpt-4o-mini' (provider 'openai')");
  });

  it('the calls count in the figures: cost, cache writes and nothing unpriced', async () => {
    const res = await api.call(
      'GET',
      `/api/v1/analytics/usage?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}&figures=calls,cost,cache_write_tokens,unpriced_calls&service=every-provider`,
      { key: api.keys.telemetry },
    );
    expect(res.status).toBe(200);
    // 0.0255 + 0.02145 + 0.009645 + 0.004335 + 0.000875 + 0.0125 + 0.00027 + 0.00028
    expect(res.body.rows).toEqual([
      { calls: CASES.length, cost: '0.074855', cache_write_tokens: 1_700, unpriced_calls: 0 },
    ]);
  });
});
