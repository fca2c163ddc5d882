/** Token counts split into disjoint billable buckets: each token is priced exactly once. */
export interface UsageBuckets {
  /** Input tokens not served from a cache. */
  inputUncached: number;
  /** Input tokens read from a context cache. */
  cacheRead: number;
  /** Output tokens, thinking included (Gemini bills thoughts as output). */
  output: number;
  /** Thinking tokens, already inside `output`; kept for analytics, never priced twice. */
  reasoning: number;
  /** The whole prompt as the provider counts it (uncached + cached); picks the context tier. */
  promptTotal: number;
}

/** Gemini / Vertex `usageMetadata` as the REST API and both Google SDKs return it. */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

const n = (v: number | undefined) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;

/**
 * promptTokenCount includes cached content; candidatesTokenCount excludes thoughts. So:
 * uncached input = prompt − cached, cache read = cached, output = candidates + thoughts.
 * Tool-use prompt tokens are billed as input.
 */
export function bucketsFromGemini(u: GeminiUsageMetadata): UsageBuckets {
  const prompt = n(u.promptTokenCount) + n(u.toolUsePromptTokenCount);
  const cached = Math.min(n(u.cachedContentTokenCount), prompt);
  return {
    inputUncached: prompt - cached,
    cacheRead: cached,
    output: n(u.candidatesTokenCount) + n(u.thoughtsTokenCount),
    reasoning: n(u.thoughtsTokenCount),
    promptTotal: prompt,
  };
}

/**
 * From GenAI semantic-convention counts: input_tokens includes cache reads (as the spec says), and output_tokens
 * includes reasoning (as our sdk and OpenAI-style instrumentations write it).
 */
export function bucketsFromSemconv(u: {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  reasoningTokens?: number;
}): UsageBuckets {
  const input = n(u.inputTokens);
  const cached = Math.min(n(u.cacheReadTokens), input);
  return {
    inputUncached: input - cached,
    cacheRead: cached,
    output: n(u.outputTokens),
    reasoning: n(u.reasoningTokens),
    promptTotal: input,
  };
}
