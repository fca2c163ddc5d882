import fs from 'node:fs';
import tlsModule from 'node:tls';
import { VertexAI } from '@google-cloud/vertexai';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GeminiWireServer, startGeminiWireServer } from '../../../src/testing/gemini-wire-server.ts';
import { recordingTelemetry } from '../../../test/support/spans.ts';
import { instrumentVertexAI } from './vertexai.ts';

const tls = {
  cert: fs.readFileSync(new URL('../../../test/fixtures/tls/cert.pem', import.meta.url)),
  key: fs.readFileSync(new URL('../../../test/fixtures/tls/key.pem', import.meta.url)),
};

// The Vertex AI SDK only speaks https: trust the local server's test certificate in this worker.
tlsModule.setDefaultCACertificates([...tlsModule.getCACertificates('default'), tls.cert.toString()]);

describe('@google-cloud/vertexai instrumentation against a Vertex AI wire-format server', () => {
  let server: GeminiWireServer;
  const { exporter, telemetry, onlySpan } = recordingTelemetry();
  let vertex: VertexAI;

  beforeAll(async () => {
    server = await startGeminiWireServer({ tls });
    vertex = instrumentVertexAI(
      new VertexAI({
        project: 'demo-project',
        location: 'us-central1',
        apiEndpoint: `127.0.0.1:${server.port}`,
        googleAuthOptions: { authClient: { getAccessToken: async () => ({ token: 'test-token' }) } as never },
      }),
      telemetry,
    );
  });
  afterAll(() => server.close());
  beforeEach(() => {
    exporter.reset();
    server.setReply(undefined);
  });

  it('records generateContent on Vertex AI with usage buckets and cost', async () => {
    server.setReply(() => ({
      text: 'ok',
      usage: {
        promptTokenCount: 250_000,
        cachedContentTokenCount: 100_000,
        candidatesTokenCount: 2_000,
        thoughtsTokenCount: 3_000,
      },
    }));
    const model = vertex.getGenerativeModel({
      model: 'gemini-2.5-pro',
      generationConfig: { temperature: 0.1 },
    });
    const result = await model.generateContent('long question');
    expect(result.response.candidates?.[0]?.content.parts[0]?.text).toBe('ok');
    expect(server.requests.at(-1)).toMatchObject({
      path: '/v1/projects/demo-project/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent',
    });
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer test-token');
    const span = await onlySpan();
    expect(span.name).toBe('generate_content gemini-2.5-pro');
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'gen_ai.request.temperature': 0.1,
      'gen_ai.usage.input_tokens': 250_000,
      'gen_ai.usage.cache_read.input_tokens': 100_000,
      'gen_ai.usage.output_tokens': 5_000,
      'gen_ai.usage.reasoning.output_tokens': 3_000,
      'gen_ai.usage.cost.amount': '0.475',
      'promptscope.cost.status': 'priced',
      'server.address': '127.0.0.1',
    });
  });

  it('records a stream read chunk by chunk', async () => {
    server.setReply(() => ({
      text: 'abcdef',
      usage: { promptTokenCount: 4, candidatesTokenCount: 2 },
      chunks: 2,
    }));
    const model = vertex.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const { stream } = await model.generateContentStream('stream please');
    let text = '';
    for await (const chunk of stream) text += chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? '';
    expect(text).toBe('abcdef');
    const span = await onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
  });

  it('ends the span when the caller only awaits the aggregated response of a stream', async () => {
    const model = vertex.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const { response } = await model.generateContentStream('just the total');
    expect((await response).candidates?.[0]?.content.parts[0]?.text).toBe('Echo: just the total');
    expect((await onlySpan()).attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });

  it('passes a server error through and records it', async () => {
    server.setReply(() => ({ status: 500 }));
    const model = vertex.getGenerativeModel({ model: 'gemini-2.5-flash' });
    await expect(model.generateContent('boom')).rejects.toThrow();
    const span = await onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBeTruthy();
  });
});
