/**
 * Benchmark: the sdk wrapper's own cost per LLM call against a bare OTel span with the same attributes, both
 * through a BatchSpanProcessor into an exporter that drops spans, measured in the same run (interleaved rounds,
 * median). The "provider call" returns at once, so only instrumentation is measured. Also: the prompt client's
 * cache-hit cost.
 *
 *   npm run bench -- sdk-overhead
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { type GoogleGenAILike, instrumentGoogleGenAI, LlmTelemetry, PromptClient } from '#sdk';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

class DroppingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (r: { code: number }) => void) {
    done({ code: 0 });
  }
  async shutdown() {}
  async forceFlush() {}
}

const RESPONSE = {
  candidates: [{ content: { role: 'model', parts: [{ text: 'Paris.' }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: {
    promptTokenCount: 1200,
    cachedContentTokenCount: 200,
    candidatesTokenCount: 300,
    thoughtsTokenCount: 100,
    totalTokenCount: 1600,
  },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-1',
};

export async function run(): Promise<Record<string, string | number>> {
  const provider = new TracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new DroppingExporter(),
        maxQueueSize: 100_000,
        maxExportBatchSize: 2048,
      }),
    ],
  });
  const tracer = provider.getTracer('bench');
  const telemetry = new LlmTelemetry({ tracerProvider: provider, disabled: false, captureContent: false });
  const stub: GoogleGenAILike = {
    vertexai: false,
    models: {
      generateContent: async () => RESPONSE,
      generateContentStream: async () => (async function* () {})(),
    },
  };
  const client = instrumentGoogleGenAI(stub, telemetry);
  const params = {
    model: 'gemini-2.5-flash',
    contents: 'Capital of France?',
    config: { temperature: 0.2, maxOutputTokens: 256 },
  };

  // The same 18 attributes the wrapper writes, set by hand on a plain span.
  const bare = async () => {
    const span = tracer.startSpan('generate_content gemini-2.5-flash', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'generate_content',
        'gen_ai.provider.name': 'gcp.gemini',
        'gen_ai.request.model': 'gemini-2.5-flash',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 256,
        'server.address': 'generativelanguage.googleapis.com',
        'server.port': 443,
      },
    });
    const r = await Promise.resolve(RESPONSE);
    span.setAttributes({
      'gen_ai.response.model': r.modelVersion,
      'gen_ai.response.id': r.responseId,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 400,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'gen_ai.usage.cost.amount': '0.001306',
      'gen_ai.usage.cost.currency': 'USD',
      'promptscope.cost.status': 'priced',
      'promptscope.cost.price_id': 'gemini-2.5-flash',
    });
    span.end();
    return r;
  };
  const wrapped = () => client.models.generateContent(params);

  const time = async (fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) await fn();
    return Number(process.hrtime.bigint() - start) / ITERATIONS;
  };
  for (let i = 0; i < 2; i++) {
    await time(bare);
    await time(wrapped);
  }
  const bareRounds: number[] = [];
  const wrappedRounds: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first, so neither always runs right after the other's garbage.
    let b: number;
    let w: number;
    if (i % 2 === 0) {
      b = await time(bare);
      w = await time(wrapped);
    } else {
      w = await time(wrapped);
      b = await time(bare);
    }
    bareRounds.push(b);
    wrappedRounds.push(w);
    ratios.push(w / b);
  }
  await provider.shutdown();

  const cacheHitNs = await promptCacheHit();
  const bareNs = median(bareRounds);
  const wrappedNs = median(wrappedRounds);
  return {
    'bare OTel span, µs/call': (bareNs / 1000).toFixed(2),
    'promptscope wrapper, µs/call': (wrappedNs / 1000).toFixed(2),
    'wrapper / bare (median of rounds)': median(ratios).toFixed(2),
    'prompt client cache hit, ns/get': Math.round(cacheHitNs),
    iterations: `${ITERATIONS} × ${ROUNDS} rounds`,
  };
}

/** `await client.get(name)` on a fresh cache entry, against a local server that answers the read API's shape. */
async function promptCacheHit(): Promise<number> {
  const body = JSON.stringify({
    name: 'support',
    version: '1',
    template_text: 'Help {{customer}}',
    messages: null,
    variable_definitions: [{ name: 'customer', type: 'string', required: true }],
    model_config: {},
    guardrails: [],
    content_hash: 'sha256:x',
  });
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', etag: '"x"' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new PromptClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey: 'psk_bench',
  });
  await client.get('support');
  const n = 1_000_000;
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await client.get('support');
    rounds.push(Number(process.hrtime.bigint() - start) / n);
  }
  server.close();
  return median(rounds);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
