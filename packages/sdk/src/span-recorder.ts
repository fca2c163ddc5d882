import { type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api';
import { GuardrailBlockedError } from './errors.ts';
import { type ContentCapture, contentAsEvent, contentOnSpan } from './options.ts';
import type { PriceCatalog } from './pricing/catalog.ts';
import { type CostResult, computeCost } from './pricing/cost.ts';
import {
  bucketsFromGemini,
  bucketsFromSemconv,
  type GeminiUsageMetadata,
  type UsageBuckets,
} from './pricing/usage.ts';
import type { PromptRef } from './prompt-context.ts';
import { evaluateGuardrails, type GuardrailVerdict } from './prompts/guardrails.ts';
import { ATTR, EVENT_GUARDRAIL, EVENT_INFERENCE_DETAILS } from './semconv.ts';

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
  /** Further span attributes of the caller's own (set before the GenAI ones, which win on a clash). */
  attributes?: Record<string, string | number | boolean>;
}

export type LlmUsage =
  | { gemini: GeminiUsageMetadata }
  | {
      inputTokens?: number;
      outputTokens?: number;
      cacheReadTokens?: number;
      cacheWriteTokens?: number;
      reasoningTokens?: number;
    };

export interface LlmCallResult {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: LlmUsage;
  /** The answer text, for output guardrails (and recorded only when content capture is on). */
  outputText?: string;
  /** Or a function that extracts it, called only when needed. */
  readOutputText?: () => string | undefined;
  /** Applies a redaction from an output guardrail to the caller's response object. */
  redactOutput?: (redacted: string) => void;
}

export interface LlmCallSummary {
  usage?: UsageBuckets;
  cost?: CostResult;
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

/** What a recorder needs from the telemetry that made it. */
export interface RecorderHost {
  captureContent: boolean;
  contentCapture: ContentCapture;
  now(): number;
  prices(): PriceCatalog;
  countUnpriced(): void;
  internalError(kind: string, error: unknown): void;
}

export const NOOP_RECORDER: LlmCallRecorder = {
  span: undefined,
  firstChunk() {},
  response() {},
  fail() {},
  end() {},
  summary: () => ({}),
};

/** Records one call onto its span: response, usage buckets, exact cost, output guardrails, errors. */
export class SpanRecorder implements LlmCallRecorder {
  readonly span: Span;
  #start: LlmCallStart;
  #prompt: PromptRef | undefined;
  #startedAt: number;
  #host: RecorderHost;
  #ended = false;
  #firstChunkSeen = false;
  #usage: UsageBuckets | undefined;
  #cost: CostResult | undefined;

  constructor(
    span: Span,
    start: LlmCallStart,
    prompt: PromptRef | undefined,
    startedAt: number,
    host: RecorderHost,
  ) {
    this.span = span;
    this.#start = start;
    this.#prompt = prompt;
    this.#startedAt = startedAt;
    this.#host = host;
  }

  firstChunk(): void {
    if (this.#firstChunkSeen) return;
    this.#firstChunkSeen = true;
    try {
      this.span.setAttribute(ATTR.responseTimeToFirstChunk, (this.#host.now() - this.#startedAt) / 1000);
    } catch (error) {
      this.#host.internalError('first-chunk', error);
    }
  }

  response(result: LlmCallResult): void {
    try {
      this.#record(result);
    } catch (error) {
      if (error instanceof GuardrailBlockedError) throw error;
      this.#host.internalError('response', error);
    }
  }

  fail(error: unknown): void {
    try {
      this.span.setAttribute(ATTR.errorType, errorType(error));
      // Failed before any answer (a 429, a 500, a refused request): the provider billed nothing. Once a stream has
      // started, what was billed is unknown without usage, so the call stays unpriced.
      if (this.#usage === undefined && !this.#firstChunkSeen) {
        this.span.setAttributes({
          [ATTR.usageCostAmount]: '0',
          [ATTR.usageCostCurrency]: 'USD',
          [ATTR.costStatus]: 'not_billed',
        });
      } else if (this.#usage === undefined) {
        this.span.setAttributes({
          [ATTR.costStatus]: 'unpriced',
          [ATTR.costUnpricedReason]: 'the stream failed before the provider reported usage',
        });
      }
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    } catch (e) {
      this.#host.internalError('fail', e);
    }
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.span.end();
    } catch (error) {
      this.#host.internalError('end', error);
    }
  }

  summary(): LlmCallSummary {
    return this.#usage === undefined ? {} : { usage: this.#usage, cost: this.#cost };
  }

  #record(result: LlmCallResult): void {
    const span = this.span;
    const start = this.#start;
    const attributes: Attributes = {};
    if (result.responseModel) attributes[ATTR.responseModel] = result.responseModel;
    if (result.responseId) attributes[ATTR.responseId] = result.responseId;
    if (result.finishReasons?.length) attributes[ATTR.responseFinishReasons] = result.finishReasons;
    if (result.usage) {
      const buckets =
        'gemini' in result.usage ? bucketsFromGemini(result.usage.gemini) : bucketsFromSemconv(result.usage);
      const prices = this.#host.prices();
      // The price in effect when the call was made, as the collector prices a span by its start time.
      const at = this.#startedAt;
      let cost = computeCost(prices, {
        provider: start.provider,
        model: result.responseModel ?? start.model,
        usage: buckets,
        at,
      });
      // A dated or preview response model may have no price of its own where the requested one has.
      if (cost.status === 'unpriced' && result.responseModel && result.responseModel !== start.model) {
        cost = computeCost(prices, { provider: start.provider, model: start.model, usage: buckets, at });
      }
      this.#usage = buckets;
      this.#cost = cost;
      attributes[ATTR.usageInputTokens] = buckets.inputUncached + buckets.cacheRead + buckets.cacheWrite;
      attributes[ATTR.usageOutputTokens] = buckets.output;
      attributes[ATTR.usageCacheReadInputTokens] = buckets.cacheRead;
      if (buckets.cacheWrite > 0) attributes[ATTR.usageCacheCreationInputTokens] = buckets.cacheWrite;
      attributes[ATTR.usageReasoningOutputTokens] = buckets.reasoning;
      if (cost.status === 'priced') {
        attributes[ATTR.usageCostAmount] = cost.amount;
        attributes[ATTR.usageCostCurrency] = cost.currency;
        attributes[ATTR.costStatus] = 'priced';
        attributes[ATTR.costPriceId] = cost.priceId;
        attributes[ATTR.costCatalog] = cost.catalog;
      } else {
        this.#host.countUnpriced();
        attributes[ATTR.costStatus] = 'unpriced';
        attributes[ATTR.costUnpricedReason] = cost.reason;
      }
    }
    span.setAttributes(attributes);
    const prompt = this.#prompt;
    const guarded = prompt !== undefined && prompt.guardrails.length > 0;
    const capture = this.#host.contentCapture;
    const text =
      this.#host.captureContent || guarded ? (result.outputText ?? result.readOutputText?.()) : undefined;
    const output =
      this.#host.captureContent && text !== undefined
        ? safeJson([{ role: 'assistant', parts: [{ type: 'text', content: text }] }])
        : undefined;
    if (contentOnSpan(capture) && output !== undefined) span.setAttribute(ATTR.outputMessages, output);
    if (contentAsEvent(capture)) {
      const details: Attributes = {};
      if (this.#start.inputMessages !== undefined)
        details[ATTR.inputMessages] = safeJson(this.#start.inputMessages);
      if (output !== undefined) details[ATTR.outputMessages] = output;
      span.addEvent(EVENT_INFERENCE_DETAILS, details);
    }
    if (guarded && text !== undefined) {
      const outcome = evaluateGuardrails(prompt.guardrails, text, 'output');
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
      if (outcome.text !== text) result.redactOutput?.(outcome.text);
    }
  }
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
    const status = (error as { status?: unknown }).status ?? (error as { code?: unknown }).code;
    if (typeof status === 'number' && status >= 400) return String(status);
    if (error instanceof Error && error.name && error.name !== 'Error') return error.name;
    if (error instanceof Error) {
      const m = /\[(\d{3})[^\]]*\]|got status: (\d{3})|"code":\s*(\d{3})/.exec(error.message);
      if (m) return m[1] ?? m[2] ?? m[3]!;
    }
  }
  return '_OTHER';
}

export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return '"[unserialisable]"';
  }
}
