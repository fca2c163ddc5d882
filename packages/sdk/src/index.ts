/**
 * promptscope/sdk — what services import. Nothing here loads a database driver or the server.
 */

export type { Attribution } from './attribution.ts';
export { ATTRIBUTION_LIMITS } from './attribution.ts';
export { GuardrailBlockedError, PromptRenderError, PromptUnavailableError } from './errors.ts';
export { resultOf as geminiCallResult } from './gemini-response.ts';
export type { GoogleGenAILike } from './google-genai.ts';
export { instrumentGoogleGenAI } from './google-genai.ts';
export type {
  LlmCallRecorder,
  LlmCallResult,
  LlmCallStart,
  LlmCallSummary,
  LlmTelemetryOptions,
  LlmTelemetryStats,
  LlmUsage,
} from './llm-telemetry.ts';
export { LlmTelemetry } from './llm-telemetry.ts';
export type { PriceEntryInput } from './pricing/catalog.ts';
export { loadPriceCatalog, PriceCatalog } from './pricing/catalog.ts';
export type { CostResult } from './pricing/cost.ts';
export { computeCost } from './pricing/cost.ts';
export type { GeminiUsageMetadata, UsageBuckets } from './pricing/usage.ts';
export { bucketsFromGemini, bucketsFromSemconv } from './pricing/usage.ts';
export type { FallbackTemplate, RenderedPrompt } from './prompt.ts';
export { Prompt } from './prompt.ts';
export type { GetPromptOptions, PromptClientEvent, PromptClientOptions } from './prompt-client.ts';
export { PromptClient } from './prompt-client.ts';
export type { PromptRef } from './prompt-context.ts';
export type { GuardrailRule, GuardrailVerdict } from './prompts/guardrails.ts';
export { ATTR } from './semconv.ts';
export type { RunningTelemetry, TelemetrySetupOptions } from './setup.ts';
export { startTelemetry } from './setup.ts';
export type { VertexGenerativeModelLike } from './vertexai.ts';
export { instrumentVertexAI, instrumentVertexModel } from './vertexai.ts';
