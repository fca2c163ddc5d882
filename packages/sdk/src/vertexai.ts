import {
  type GeminiRequestLike,
  type GeminiResponseLike,
  requestParams,
  resultOf,
  serverOf,
} from './gemini-response.ts';
import { opened, traceStream } from './google-genai.ts';
import type { LlmCallRecorder, LlmCallStart, LlmTelemetry } from './llm-telemetry.ts';
import { PROVIDERS } from './semconv.ts';

/** The slice of `@google-cloud/vertexai`'s GenerativeModel this instrumentation touches. */
export interface VertexGenerativeModelLike {
  generateContent(request: GeminiRequestLike | string): Promise<{ response: GeminiResponseLike }>;
  generateContentStream(
    request: GeminiRequestLike | string,
  ): Promise<{ stream: AsyncGenerator<GeminiResponseLike>; response: Promise<GeminiResponseLike> }>;
}

interface VertexAILike {
  getGenerativeModel(...args: never[]): VertexGenerativeModelLike;
}

const INSTRUMENTED = Symbol.for('promptscope.instrumented');

/** Instruments every model a `VertexAI` instance hands out from now on. */
export function instrumentVertexAI<T extends VertexAILike>(vertexAI: T, telemetry: LlmTelemetry): T {
  const original = vertexAI.getGenerativeModel.bind(vertexAI);
  vertexAI.getGenerativeModel = ((...args: never[]) =>
    instrumentVertexModel(original(...args), telemetry)) as T['getGenerativeModel'];
  return vertexAI;
}

/**
 * Instruments one `GenerativeModel` (the legacy `@google-cloud/vertexai` package) in place:
 * `generateContent` and `generateContentStream` each produce one span.
 */
export function instrumentVertexModel<M extends VertexGenerativeModelLike>(
  model: M,
  telemetry: LlmTelemetry,
): M {
  const m = model as M & {
    [INSTRUMENTED]?: boolean;
    model?: string;
    generationConfig?: GeminiRequestLike['generationConfig'];
    apiEndpoint?: string;
    location?: string;
  };
  if (m[INSTRUMENTED]) return model;
  const endpoint = m.apiEndpoint ?? `${m.location ?? 'us-central1'}-aiplatform.googleapis.com`;
  const server = serverOf(`https://${endpoint}`, endpoint);
  const start = (request: GeminiRequestLike | string, stream: boolean): LlmCallStart => {
    const config = typeof request === 'string' ? undefined : request.generationConfig;
    return {
      provider: PROVIDERS.vertexAi,
      model: m.model ?? 'unknown',
      request: requestParams({ ...m.generationConfig, ...config }),
      stream,
      server,
      inputMessages: typeof request === 'string' ? request : request.contents,
    };
  };
  const generateContent = model.generateContent.bind(model);
  const generateContentStream = model.generateContentStream.bind(model);
  m.generateContent = (request) =>
    telemetry.traceCall(
      start(request, false),
      () => generateContent(request),
      (result) => resultOf(result.response),
    );
  m.generateContentStream = async (request) => {
    const recorder = telemetry.startCall(start(request, true));
    const result = await opened(recorder, () => generateContentStream(request));
    // Callers read the chunks, the aggregated `response` promise, or both: whichever finishes first records.
    let recorded = false;
    const once: LlmCallRecorder = {
      span: recorder.span,
      firstChunk: () => recorder.firstChunk(),
      response: (r) => {
        if (recorded) return;
        recorded = true;
        recorder.response(r);
      },
      fail: (e) => recorder.fail(e),
      end: () => recorder.end(),
      summary: () => recorder.summary(),
    };
    const response = result.response.then(
      (r) => {
        try {
          once.response(resultOf(r));
        } finally {
          once.end();
        }
        return r;
      },
      (error: unknown) => {
        once.fail(error);
        once.end();
        throw error;
      },
    );
    return { stream: traceStream(result.stream, once), response };
  };
  m[INSTRUMENTED] = true;
  return model;
}
