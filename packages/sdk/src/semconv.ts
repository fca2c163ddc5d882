/**
 * Attribute names, copied here because the GenAI conventions are still in development (as OTel contrib does).
 * The collector's ClickHouse views read the same names: keep the two in step.
 */
export const ATTR = {
  userId: 'user.id',
  sessionId: 'session.id',
  conversationId: 'gen_ai.conversation.id',
  tenant: 'promptscope.tenant',
  /** Followed by the property's name: `promptscope.property.feature`. */
  propertyPrefix: 'promptscope.property.',
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestTopK: 'gen_ai.request.top_k',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestStopSequences: 'gen_ai.request.stop_sequences',
  requestSeed: 'gen_ai.request.seed',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
  /** Open proposal (semantic-conventions-genai #443); written as an exact decimal string, never a float. */
  usageCostAmount: 'gen_ai.usage.cost.amount',
  usageCostCurrency: 'gen_ai.usage.cost.currency',
  promptName: 'gen_ai.prompt.name',
  promptVersion: 'gen_ai.prompt.version',
  promptVariablePrefix: 'gen_ai.prompt.variable.',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  errorType: 'error.type',
  /** The tier a provider served the call at (OpenAI: default, flex, priority): picks the price. */
  openaiResponseServiceTier: 'openai.response.service_tier',
  openaiRequestServiceTier: 'openai.request.service_tier',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  // promptscope's own
  promptLabel: 'promptscope.prompt.label',
  promptContentHash: 'promptscope.prompt.content_hash',
  promptSource: 'promptscope.prompt.source',
  promptVariant: 'promptscope.prompt.variant',
  costStatus: 'promptscope.cost.status',
  costPriceId: 'promptscope.cost.price_id',
  /** Which catalog priced the call: `promptscope@<date>`, `genai-prices@<version>` or a deployment's file. */
  costCatalog: 'promptscope.cost.catalog',
  costUnpricedReason: 'promptscope.cost.unpriced_reason',
  /** 'collector' when the collector priced a span that arrived without a cost. */
  costSource: 'promptscope.cost.source',
  /** true on calls an admin made from the test endpoint, so analytics can leave them out. */
  testRun: 'promptscope.test_run',
} as const;

/**
 * Names older instrumentations still send (semantic conventions before 1.37, OpenLLMetry, our own first cost
 * attribute): read as fallbacks, never written.
 */
export const LEGACY_ATTR = {
  system: 'gen_ai.system',
  promptTokens: 'gen_ai.usage.prompt_tokens',
  completionTokens: 'gen_ai.usage.completion_tokens',
  cost: 'gen_ai.usage.cost',
  openaiResponseServiceTier: 'gen_ai.openai.response.service_tier',
  openaiRequestServiceTier: 'gen_ai.openai.request.service_tier',
} as const;

/**
 * What other instrumentations write on an LLM call instead of (or beside) the GenAI names: OpenLLMetry
 * (`llm.request.type`, `llm.usage.total_tokens`, `gen_ai.completion.0.finish_reason`, cache and reasoning counts as
 * `gen_ai.usage.cache_read_input_tokens`, `…cache_creation_input_tokens`, `…reasoning_tokens`) and OpenInference
 * (`openinference.span.kind`, `llm.system` / `llm.provider`, `llm.model_name`, `llm.token_count.*`). Read as
 * fallbacks by the collector's cost stage and the llm_calls view (migration 0009), never written.
 */
export const PEER_ATTR = {
  requestType: 'llm.request.type',
  totalTokens: 'llm.usage.total_tokens',
  completionFinishReason: 'gen_ai.completion.0.finish_reason',
  openInferenceKind: 'openinference.span.kind',
  system: 'llm.system',
  provider: 'llm.provider',
  modelName: 'llm.model_name',
  promptTokenCount: 'llm.token_count.prompt',
  completionTokenCount: 'llm.token_count.completion',
  totalTokenCount: 'llm.token_count.total',
  cacheReadInputTokens: 'gen_ai.usage.cache_read_input_tokens',
  cacheCreationInputTokens: 'gen_ai.usage.cache_creation_input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning_tokens',
  promptCacheRead: 'llm.token_count.prompt_details.cache_read',
  promptCacheWrite: 'llm.token_count.prompt_details.cache_write',
  completionReasoning: 'llm.token_count.completion_details.reasoning',
} as const;

export const EVENT_GUARDRAIL = 'promptscope.guardrail';
/** The GenAI event that carries a call's messages when content is captured as an event (EVENT_ONLY, SPAN_AND_EVENT). */
export const EVENT_INFERENCE_DETAILS = 'gen_ai.client.inference.operation.details';

export const PROVIDERS = { vertexAi: 'gcp.vertex_ai', gemini: 'gcp.gemini', genAi: 'gcp.gen_ai' } as const;
