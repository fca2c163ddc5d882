import {
  type Attributes,
  type Context,
  context,
  SpanKind,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type Attribution, attributionAttributes, runWithAttribution } from './attribution.ts';
import { CallContext } from './call-context.ts';
import { type ContentCapture, contentCaptureByEnv, contentOnSpan, disabledByEnv } from './options.ts';
import { type CatalogOptions, loadPriceCatalog, type PriceCatalog } from './pricing/catalog.ts';
import type { Prompt, RenderedPrompt } from './prompt.ts';
import { activePromptScope, type PromptRef } from './prompt-context.ts';
import { runPrompt } from './run-prompt.ts';
import { ATTR } from './semconv.ts';
import {
  addVerdictEvent,
  type LlmCallRecorder,
  type LlmCallResult,
  type LlmCallStart,
  NOOP_RECORDER,
  type RecorderHost,
  SpanRecorder,
  safeJson,
} from './span-recorder.ts';

export type {
  LlmCallRecorder,
  LlmCallResult,
  LlmCallStart,
  LlmCallSummary,
  LlmUsage,
} from './span-recorder.ts';
export { errorType } from './span-recorder.ts';

export interface LlmTelemetryOptions {
  /** Defaults to the global provider (set by `startTelemetry` or any OTel SDK). */
  tracerProvider?: TracerProvider;
  /** A catalog, or options for loading the shipped one with a deployment's overrides. */
  prices?: PriceCatalog | CatalogOptions;
  /**
   * Record prompt/completion text and variable values: `true` = on the span (default: PROMPTSCOPE_CAPTURE_CONTENT or
   * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT), or where: `span`, `event`, `span_and_event`, `none`.
   */
  captureContent?: boolean | ContentCapture;
  /** Record nothing (default: PROMPTSCOPE_DISABLED or OTEL_SDK_DISABLED). */
  disabled?: boolean;
  /** Called once per kind of internal failure; telemetry failures never reach the caller. */
  onInternalError?: (error: unknown) => void;
  now?: () => number;
}

export interface LlmTelemetryStats {
  spans: number;
  unpriced: number;
  internalErrors: number;
  /** Attribution values and properties left out for being out of bounds (ATTRIBUTION_LIMITS). */
  attributionDropped: number;
}

/** One span per LLM call, with GenAI attributes, template, guardrail verdicts and exact cost. */
export class LlmTelemetry {
  /** Whether any content (text, variable values) is recorded. */
  readonly captureContent: boolean;
  readonly contentCapture: ContentCapture;
  readonly disabled: boolean;
  #tracer: Tracer | undefined;
  #tracerProvider: TracerProvider;
  #catalog: PriceCatalog | undefined;
  #catalogOptions: CatalogOptions;
  #now: () => number;
  #onError: (error: unknown) => void;
  #reported = new Set<string>();
  #stats: LlmTelemetryStats = { spans: 0, unpriced: 0, internalErrors: 0, attributionDropped: 0 };
  #host: RecorderHost;

  constructor(options: LlmTelemetryOptions = {}) {
    this.disabled = options.disabled ?? disabledByEnv();
    const capture = options.captureContent ?? contentCaptureByEnv();
    this.contentCapture = capture === true ? 'span' : capture === false ? 'none' : capture;
    this.captureContent = this.contentCapture !== 'none';
    this.#tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
    this.#catalogOptions = options.prices && !('find' in options.prices) ? options.prices : {};
    this.#catalog = options.prices && 'find' in options.prices ? options.prices : undefined;
    this.#now = options.now ?? Date.now;
    this.#host = {
      captureContent: this.captureContent,
      contentCapture: this.contentCapture,
      now: this.#now,
      prices: () => this.#prices(),
      countUnpriced: () => {
        this.#stats.unpriced++;
      },
      internalError: (kind, error) => this.internalError(kind, error),
    };
    this.#onError =
      options.onInternalError ?? ((e) => process.emitWarning(`promptscope telemetry: ${String(e)}`));
  }

  stats(): LlmTelemetryStats {
    return { ...this.#stats };
  }

  /**
   * Runs `fn` (a request's handler) with who and what its LLM calls are for: every LLM span inside, across `await`s,
   * carries the user, session, conversation, tenant and properties; other spans do not. It travels as OpenTelemetry
   * baggage, so outgoing HTTP carries it too (startTelemetry sets the W3C baggage propagator). Call it once per request.
   */
  withAttribution<T>(attribution: Attribution, fn: () => T): T {
    return runWithAttribution(attribution, fn, (n) => {
      this.#stats.attributionDropped += n;
    });
  }

  /**
   * Runs one LLM call inside its span; the call's own result and errors reach the caller unchanged. With `resultOf`,
   * the call's value is recorded as its response (an output guardrail that blocks turns it into that error).
   */
  traceCall<T>(
    start: LlmCallStart,
    call: (recorder: LlmCallRecorder) => Promise<T>,
    resultOf?: (value: T) => LlmCallResult,
  ): Promise<T> {
    const active = context.active();
    const recorder = this.#startIn(start, active);
    let pending: Promise<T>;
    try {
      pending = recorder.span
        ? context.with(new CallContext(active, recorder.span), call, undefined, recorder)
        : call(recorder);
    } catch (error) {
      recorder.fail(error);
      recorder.end();
      return Promise.reject(error);
    }
    const failed = (error: unknown): never => {
      recorder.fail(error);
      recorder.end();
      throw error;
    };
    // Plain then-handlers rather than an async frame, and one step for recording and ending: every LLM call's hot path.
    return Promise.resolve(pending).then((value) => {
      if (resultOf && recorder.span) {
        let result: LlmCallResult | undefined;
        try {
          result = resultOf(value);
        } catch (error) {
          // Reading the response is telemetry's own work: its failure is counted, never the caller's.
          this.internalError('response', error);
        }
        try {
          if (result) recorder.response(result);
        } catch (error) {
          failed(error); // an output guardrail that blocks, the one error response() lets through
        }
      }
      recorder.end();
      return value;
    }, failed);
  }

  /**
   * Renders `prompt` strictly, applies its input guardrails and runs `call` with the result; instrumented model
   * calls inside carry the template and the verdicts. See runPrompt.
   */
  runPrompt<T>(
    prompt: Prompt,
    values: Record<string, unknown>,
    call: (rendered: RenderedPrompt) => Promise<T>,
  ): Promise<T> {
    return runPrompt(this, prompt, values, call);
  }

  /** Starts a span by hand (for streams, which end long after the call returns). */
  startCall(start: LlmCallStart): LlmCallRecorder {
    return this.#startIn(start, context.active());
  }

  #startIn(start: LlmCallStart, active: Context): LlmCallRecorder {
    if (this.disabled) return NOOP_RECORDER;
    try {
      return this.#begin(start, active);
    } catch (error) {
      this.internalError('start', error);
      return NOOP_RECORDER;
    }
  }

  /** Counts an internal failure and reports each kind once. */
  internalError(kind: string, error: unknown): void {
    this.#stats.internalErrors++;
    if (this.#reported.has(kind)) return;
    this.#reported.add(kind);
    try {
      this.#onError(error);
    } catch {}
  }

  #begin(start: LlmCallStart, active: Context): LlmCallRecorder {
    const operation = start.operation ?? 'generate_content';
    const scope = activePromptScope();
    const attributes: Attributes = {
      ...attributionAttributes(active),
      ...start.attributes,
      [ATTR.operationName]: operation,
      [ATTR.providerName]: start.provider,
      [ATTR.requestModel]: start.model,
    };
    const r = start.request ?? {};
    setIf(attributes, ATTR.requestTemperature, r.temperature);
    setIf(attributes, ATTR.requestTopP, r.topP);
    setIf(attributes, ATTR.requestTopK, r.topK);
    setIf(attributes, ATTR.requestMaxTokens, r.maxTokens);
    setIf(attributes, ATTR.requestSeed, r.seed);
    if (r.stopSequences?.length) attributes[ATTR.requestStopSequences] = r.stopSequences;
    if (start.stream) attributes[ATTR.requestStream] = true;
    if (start.server) {
      attributes[ATTR.serverAddress] = start.server.address;
      setIf(attributes, ATTR.serverPort, start.server.port);
    }
    if (scope) Object.assign(attributes, promptAttributes(scope.prompt, this.captureContent));
    if (contentOnSpan(this.contentCapture) && start.inputMessages !== undefined)
      attributes[ATTR.inputMessages] = safeJson(start.inputMessages);

    const startedAt = this.#now();
    this.#tracer ??= this.#tracerProvider.getTracer('promptscope', '0.1.0');
    const span = this.#tracer.startSpan(
      `${operation} ${start.model}`,
      { kind: SpanKind.CLIENT, attributes },
      active,
    );
    this.#stats.spans++;
    if (scope) for (const v of scope.inputVerdicts) addVerdictEvent(span, v, 'input');

    return new SpanRecorder(span, start, scope?.prompt, startedAt, this.#host);
  }

  #prices(): PriceCatalog {
    this.#catalog ??= loadPriceCatalog(this.#catalogOptions);
    return this.#catalog;
  }
}

/** The template attributes; a fallback still names its template (unlike peers that drop the link). */
export function promptAttributes(p: PromptRef, captureContent: boolean): Attributes {
  const a: Attributes = { [ATTR.promptName]: p.name, [ATTR.promptSource]: p.source };
  if (p.version !== undefined) a[ATTR.promptVersion] = p.version;
  if (p.label !== undefined) a[ATTR.promptLabel] = p.label;
  if (p.contentHash !== undefined) a[ATTR.promptContentHash] = p.contentHash;
  if (p.variant !== undefined) a[ATTR.promptVariant] = p.variant;
  if (captureContent && p.variables) {
    for (const [k, v] of Object.entries(p.variables))
      a[`${ATTR.promptVariablePrefix}${k}`] = typeof v === 'string' ? v : safeJson(v);
  }
  return a;
}

function setIf(a: Attributes, key: string, v: number | undefined) {
  if (typeof v === 'number' && Number.isFinite(v)) a[key] = v;
}
