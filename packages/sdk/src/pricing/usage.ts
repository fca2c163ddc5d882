/** Token counts split into disjoint billable buckets: each token is priced exactly once. */
export interface UsageBuckets {
  /** Input tokens not served from a cache. */
  inputUncached: number;
  /** Input tokens read from a context cache. */
  cacheRead: number;
  /** Input tokens written to a prompt cache (Anthropic, Bedrock): billed at their own price. */
  cacheWrite: number;
  /** Output tokens, thinking included (Gemini bills thoughts as output). */
  output: number;
  /** Thinking tokens, already inside `output`; kept for analytics, never priced twice. */
  reasoning: number;
  /** The whole prompt as the provider counts it (uncached + cache reads + cache writes); picks the context tier. */
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
    cacheWrite: 0,
    output: n(u.candidatesTokenCount) + n(u.thoughtsTokenCount),
    reasoning: n(u.thoughtsTokenCount),
    promptTotal: prompt,
  };
}

/**
 * From GenAI semantic-convention counts: input_tokens includes cache reads and cache writes (as the spec says, and as
 * OpenLLMetry and OpenAI-style instrumentations write it), and output_tokens includes reasoning. A span whose cache
 * counts add up to more than its input counted input as Anthropic's API does (cache tokens apart): then the cache
 * counts are added to it rather than taken from it.
 */
export function bucketsFromSemconv(u: {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}): UsageBuckets {
  const input = n(u.inputTokens);
  const cacheRead = n(u.cacheReadTokens);
  const cacheWrite = n(u.cacheWriteTokens);
  const apart = cacheRead + cacheWrite > input;
  return {
    inputUncached: apart ? input : input - cacheRead - cacheWrite,
    cacheRead,
    cacheWrite,
    output: n(u.outputTokens),
    reasoning: Math.min(n(u.reasoningTokens), n(u.outputTokens)),
    promptTotal: apart ? input + cacheRead + cacheWrite : input,
  };
}
