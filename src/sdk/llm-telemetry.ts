import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type CatalogOptions, loadPriceCatalog, type PriceCatalog } from '../pricing/catalog.ts';
import { type CostResult, computeCost } from '../pricing/cost.ts';
import {
  bucketsFromGemini,
  bucketsFromSemconv,
  type GeminiUsageMetadata,
  type UsageBuckets,
} from '../pricing/usage.ts';
import { evaluateGuardrails, type GuardrailVerdict } from '../prompts/guardrails.ts';
import { GuardrailBlockedError } from './errors.ts';
import { captureContentByEnv, disabledByEnv } from './options.ts';
import type { Prompt, RenderedPrompt } from './prompt.ts';
import { activePromptScope, type PromptRef } from './prompt-context.ts';
import { runPrompt } from './run-prompt.ts';
import { ATTR, EVENT_GUARDRAIL } from './semconv.ts';

export interface LlmTelemetryOptions {
  /** Defaults to the global provider (set by `startTelemetry` or any OTel SDK). */
  tracerProvider?: TracerProvider;
  /** A catalog, or options for loading the shipped one with a deployment's overrides. */
  prices?: PriceCatalog | CatalogOptions;
  /** Record prompt/completion text and variable values (default: PROMPTSCOPE_CAPTURE_CONTENT). */
  captureContent?: boolean;
  /** Record nothing (default: PROMPTSCOPE_DISABLED or OTEL_SDK_DISABLED). */
  disabled?: boolean;
  /** Called once per kind of internal failure; telemetry failures never reach the caller. */
  onInternalError?: (error: unknown) => void;
  now?: () => number;
}

export interface LlmCallStart {
  provider: string;
  model: string;
  operation?: string;
  request?: {
    temperature?: number;
    topP?: number;
    topK?: number;
    maxTokens?: number;
    stopSequences?: string[];
    seed?: number;
  };
  stream?: boolean;
  server?: { address: string; port?: number };
  /** Recorded only when content capture is on. */
  inputMessages?: unknown;
}

export type LlmUsage =
  | { gemini: GeminiUsageMetadata }
  | { inputTokens?: number; outputTokens?: number; cacheReadTokens?: number; reasoningTokens?: number };

export interface LlmCallResult {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: LlmUsage;
  /** The answer text, for output guardrails (and recorded only when content capture is on). */
  outputText?: string;
  /** Applies a redaction from an output guardrail to the caller's response object. */
  redactOutput?: (redacted: string) => void;
}

/** What the instrumented code reports while a call runs. Every method is safe: it never throws. */
export interface LlmCallRecorder {
  readonly span: Span | undefined;
  firstChunk(): void;
  /** Records the response; throws GuardrailBlockedError (the only throw) when an output rule blocks. */
  response(result: LlmCallResult): void;
  fail(error: unknown): void;
  end(): void;
  /** The usage buckets and cost recorded so far (for callers that report them, like the admin test run). */
  summary(): LlmCallSummary;
}

export interface LlmCallSummary {
  usage?: UsageBuckets;
  cost?: CostResult;
}

export interface LlmTelemetryStats {
  spans: number;
  unpriced: number;
  internalErrors: number;
}

const NOOP_RECORDER: LlmCallRecorder = {
  span: undefined,
  firstChunk() {},
  response() {},
  fail() {},
  end() {},
  summary: () => ({}),
};

/** One span per LLM call, with GenAI attributes, template, guardrail verdicts and exact cost. */
export class LlmTelemetry {
  readonly captureContent: boolean;
  readonly disabled: boolean;
  #tracer: Tracer | undefined;
  #tracerProvider: TracerProvider;
  #catalog: PriceCatalog | undefined;
  #catalogOptions: CatalogOptions;
  #now: () => number;
  #onError: (error: unknown) => void;
  #reported = new Set<string>();
  #stats: LlmTelemetryStats = { spans: 0, unpriced: 0, internalErrors: 0 };

  constructor(options: LlmTelemetryOptions = {}) {
    this.disabled = options.disabled ?? disabledByEnv();
    this.captureContent = options.captureContent ?? captureContentByEnv();
    this.#tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
    this.#catalogOptions = options.prices && !('find' in options.prices) ? options.prices : {};
    this.#catalog = options.prices && 'find' in options.prices ? options.prices : undefined;
    this.#now = options.now ?? Date.now;
    this.#onError =
      options.onInternalError ?? ((e) => process.emitWarning(`promptscope telemetry: ${String(e)}`));
  }

  stats(): LlmTelemetryStats {
    return { ...this.#stats };
  }

  /** Runs one LLM call inside its span; the call's own result and errors reach the caller unchanged. */
  async traceCall<T>(start: LlmCallStart, call: (recorder: LlmCallRecorder) => Promise<T>): Promise<T> {
    const recorder = this.startCall(start);
    const run = () => call(recorder);
    let result: T;
    try {
      result = await (recorder.span
        ? context.with(trace.setSpan(context.active(), recorder.span), run)
        : run());
    } catch (error) {
      recorder.fail(error);
      recorder.end();
      throw error;
    }
    recorder.end();
    return result;
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
    if (this.disabled) return NOOP_RECORDER;
    try {
      return this.#begin(start);
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

  #begin(start: LlmCallStart): LlmCallRecorder {
    const operation = start.operation ?? 'generate_content';
    const scope = activePromptScope();
    const attributes: Attributes = {
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
    if (this.captureContent && start.inputMessages !== undefined)
      attributes[ATTR.inputMessages] = safeJson(start.inputMessages);

    const startedAt = this.#now();
    this.#tracer ??= this.#tracerProvider.getTracer('promptscope', '0.1.0');
    const span = this.#tracer.startSpan(`${operation} ${start.model}`, { kind: SpanKind.CLIENT, attributes });
    this.#stats.spans++;
    for (const v of scope?.inputVerdicts ?? []) addVerdictEvent(span, v, 'input');

    let ended = false;
    let firstChunkSeen = false;
    const summary: LlmCallSummary = {};
    const safe = (kind: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        if (error instanceof GuardrailBlockedError) throw error;
        this.internalError(kind, error);
      }
    };
    return {
      span,
      firstChunk: () =>
        safe('first-chunk', () => {
          if (firstChunkSeen) return;
          firstChunkSeen = true;
          span.setAttribute(ATTR.responseTimeToFirstChunk, (this.#now() - startedAt) / 1000);
        }),
      response: (result) =>
        safe('response', () => this.#recordResponse(span, start, result, scope?.prompt, summary)),
      summary: () => ({ ...summary }),
      fail: (error) =>
        safe('fail', () => {
          span.setAttribute(ATTR.errorType, errorType(error));
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : String(error),
          });
        }),
      end: () =>
        safe('end', () => {
          if (ended) return;
          ended = true;
          span.end();
        }),
    };
  }

  #recordResponse(
    span: Span,
    start: LlmCallStart,
    result: LlmCallResult,
    prompt: PromptRef | undefined,
    summary: LlmCallSummary,
  ): void {
    if (result.responseModel) span.setAttribute(ATTR.responseModel, result.responseModel);
    if (result.responseId) span.setAttribute(ATTR.responseId, result.responseId);
    if (result.finishReasons?.length) span.setAttribute(ATTR.responseFinishReasons, result.finishReasons);
    if (result.usage) {
      const buckets = toBuckets(result.usage);
      span.setAttributes({
        [ATTR.usageInputTokens]: buckets.inputUncached + buckets.cacheRead,
        [ATTR.usageOutputTokens]: buckets.output,
        [ATTR.usageCacheReadInputTokens]: buckets.cacheRead,
        [ATTR.usageReasoningOutputTokens]: buckets.reasoning,
      });
      const at = this.#now();
      let cost = computeCost(this.#prices(), {
        provider: start.provider,
        model: result.responseModel ?? start.model,
        usage: buckets,
        at,
      });
      // A dated or preview response model may have no price of its own where the requested one has.
      if (cost.status === 'unpriced' && result.responseModel && result.responseModel !== start.model) {
        cost = computeCost(this.#prices(), {
          provider: start.provider,
          model: start.model,
          usage: buckets,
          at,
        });
      }
      summary.usage = buckets;
      summary.cost = cost;
      if (cost.status === 'priced') {
        span.setAttributes({
          [ATTR.usageCostAmount]: cost.amount,
          [ATTR.usageCostCurrency]: cost.currency,
          [ATTR.costStatus]: 'priced',
          [ATTR.costPriceId]: cost.priceId,
        });
      } else {
        this.#stats.unpriced++;
        span.setAttributes({ [ATTR.costStatus]: 'unpriced', [ATTR.costUnpricedReason]: cost.reason });
      }
    }
    if (this.captureContent && result.outputText !== undefined) {
      span.setAttribute(
        ATTR.outputMessages,
        safeJson([{ role: 'assistant', parts: [{ type: 'text', content: result.outputText }] }]),
      );
    }
    if (prompt && result.outputText !== undefined && prompt.guardrails.length > 0) {
      const outcome = evaluateGuardrails(prompt.guardrails, result.outputText, 'output');
      for (const v of outcome.verdicts) addVerdictEvent(span, v, 'output');
      if (outcome.blocked) {
        const blocked = new GuardrailBlockedError(
          'output',
          outcome.verdicts.filter((v) => v.action === 'block'),
        );
        span.setAttribute(ATTR.errorType, 'guardrail_blocked');
        span.setStatus({ code: SpanStatusCode.ERROR, message: blocked.message });
        throw blocked;
      }
      if (outcome.text !== result.outputText) result.redactOutput?.(outcome.text);
    }
  }

  #prices(): PriceCatalog {
    this.#catalog ??= loadPriceCatalog(this.#catalogOptions);
    return this.#catalog;
  }
}

function toBuckets(usage: LlmUsage): UsageBuckets {
  return 'gemini' in usage ? bucketsFromGemini(usage.gemini) : bucketsFromSemconv(usage);
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

/** One event per violation; the matched text itself is never recorded. */
export function addVerdictEvent(span: Span, v: GuardrailVerdict, stage: 'input' | 'output'): void {
  span.addEvent(EVENT_GUARDRAIL, {
    'promptscope.guardrail.rule': v.rule,
    'promptscope.guardrail.type': v.type,
    'promptscope.guardrail.action': v.action,
    'promptscope.guardrail.stage': stage,
    'promptscope.guardrail.detail': v.detail,
    'promptscope.guardrail.matches': v.matches,
  });
}

/** A low-cardinality error.type: the HTTP status of a provider error, else the error's class name. */
export function errorType(error: unknown): string {
  if (error instanceof GuardrailBlockedError) return 'guardrail_blocked';
  if (error && typeof error === 'object') {
    const status =
      (error as { status?: unknown; code?: unknown }).status ?? (error as { code?: unknown }).code;
    if (typeof status === 'number' && status >= 400) return String(status);
    if (error instanceof Error && error.name && error.name !== 'Error') return error.name;
    if (error instanceof Error) {
      const m = /\[(\d{3})[^\]]*\]|got status: (\d{3})|"code":\s*(\d{3})/.exec(error.message);
      if (m) return m[1] ?? m[2] ?? m[3]!;
    }
  }
  return '_OTHER';
}

function setIf(a: Attributes, key: string, v: number | undefined) {
  if (typeof v === 'number' && Number.isFinite(v)) a[key] = v;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return '"[unserialisable]"';
  }
}
