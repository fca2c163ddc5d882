import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../../test/support/api.ts';
import { recordingTelemetry } from '../../test/support/spans.ts';
import { type GeminiWireServer, startGeminiWireServer } from '../testing/gemini-wire-server.ts';

describe('POST /api/v1/admin/prompts/test with execute', () => {
  let api: TestApi;
  let gemini: GeminiWireServer;
  const recording = recordingTelemetry();

  beforeAll(async () => {
    gemini = await startGeminiWireServer({
      reply: () => ({
        text: 'OpenTelemetry is an observability framework.',
        usage: { promptTokenCount: 20, candidatesTokenCount: 8, thoughtsTokenCount: 12 },
      }),
    });
    api = await createTestApi({
      models: {
        geminiApiKey: 'test-key',
        geminiBaseUrl: gemini.url,
        vertexProject: undefined,
        vertexLocation: 'us-central1',
      },
      telemetry: recording.telemetry,
    });
  });
  afterAll(async () => {
    await api.close();
    await gemini.close();
  });

  it('the mock provider answers deterministically with tokens and latency, and no network', async () => {
    const body = {
      template_text: 'Explain {{topic}} briefly',
      variables: { topic: 'OTel' },
      model_config: { provider: 'mock', model_name: 'mock-1' },
      execute: true,
    };
    const a = await api.call('POST', '/api/v1/admin/prompts/test', { body });
    const b = await api.call('POST', '/api/v1/admin/prompts/test', { body });
    expect(a.status).toBe(200);
    expect(a.body.rendered_prompt).toBe('Explain OTel briefly');
    expect(a.body.execution).toMatchObject({
      provider: 'mock',
      model: 'mock-1',
      output: '[mock mock-1] Explain OTel briefly',
      finish_reasons: ['stop'],
      usage: { input_tokens: 5, output_tokens: 9, cache_read_input_tokens: 0, reasoning_output_tokens: 0 },
      cost: { status: 'unpriced' },
    });
    expect(a.body.execution.latency_ms).toBeGreaterThanOrEqual(0);
    expect(b.body.execution.output).toBe(a.body.execution.output);
    expect(gemini.requests).toHaveLength(0);
  });

  it('runs a stored template on the Gemini API through the Google SDK, with exact cost including thinking', async () => {
    await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name: 'explain',
        template_text: 'Explain {{topic}}',
        variables: ['topic'],
        is_active: true,
        model_config: { provider: 'gemini', model_name: 'gemini-2.5-flash', temperature: 0.3 },
      },
    });
    const res = await api.call('POST', '/api/v1/admin/prompts/test', {
      body: { name: 'explain', variables: { topic: 'OTel' }, execute: true },
    });
    expect(res.status).toBe(200);
    expect(res.body.execution).toMatchObject({
      provider: 'gcp.gemini',
      model: 'gemini-2.5-flash',
      output: 'OpenTelemetry is an observability framework.',
      usage: { input_tokens: 20, output_tokens: 20, reasoning_output_tokens: 12 },
      // 20 × 0.30 + 20 × 2.50, per 1M tokens
      cost: { status: 'priced', amount: '0.000056', currency: 'USD', price_id: 'gemini-2.5-flash' },
    });
    expect(gemini.requests.at(-1)).toMatchObject({
      model: 'gemini-2.5-flash',
      body: { generationConfig: { temperature: 0.3 } },
    });
    // Recorded as a test run of that template and version (the reports leave it out; analytics can show only them).
    const span = (await recording.spans()).at(-1)!;
    expect(span.attributes).toMatchObject({
      'gen_ai.prompt.name': 'explain',
      'gen_ai.prompt.version': '1', // numbered automatically: it was published without one
      'promptscope.prompt.label': 'production',
      'promptscope.test_run': true,
    });
  });

  it('refuses to execute with missing variables, naming them', async () => {
    const res = await api.call('POST', '/api/v1/admin/prompts/test', {
      body: {
        template_text: 'Hi {{name}}',
        variables: {},
        model_config: { provider: 'mock', model_name: 'm' },
        execute: true,
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual([{ field: 'variables.name', message: 'missing' }]);
  });

  it('refuses a provider it cannot execute', async () => {
    const res = await api.call('POST', '/api/v1/admin/prompts/test', {
      body: { template_text: 'Hi', model_config: { provider: 'openai', model_name: 'gpt' }, execute: true },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields[0].field).toBe('model_config.provider');
  });
});
