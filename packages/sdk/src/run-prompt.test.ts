import { GoogleGenAI } from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GeminiWireServer, startGeminiWireServer } from '../../../src/testing/gemini-wire-server.ts';
import { recordingTelemetry } from '../../../test/support/spans.ts';
import { GuardrailBlockedError } from './errors.ts';
import { instrumentGoogleGenAI } from './google-genai.ts';
import { LlmTelemetry } from './llm-telemetry.ts';
import { Prompt, type PromptData } from './prompt.ts';

const template = (guardrails: PromptData['guardrails'], text = 'Answer {{question}}'): PromptData => ({
  name: 'support',
  version: '3',
  template_text: text,
  messages: null,
  variable_definitions: [{ name: 'question', type: 'string', required: true }],
  model_config: { provider: 'gcp.gemini', model_name: 'gemini-2.5-flash' },
  guardrails,
  content_hash: 'sha256:abc',
});

describe('running a template through an instrumented model call', () => {
  let server: GeminiWireServer;
  const { exporter, provider, telemetry, spans } = recordingTelemetry();
  let ai: GoogleGenAI;

  beforeAll(async () => {
    server = await startGeminiWireServer();
    ai = instrumentGoogleGenAI(
      new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: server.url } }),
      telemetry,
    );
  });
  afterAll(() => server.close());
  beforeEach(() => {
    exporter.reset();
    server.setReply(undefined);
    server.requests.length = 0;
  });

  const ask = (prompt: Prompt, question: string) =>
    telemetry.runPrompt(prompt, { question }, (r) =>
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: r.text! }),
    );

  it('puts the template name, version, label, hash and source on the call span', async () => {
    await ask(new Prompt(template([]), { label: 'production', source: 'cache', variant: '3' }), 'hi');
    const [span] = await spans();
    expect(span!.attributes).toMatchObject({
      'gen_ai.prompt.name': 'support',
      'gen_ai.prompt.version': '3',
      'promptscope.prompt.label': 'production',
      'promptscope.prompt.content_hash': 'sha256:abc',
      'promptscope.prompt.source': 'cache',
      'promptscope.prompt.variant': '3',
    });
    expect(Object.keys(span!.attributes).some((k) => k.startsWith('gen_ai.prompt.variable.'))).toBe(false);
  });

  it('a span from a fallback still names its template, with source=fallback', async () => {
    const { fallbackPrompt } = await import('./prompt.ts');
    await ask(fallbackPrompt('support', 'production', 'Answer {{question}}'), 'hi');
    const [span] = await spans();
    expect(span!.attributes).toMatchObject({
      'gen_ai.prompt.name': 'support',
      'promptscope.prompt.source': 'fallback',
    });
    expect(span!.attributes['gen_ai.prompt.version']).toBeUndefined();
  });

  it('block on input: a typed error, no model call, and a span with the verdict', async () => {
    const prompt = new Prompt(
      template([
        {
          type: 'blocked_pattern',
          name: 'no-secrets',
          action: 'block',
          applies_to: 'input',
          patterns: ['password'],
          case_insensitive: true,
        },
      ]),
      {
        label: 'production',
        source: 'network',
      },
    );
    const error = await ask(prompt, 'my password is hunter2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuardrailBlockedError);
    expect((error as GuardrailBlockedError).stage).toBe('input');
    expect(server.requests).toHaveLength(0);
    const [span] = await spans();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('guardrail_blocked');
    expect(span!.events.map((e) => e.attributes)).toEqual([
      expect.objectContaining({
        'promptscope.guardrail.rule': 'no-secrets',
        'promptscope.guardrail.action': 'block',
        'promptscope.guardrail.stage': 'input',
      }),
    ]);
    expect(JSON.stringify(span!.events)).not.toContain('hunter2');
  });

  it('redact on input: the model receives the redacted text, and the span the verdict without the match', async () => {
    const prompt = new Prompt(
      template([{ type: 'pii', name: 'pii', action: 'redact', applies_to: 'input', kinds: ['email'] }]),
      { label: 'production', source: 'network' },
    );
    await ask(prompt, 'mail me at ada@example.com');
    expect(server.requests[0]!.body.contents?.[0]?.parts?.[0]?.text).toBe(
      'Answer mail me at [REDACTED:EMAIL]',
    );
    const [span] = await spans();
    expect(span!.events[0]!.attributes).toMatchObject({
      'promptscope.guardrail.action': 'redact',
      'promptscope.guardrail.detail': 'email',
      'promptscope.guardrail.matches': 1,
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('ada@example.com');
  });

  it('flag on input: the call proceeds unchanged and the verdict is recorded', async () => {
    const prompt = new Prompt(
      template([{ type: 'max_length', name: 'short', action: 'flag', applies_to: 'input', max_chars: 10 }]),
      { label: 'production', source: 'network' },
    );
    const response = await ask(prompt, 'a rather long question');
    expect(response.text).toBe('Echo: Answer a rather long question');
    const [span] = await spans();
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span!.events[0]!.attributes).toMatchObject({
      'promptscope.guardrail.action': 'flag',
      'promptscope.guardrail.type': 'max_length',
    });
  });

  it('output rules: redact rewrites the answer the caller gets; block withholds it with a typed error', async () => {
    server.setReply(() => ({ text: 'Call me on +44 20 7946 0958' }));
    const redacting = new Prompt(
      template([{ type: 'pii', name: 'pii-out', action: 'redact', applies_to: 'output', kinds: ['phone'] }]),
      { label: 'production', source: 'network' },
    );
    expect((await ask(redacting, 'number?')).text).toBe('Call me on [REDACTED:PHONE]');
    const blocking = new Prompt(
      template([{ type: 'pii', name: 'pii-out', action: 'block', applies_to: 'output', kinds: ['phone'] }]),
      { label: 'production', source: 'network' },
    );
    const error = await ask(blocking, 'number?').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuardrailBlockedError);
    expect((error as GuardrailBlockedError).stage).toBe('output');
    const recorded = await spans();
    expect(recorded).toHaveLength(2);
    expect(recorded[1]!.attributes['error.type']).toBe('guardrail_blocked');
    expect(recorded[1]!.events[0]!.attributes).toMatchObject({ 'promptscope.guardrail.stage': 'output' });
  });

  it('records variable values only when content capture is on', async () => {
    const capturing = new LlmTelemetry({ tracerProvider: provider, disabled: false, captureContent: true });
    const client = instrumentGoogleGenAI(
      new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: server.url } }),
      capturing,
    );
    await capturing.runPrompt(
      new Prompt(template([]), { label: 'production', source: 'network' }),
      { question: 'why?' },
      (r) => client.models.generateContent({ model: 'gemini-2.5-flash', contents: r.text! }),
    );
    const [span] = await spans();
    expect(span!.attributes['gen_ai.prompt.variable.question']).toBe('why?');
  });
});
