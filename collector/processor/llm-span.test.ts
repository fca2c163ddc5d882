import fs from 'node:fs';
import tlsModule from 'node:tls';
import * as vertexai from '@google-cloud/vertexai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { VertexAIInstrumentation } from '@traceloop/instrumentation-vertexai';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalProvider, PROVIDER_ALIASES } from '#sdk/pricing';
import type { ClickHouseClient } from '../../src/store/clickhouse.ts';
import { type GeminiWireServer, startGeminiWireServer } from '../../src/testing/gemini-wire-server.ts';
import {
  eventually,
  exportSpans,
  otlpExporter,
  productionLikeCollector,
  rows,
  serviceSpans,
} from '../../test/support/collector.ts';
import type { RunningCollector } from '../collector.ts';
import { unreportedOutput } from './cost-enrichment.ts';
import { llmCallOf } from './llm-span.ts';

const tls = {
  cert: fs.readFileSync(new URL('../../test/fixtures/tls/cert.pem', import.meta.url)),
  key: fs.readFileSync(new URL('../../test/fixtures/tls/key.pem', import.meta.url)),
};
// The Vertex AI SDK only speaks https: trust the local wire server's test certificate in this worker.
tlsModule.setDefaultCACertificates([...tlsModule.getCACertificates('default'), tls.cert.toString()]);

interface CallRow {
  span_id: string;
  provider: string;
  operation: string;
  request_model: string;
  input_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  cost_amount: string | null;
  cost_status: string;
  finish_reasons: string[];
}

const callRows = (client: ClickHouseClient, where: string) =>
  rows<CallRow>(
    client,
    `SELECT span_id, provider, operation, request_model, toString(input_tokens) AS input_tokens,
            toString(output_tokens) AS output_tokens, toString(reasoning_tokens) AS reasoning_tokens,
            toString(cost_amount) AS cost_amount, cost_status, finish_reasons
     FROM llm_calls FINAL WHERE ${where} ORDER BY span_id`,
  );

async function scrape(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('LLM calls from other instrumentations reach llm_calls', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let gemini: GeminiWireServer;

  beforeAll(async () => {
    const started = await productionLikeCollector();
    client = started.store.client;
    collector = started.collector;
    gemini = await startGeminiWireServer({ tls });
  });
  afterAll(async () => {
    await collector?.stop();
    await gemini?.close();
  });

  it('OpenLLMetry’s Vertex AI instrumentation, driven for real: counted, Google mapped to Vertex AI, priced, thinking billed as output', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'openllmetry-svc' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: otlpExporter(collector.url, 'protobuf', false) })],
    });
    const instrumentation = new VertexAIInstrumentation();
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(vertexai);
    const vertex = new vertexai.VertexAI({
      project: 'demo-project',
      location: 'us-central1',
      apiEndpoint: `127.0.0.1:${gemini.port}`,
      googleAuthOptions: { authClient: { getAccessToken: async () => ({ token: 't' }) } as never },
    });
    const model = vertex.getGenerativeModel({ model: 'gemini-2.5-flash' });
    gemini.setReply(() => ({ text: 'plain', usage: { promptTokenCount: 1000, candidatesTokenCount: 200 } }));
    await model.generateContent('a question');
    gemini.setReply(() => ({
      text: 'thought about it',
      usage: { promptTokenCount: 1000, candidatesTokenCount: 200, thoughtsTokenCount: 300 },
    }));
    await model.generateContent('a harder question');
    await provider.forceFlush();
    instrumentation.disable();

    const calls = await eventually(async () => {
      const found = await callRows(client, `service_name = 'openllmetry-svc'`);
      return found.length === 2 ? found : undefined;
    }, 'the two OpenLLMetry calls in llm_calls');
    const byOutput = calls.sort((a, b) => Number(a.output_tokens) - Number(b.output_tokens));
    // The span says gen_ai.system="Google", llm.request.type="completion", no operation name.
    expect(byOutput[0]).toMatchObject({
      provider: 'gcp.vertex_ai',
      operation: 'generate_content',
      request_model: 'gemini-2.5-flash',
      input_tokens: '1000',
      output_tokens: '200',
      reasoning_tokens: '0',
      cost_status: 'priced',
      cost_amount: '0.0008', // 1,000 × $0.30/M + 200 × $2.50/M
      finish_reasons: ['STOP'],
    });
    // completion_tokens stays 200 with 300 thinking tokens: only llm.usage.total_tokens (1,500) shows them.
    expect(byOutput[1]).toMatchObject({
      output_tokens: '500',
      reasoning_tokens: '300',
      cost_status: 'priced',
      cost_amount: '0.00155', // 1,000 × $0.30/M + 500 × $2.50/M
    });
  });

  it.each(Object.entries(PROVIDER_ALIASES).flatMap(([name, aliases]) => aliases.map((a) => [a, name])))(
    'provider %s is stored as %s, as the collector’s price lookup reads it',
    async (alias, expected) => {
      const span = serviceSpans(`alias-${alias}`)({
        'gen_ai.system': ` ${alias.toUpperCase()} `,
        'gen_ai.request.model': 'gemini-2.5-flash',
      });
      expect(await exportSpans(otlpExporter(collector.url, 'protobuf', false), [span])).toBe(0);
      const [row] = await eventually(async () => {
        const found = await callRows(client, `service_name = 'alias-${alias}'`);
        return found.length ? found : undefined;
      }, `the ${alias} call`);
      expect(row!.provider).toBe(expected);
      expect(canonicalProvider(` ${alias.toUpperCase()} `)).toBe(expected);
    },
  );

  it('a span with GenAI attributes that is not a call is stored, kept out of llm_calls and counted in /metrics', async () => {
    const before = await scrape(collector.url, 'promptscope_collector_genai_spans_unclassified_total');
    const span = serviceSpans('agent-svc')({ 'gen_ai.agent.name': 'planner', 'gen_ai.prompt.name': 'plan' });
    expect(await exportSpans(otlpExporter(collector.url, 'json', false), [span])).toBe(0);
    await eventually(async () => {
      const [r] = await rows<{ n: number }>(
        client,
        `SELECT count() AS n FROM otel_traces WHERE ServiceName = 'agent-svc'`,
      );
      return Number(r?.n) === 1;
    }, 'the agent span in otel_traces');
    expect(await callRows(client, `service_name = 'agent-svc'`)).toEqual([]);
    expect(await scrape(collector.url, 'promptscope_collector_genai_spans_unclassified_total')).toBe(
      before + 1,
    );
  });

  // The view (SQL) and the collector (llm-span.ts) must agree on every span: which is a call, its provider,
  // its tokens. Random spans from the vocabulary of the common instrumentations go through both.
  const KEYS = {
    'gen_ai.operation.name': fc.constantFrom('', 'chat', 'generate_content'),
    'gen_ai.provider.name': fc.constantFrom('', 'openai', 'gcp.gemini'),
    'gen_ai.system': fc.constantFrom('', 'Google', 'Gemini', 'vertex_ai', 'OpenAI'),
    'llm.system': fc.constantFrom('', 'vertexai', 'anthropic'),
    'llm.provider': fc.constantFrom('', 'google', 'aws'),
    'llm.request.type': fc.constantFrom('', 'completion', 'chat', 'embedding', 'rerank'),
    'openinference.span.kind': fc.constantFrom('', 'LLM', 'CHAIN'),
    'gen_ai.request.model': fc.constantFrom('', 'gemini-2.5-flash', 'gpt-4o'),
    'gen_ai.response.model': fc.constantFrom('', 'gemini-2.5-flash'),
    'llm.model_name': fc.constantFrom('', 'claude-3-5-sonnet'),
    'gen_ai.usage.input_tokens': fc.constantFrom('', '10', '1000'),
    'gen_ai.usage.output_tokens': fc.constantFrom('', '5', '200'),
    'gen_ai.usage.prompt_tokens': fc.constantFrom('', '12'),
    'gen_ai.usage.completion_tokens': fc.constantFrom('', '7'),
    'gen_ai.usage.reasoning.output_tokens': fc.constantFrom('', '3'),
    'llm.usage.total_tokens': fc.constantFrom('', '1500', '9'),
    'llm.token_count.prompt': fc.constantFrom('', '40'),
    'llm.token_count.completion': fc.constantFrom('', '4'),
    'llm.token_count.total': fc.constantFrom('', '44', '60'),
    'gen_ai.agent.name': fc.constantFrom('', 'helper'),
  };
  const spanAttributes = fc
    .subarray(Object.keys(KEYS) as (keyof typeof KEYS)[], { maxLength: 4 })
    .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, KEYS[k]]))));

  it('the llm_calls view and the collector classify every span alike (property: 300 random spans)', async () => {
    const samples = fc.sample(spanAttributes, { numRuns: 300, seed: 20261206 });
    const spanOf = serviceSpans('property-svc');
    const spans = [];
    const expected = new Map<
      string,
      Omit<CallRow, 'span_id' | 'cost_amount' | 'cost_status' | 'operation'>
    >();
    for (const sample of samples) {
      const attributes = sample as Record<string, string>;
      const span = spanOf(attributes);
      spans.push(span);
      const call = llmCallOf(attributes);
      if (!call) continue;
      const input = Number(call.input) || 0;
      const output = Number(call.output) || 0;
      const extra = unreportedOutput(input, output, call.total ? Number(call.total) : undefined);
      expected.set(span.spanContext().spanId, {
        provider: call.provider,
        request_model: attributes['gen_ai.request.model'] || attributes['llm.model_name'] || '',
        input_tokens: String(input),
        output_tokens: String(output + extra),
        reasoning_tokens: call.reasoning !== undefined ? call.reasoning : String(extra),
        finish_reasons: [],
      });
    }
    expect(expected.size).toBeGreaterThan(50);
    expect(expected.size).toBeLessThan(samples.length);
    expect(await exportSpans(otlpExporter(collector.url, 'protobuf', false), spans)).toBe(0);
    await eventually(async () => {
      const [r] = await rows<{ n: number }>(
        client,
        `SELECT count() AS n FROM otel_traces WHERE ServiceName = 'property-svc'`,
      );
      return Number(r?.n) === samples.length;
    }, 'every random span in otel_traces');
    // The view's rows can become visible a moment after otel_traces' (another part): wait for them too.
    const stored = await eventually(async () => {
      const found = await callRows(client, `service_name = 'property-svc'`);
      return found.length === expected.size ? found : undefined;
    }, 'the classified spans in llm_calls');
    const got = new Map(
      stored.map(({ span_id, cost_amount: _c, cost_status: _s, operation: _o, ...rest }) => [span_id, rest]),
    );
    expect(got).toEqual(expected);
  });
});
