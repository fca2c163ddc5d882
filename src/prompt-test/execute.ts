import type { LlmCallResult, LlmCallSummary, LlmTelemetry, RenderedPrompt } from '#sdk';
import { geminiCallResult } from '#sdk';
import { ATTR, PROVIDERS } from '#sdk/semconv';
import type { ModelAccess } from '../config.ts';
import { DomainError } from '../domain-error.ts';

export interface ExecutionResult {
  provider: string;
  model: string;
  output: string;
  finish_reasons: string[];
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_read_input_tokens: number;
    reasoning_output_tokens: number;
  };
  cost:
    | { status: 'priced'; amount: string; currency: string; price_id: string }
    | { status: 'unpriced'; reason: string };
  latency_ms: number;
}

const GEMINI_PROVIDERS: Record<string, string> = {
  vertex_ai: PROVIDERS.vertexAi,
  'gcp.vertex_ai': PROVIDERS.vertexAi,
  gemini: PROVIDERS.gemini,
  'gcp.gemini': PROVIDERS.gemini,
};

/** Marks the spans of admin test runs (the server's own telemetry records them like any service's call). */
const TEST_RUN = { [ATTR.testRun]: true };

/**
 * Runs a rendered prompt against the configured model through the sdk's own path (LlmTelemetry + the Gemini
 * response mapping), returning output, tokens, cost and latency. `provider: "mock"` answers deterministically
 * with no network.
 */
export async function executePrompt(
  rendered: RenderedPrompt,
  modelConfig: Record<string, unknown>,
  deps: { telemetry: LlmTelemetry; models: ModelAccess },
  template?: { name: string; version: string; label?: string },
): Promise<ExecutionResult> {
  // A stored template's run is recorded under its name and version, like a service's call (still a test run).
  const attributes = template
    ? {
        ...TEST_RUN,
        [ATTR.promptName]: template.name,
        [ATTR.promptVersion]: template.version,
        ...(template.label ? { [ATTR.promptLabel]: template.label } : {}),
      }
    : TEST_RUN;
  const provider = String(modelConfig.provider ?? '');
  const model = String(modelConfig.model_name ?? '');
  if (!model) throw invalid('model_config.model_name', 'a model is needed to execute');
  const text = rendered.text ?? (rendered.messages ?? []).map((m) => m.content).join('\n');
  const started = performance.now();
  let result: LlmCallResult;
  let summary: LlmCallSummary;
  if (provider === 'mock') {
    ({ result, summary } = await deps.telemetry.traceCall(
      { provider: 'mock', model, request: params(modelConfig), attributes },
      async (recorder) => {
        const output = `[mock ${model}] ${text.slice(0, 200)}`;
        const r: LlmCallResult = {
          responseModel: model,
          finishReasons: ['stop'],
          usage: { gemini: { promptTokenCount: tokens(text), candidatesTokenCount: tokens(output) } },
          outputText: output,
        };
        recorder.response(r);
        return { result: r, summary: recorder.summary() };
      },
    ));
  } else if (GEMINI_PROVIDERS[provider]) {
    const canonical = GEMINI_PROVIDERS[provider]!;
    const client = await geminiClient(canonical, deps.models);
    ({ result, summary } = await deps.telemetry
      .traceCall(
        { provider: canonical, model, request: params(modelConfig), attributes },
        async (recorder) => {
          const response = await client.models.generateContent({
            model,
            contents:
              rendered.text ??
              (rendered.messages ?? [])
                .filter((m) => m.role !== 'system')
                .map((m) => ({
                  role: m.role === 'assistant' ? 'model' : m.role,
                  parts: [{ text: m.content }],
                })),
            config: {
              temperature: modelConfig.temperature,
              maxOutputTokens: modelConfig.max_output_tokens,
              topP: modelConfig.top_p,
              topK: modelConfig.top_k,
              ...(rendered.messages?.some((m) => m.role === 'system')
                ? {
                    systemInstruction: rendered.messages
                      .filter((m) => m.role === 'system')
                      .map((m) => m.content)
                      .join('\n'),
                  }
                : {}),
            },
          });
          const r = geminiCallResult(response as never);
          recorder.response(r);
          return { result: r, summary: recorder.summary() };
        },
      )
      .catch((error: { status?: number; message?: string }) => {
        throw new DomainError('bad_request', `the model call failed: ${error.message ?? String(error)}`, {
          provider: canonical,
          status: error.status ?? null,
        });
      }));
  } else {
    throw invalid(
      'model_config.provider',
      `cannot execute provider '${provider}': use mock, vertex_ai or gemini`,
    );
  }
  const usage = summary.usage;
  const cost = summary.cost;
  return {
    provider: provider === 'mock' ? 'mock' : GEMINI_PROVIDERS[provider]!,
    model,
    output: result.outputText ?? result.readOutputText?.() ?? '',
    finish_reasons: result.finishReasons ?? [],
    usage: {
      input_tokens: (usage?.inputUncached ?? 0) + (usage?.cacheRead ?? 0),
      output_tokens: usage?.output ?? 0,
      cache_read_input_tokens: usage?.cacheRead ?? 0,
      reasoning_output_tokens: usage?.reasoning ?? 0,
    },
    cost: !cost
      ? { status: 'unpriced', reason: 'no usage reported' }
      : cost.status === 'priced'
        ? { status: 'priced', amount: cost.amount, currency: cost.currency, price_id: cost.priceId }
        : { status: 'unpriced', reason: cost.reason },
    latency_ms: Math.round(performance.now() - started),
  };
}

interface GenAIClient {
  models: { generateContent(params: unknown): Promise<unknown> };
}

async function geminiClient(provider: string, models: ModelAccess): Promise<GenAIClient> {
  let GoogleGenAI: new (options: Record<string, unknown>) => GenAIClient;
  try {
    ({ GoogleGenAI } = (await import('@google/genai')) as unknown as { GoogleGenAI: typeof GoogleGenAI });
  } catch {
    throw new DomainError(
      'unavailable',
      "executing Gemini/Vertex prompts needs the '@google/genai' package: npm install @google/genai",
    );
  }
  const httpOptions = models.geminiBaseUrl ? { httpOptions: { baseUrl: models.geminiBaseUrl } } : {};
  if (provider === PROVIDERS.vertexAi) {
    if (!models.vertexProject && !models.geminiApiKey) {
      throw invalid(
        'model_config.provider',
        'executing on Vertex AI needs GOOGLE_CLOUD_PROJECT (with application default credentials) or GEMINI_API_KEY (express mode) on the server',
      );
    }
    return new GoogleGenAI({
      vertexai: true,
      ...(models.vertexProject
        ? { project: models.vertexProject, location: models.vertexLocation }
        : { apiKey: models.geminiApiKey }),
      ...httpOptions,
    });
  }
  if (!models.geminiApiKey)
    throw invalid('model_config.provider', 'executing on the Gemini API needs GEMINI_API_KEY on the server');
  return new GoogleGenAI({ apiKey: models.geminiApiKey, ...httpOptions });
}

function params(c: Record<string, unknown>) {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return {
    temperature: num(c.temperature),
    maxTokens: num(c.max_output_tokens),
    topP: num(c.top_p),
    topK: num(c.top_k),
  };
}

function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function invalid(field: string, message: string) {
  return new DomainError('validation_failed', message, { fields: [{ field, message }] });
}
