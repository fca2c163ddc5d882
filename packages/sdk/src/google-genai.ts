import {
  type GeminiRequestLike,
  type GeminiResponseLike,
  requestParams,
  resultOf,
  StreamAccumulator,
  serverOf,
} from './gemini-response.ts';
import type { LlmCallRecorder, LlmCallStart, LlmTelemetry } from './llm-telemetry.ts';
import { PROVIDERS } from './semconv.ts';

/** The slice of `@google/genai`'s GoogleGenAI this instrumentation touches. */
export interface GoogleGenAILike {
  vertexai?: boolean;
  models: {
    generateContent(params: GenAIParams): Promise<GeminiResponseLike>;
    generateContentStream(params: GenAIParams): Promise<AsyncGenerator<GeminiResponseLike>>;
  };
}

interface GenAIParams extends GeminiRequestLike {
  model: string;
}

const INSTRUMENTED = Symbol.for('promptscope.instrumented');

/**
 * Instruments a `@google/genai` client in place: `models.generateContent` and `generateContentStream` (and the
 * chats built on them) each produce one span. Works for the Gemini API and Vertex AI (`vertexai: true`).
 */
export function instrumentGoogleGenAI<T extends GoogleGenAILike>(client: T, telemetry: LlmTelemetry): T {
  const models = client.models as GoogleGenAILike['models'] & { [INSTRUMENTED]?: boolean };
  if (models[INSTRUMENTED]) return client;
  const provider = client.vertexai ? PROVIDERS.vertexAi : PROVIDERS.gemini;
  const baseUrl = (
    client as unknown as { apiClient?: { getBaseUrl?: () => string } }
  ).apiClient?.getBaseUrl?.();
  const server = serverOf(
    baseUrl,
    client.vertexai ? 'aiplatform.googleapis.com' : 'generativelanguage.googleapis.com',
  );
  const start = (params: GenAIParams, stream: boolean): LlmCallStart => ({
    provider,
    model: params.model,
    request: requestParams(params.config),
    stream,
    server,
    inputMessages: params.contents,
  });

  const generateContent = models.generateContent.bind(models);
  const generateContentStream = models.generateContentStream.bind(models);
  models.generateContent = (params) =>
    telemetry.traceCall(start(params, false), () => generateContent(params), resultOf);
  models.generateContentStream = async (params) => {
    const recorder = telemetry.startCall(start(params, true));
    return traceStream(await opened(recorder, () => generateContentStream(params)), recorder);
  };
  models[INSTRUMENTED] = true;
  return client;
}

/** Awaits the call that opens a stream; if it fails, the span records the error and ends, and the error goes on. */
export async function opened<T>(recorder: LlmCallRecorder, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    recorder.fail(error);
    recorder.end();
    throw error;
  }
}

/** Passes chunks through unchanged, noting the first one and the final usage; the span ends with the stream. */
export async function* traceStream<C extends GeminiResponseLike>(
  stream: AsyncIterable<C>,
  recorder: LlmCallRecorder,
): AsyncGenerator<C> {
  const acc = new StreamAccumulator();
  let failed = false;
  try {
    for await (const chunk of stream) {
      recorder.firstChunk();
      try {
        acc.add(chunk);
      } catch {}
      yield chunk;
    }
  } catch (error) {
    failed = true;
    recorder.fail(error);
    throw error;
  } finally {
    if (!failed) {
      try {
        recorder.response(acc.result());
      } finally {
        recorder.end();
      }
    } else recorder.end();
  }
}
