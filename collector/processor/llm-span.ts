import { canonicalProvider } from '#sdk/pricing';
import { ATTR, LEGACY_ATTR, PEER_ATTR } from '#sdk/semconv';

/**
 * Which spans are LLM calls, and what they say about the call, for spans of any instrumentation: ours and the
 * GenAI conventions (`gen_ai.operation.name`), older conventions and OpenLLMetry (`gen_ai.system`, `prompt_tokens`,
 * `llm.request.type`), OpenInference (`openinference.span.kind=LLM`, `llm.token_count.*`). The llm_calls view
 * (migrations/clickhouse/0009) applies the same rules in SQL, so spans from the official OpenTelemetry Collector are
 * classified alike; `llm-span.test.ts` sends random spans through both and compares.
 */
export interface LlmCall {
  provider: string;
  model: string;
  /** Token counts as sent (strings), undefined where the span has none. */
  input?: string;
  output?: string;
  cacheRead?: string;
  cacheWrite?: string;
  reasoning?: string;
  /** Total tokens where the instrumentation reports it (OpenLLMetry, OpenInference). */
  total?: string;
  /** The service tier the provider served it at (the response's, else the request's). */
  serviceTier?: string;
}

const TOKEN_KEYS = [
  ATTR.usageInputTokens,
  ATTR.usageOutputTokens,
  LEGACY_ATTR.promptTokens,
  LEGACY_ATTR.completionTokens,
  PEER_ATTR.totalTokens,
  PEER_ATTR.promptTokenCount,
  PEER_ATTR.completionTokenCount,
  PEER_ATTR.totalTokenCount,
];

/** The first of `keys` the span has with a non-empty value. */
function first(a: Record<string, string>, ...keys: string[]): string | undefined {
  for (const k of keys) if (a[k]) return a[k];
  return undefined;
}

export function providerOf(a: Record<string, string>): string {
  return canonicalProvider(
    first(a, ATTR.providerName, LEGACY_ATTR.system, PEER_ATTR.system, PEER_ATTR.provider) ?? '',
  );
}

/** The call a span records, or undefined when the span is not an LLM call. */
export function llmCallOf(a: Record<string, string>): LlmCall | undefined {
  const provider = providerOf(a);
  const model = first(a, ATTR.responseModel, ATTR.requestModel, PEER_ATTR.modelName) ?? '';
  const isCall =
    !!a[ATTR.operationName] ||
    !!a[PEER_ATTR.requestType] ||
    a[PEER_ATTR.openInferenceKind] === 'LLM' ||
    TOKEN_KEYS.some((k) => k in a) ||
    (provider !== '' && model !== '');
  if (!isCall) return undefined;
  return {
    provider,
    model,
    input: first(a, ATTR.usageInputTokens, LEGACY_ATTR.promptTokens, PEER_ATTR.promptTokenCount),
    output: first(a, ATTR.usageOutputTokens, LEGACY_ATTR.completionTokens, PEER_ATTR.completionTokenCount),
    cacheRead: first(
      a,
      ATTR.usageCacheReadInputTokens,
      PEER_ATTR.cacheReadInputTokens,
      PEER_ATTR.promptCacheRead,
    ),
    cacheWrite: first(
      a,
      ATTR.usageCacheCreationInputTokens,
      PEER_ATTR.cacheCreationInputTokens,
      PEER_ATTR.promptCacheWrite,
    ),
    reasoning: first(
      a,
      ATTR.usageReasoningOutputTokens,
      PEER_ATTR.reasoningTokens,
      PEER_ATTR.completionReasoning,
    ),
    total: first(a, PEER_ATTR.totalTokens, PEER_ATTR.totalTokenCount),
    serviceTier: first(
      a,
      ATTR.openaiResponseServiceTier,
      LEGACY_ATTR.openaiResponseServiceTier,
      ATTR.openaiRequestServiceTier,
      LEGACY_ATTR.openaiRequestServiceTier,
    ),
  };
}

/**
 * A span with GenAI-looking attributes (`gen_ai.*`, `llm.*`) that is not an LLM call by the rules above: counted by
 * the collector (`promptscope_collector_genai_spans_unclassified_total`) so an operator sees calls that would
 * otherwise go uncounted.
 */
export function looksLikeGenAi(a: Record<string, string>): boolean {
  for (const k in a) if (k.startsWith('gen_ai.') || k.startsWith('llm.')) return true;
  return false;
}
