import { GoogleGenAI } from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GeminiWireServer, startGeminiWireServer } from '../../../src/testing/gemini-wire-server.ts';
import { recordingTelemetry } from '../../../test/support/spans.ts';
import { instrumentGoogleGenAI } from './google-genai.ts';
import { LlmTelemetry } from './llm-telemetry.ts';

describe('@google/genai instrumentation against a Gemini wire-format server', () => {
  let server: GeminiWireServer;
  const { exporter, provider, telemetry, onlySpan } = recordingTelemetry();
  let ai: GoogleGenAI;

  beforeAll(async () => {
    server = await startGeminiWireServer();
    ai = instrumentGoogleGenAI(
      new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: server.url } }),
      telemetry,
    );
  });
  afterAll(() => server.close());
  beforeEach(() => {
    exporter.reset();
    server.setReply(undefined);
  });

  it('records one CLIENT span per call with the GenAI attributes, buckets and exact cost', async () => {
    server.setReply(() => ({
      text: 'Paris.',
      usage: {
        promptTokenCount: 1200,
        cachedContentTokenCount: 200,
        candidatesTokenCount: 300,
        thoughtsTokenCount: 100,
      },
      modelVersion: 'gemini-2.5-flash-001',
    }));
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Capital of France?',
      config: { temperature: 0.2, maxOutputTokens: 256, topP: 0.9, topK: 40 },
    });
    expect(response.text).toBe('Paris.');
    const span = await onlySpan();
    expect(span.name).toBe('generate_content gemini-2.5-flash');
    expect(span.kind).toBe(2); // CLIENT
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.response.model': 'gemini-2.5-flash-001',
      'gen_ai.response.id': expect.stringMatching(/^resp-/),
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.output_tokens': 400,
      'gen_ai.usage.reasoning.output_tokens': 100,
      // 1000 × 0.30 + 200 × 0.03 + 400 × 2.50, per 1M tokens
      'gen_ai.usage.cost.amount': '0.001306',
      'gen_ai.usage.cost.currency': 'USD',
      'promptscope.cost.status': 'priced',
      'server.address': '127.0.0.1',
      'server.port': server.port,
    });
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.output.messages']).toBeUndefined();
  });

  it('marks an unknown model unpriced, never $0', async () => {
    await ai.models.generateContent({ model: 'gemini-9-ultra', contents: 'hi' });
    const span = await onlySpan();
    expect(span.attributes['promptscope.cost.status']).toBe('unpriced');
    expect(span.attributes['gen_ai.usage.cost.amount']).toBeUndefined();
    expect(telemetry.stats().unpriced).toBeGreaterThan(0);
  });

  it('records a stream: time to first chunk and the usage of the final chunk, ending with the stream', async () => {
    server.setReply(() => ({
      text: 'one two three four five six',
      usage: { promptTokenCount: 10, candidatesTokenCount: 6 },
      chunks: 3,
      delayMs: 5,
    }));
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'count' });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text).toBe('one two three four five six');
    const span = await onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 6,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.cost.amount': '0.000018',
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });

  it('passes a provider error through unchanged and records error.type', async () => {
    server.setReply(() => ({ status: 429 }));
    const error = await ai.models
      .generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
      .catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(429);
    const span = await onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('429');
    // Refused before any answer: the provider billed nothing, so the cost is a known zero, not unpriced.
    expect(span.attributes).toMatchObject({
      'promptscope.cost.status': 'not_billed',
      'gen_ai.usage.cost.amount': '0',
      'gen_ai.usage.cost.currency': 'USD',
    });
  });

  it('records a safety block as a finish reason', async () => {
    server.setReply(() => ({ safetyBlock: true }));
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'something bad',
    });
    expect(response.candidates?.[0]?.finishReason).toBe('SAFETY');
    expect((await onlySpan()).attributes['gen_ai.response.finish_reasons']).toEqual(['safety']);
  });

  it('records prompt and completion text only when content capture is opted in', async () => {
    const capturing = new LlmTelemetry({ tracerProvider: provider, captureContent: true, disabled: false });
    const client = instrumentGoogleGenAI(
      new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: server.url } }),
      capturing,
    );
    await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'secret question' });
    const span = await onlySpan();
    expect(String(span.attributes['gen_ai.input.messages'])).toContain('secret question');
    expect(String(span.attributes['gen_ai.output.messages'])).toContain('Echo: secret question');
  });

  it.each([
    ['SPAN_ONLY', true, false],
    ['EVENT_ONLY', false, true],
    ['SPAN_AND_EVENT', true, true],
    ['NO_CONTENT', false, false],
    ['true', true, false],
    ['false', false, false],
  ])(
    'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=%s: text on the span %s, as a gen_ai.client.inference.operation.details event %s',
    async (value, onSpan, asEvent) => {
      process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = value;
      try {
        const fromEnv = new LlmTelemetry({ tracerProvider: provider, disabled: false });
        const client = instrumentGoogleGenAI(
          new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: server.url } }),
          fromEnv,
        );
        await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'private question' });
        const span = await onlySpan();
        expect(String(span.attributes['gen_ai.input.messages'] ?? '')).toContain(
          onSpan ? 'private question' : '',
        );
        expect('gen_ai.input.messages' in span.attributes).toBe(onSpan);
        expect('gen_ai.output.messages' in span.attributes).toBe(onSpan);
        const events = span.events.filter((e) => e.name === 'gen_ai.client.inference.operation.details');
        expect(events).toHaveLength(asEvent ? 1 : 0);
        if (asEvent) {
          expect(String(events[0]!.attributes?.['gen_ai.input.messages'])).toContain('private question');
          expect(String(events[0]!.attributes?.['gen_ai.output.messages'])).toContain(
            'Echo: private question',
          );
        }
      } finally {
        delete process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
      }
    },
  );

  it('the kill switch records nothing and changes nothing else', async () => {
    const off = new LlmTelemetry({ tracerProvider: provider, disabled: true });
    const client = instrumentGoogleGenAI(
      new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: server.url } }),
      off,
    );
    const response = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello' });
    expect(response.text).toBe('Echo: hello');
    await provider.forceFlush();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const failing = await (async () => {
      server.setReply(() => ({ status: 500 }));
      return client.models
        .generateContent({ model: 'gemini-2.5-flash', contents: 'x' })
        .catch((e: { status?: number }) => e.status);
    })();
    expect(failing).toBe(500);
  });

  it.each(['DISABLE_PROMPT_LOGGING', 'PROMPTSCOPE_DISABLED', 'OTEL_SDK_DISABLED'])(
    '%s=true in the environment stops span emission for telemetry created without options',
    async (variable) => {
      process.env[variable] = 'true';
      try {
        const fromEnv = new LlmTelemetry({ tracerProvider: provider });
        expect(fromEnv.disabled).toBe(true);
        const client = instrumentGoogleGenAI(
          new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: server.url } }),
          fromEnv,
        );
        const response = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
        expect(response.text).toBe('Echo: hi');
        await provider.forceFlush();
        expect(exporter.getFinishedSpans()).toHaveLength(0);
      } finally {
        delete process.env[variable];
      }
    },
  );

  it('swallows and counts failures inside the telemetry; the call still succeeds', async () => {
    const errors: unknown[] = [];
    const broken = new LlmTelemetry({
      tracerProvider: {
        getTracer: () => {
          throw new Error('tracer exploded');
        },
      },
      disabled: false,
      onInternalError: (e) => errors.push(e),
    });
    const client = instrumentGoogleGenAI(
      new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: server.url } }),
      broken,
    );
    expect(
      (await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'still works' })).text,
    ).toBe('Echo: still works');
    expect(broken.stats().internalErrors).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('names Vertex AI as the provider when the client is in Vertex mode', async () => {
    const vertex = instrumentGoogleGenAI(
      new GoogleGenAI({ vertexai: true, apiKey: 'k', httpOptions: { baseUrl: server.url } }),
      telemetry,
    );
    await vertex.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi' });
    expect((await onlySpan()).attributes['gen_ai.provider.name']).toBe('gcp.vertex_ai');
  });
});
