ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS user_id String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS session_id String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS conversation_id String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS tenant LowCardinality(String),
    ADD COLUMN IF NOT EXISTS properties Map(LowCardinality(String), String) CODEC(ZSTD(1));

ALTER TABLE llm_calls ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS user_id String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS session_id String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS conversation_id String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS tenant LowCardinality(String),
    ADD COLUMN IF NOT EXISTS properties Map(LowCardinality(String), String) CODEC(ZSTD(1));

DROP VIEW IF EXISTS llm_calls_mv ON CLUSTER 'promptscope' SYNC;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_calls_mv ON CLUSTER 'promptscope' TO llm_calls_local AS
WITH
    toDecimal64OrNull(coalesce(nullIf(SpanAttributes['gen_ai.usage.cost.amount'], ''), SpanAttributes['gen_ai.usage.cost']), 12) AS cost_raw,
    StatusCode IN ('Error', 'STATUS_CODE_ERROR') AS failed,
    ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens',
     'llm.usage.total_tokens', 'llm.token_count.prompt', 'llm.token_count.completion', 'llm.token_count.total'] AS token_keys,
    arrayAll(k -> NOT mapContains(SpanAttributes, k), token_keys) AS no_usage,
    multiIf(
        SpanAttributes['promptscope.cost.status'] = 'not_billed' OR (failed AND no_usage AND cost_raw IS NULL), 'not_billed',
        cost_raw IS NOT NULL, 'priced',
        'unpriced') AS status,
    lower(trimBoth(coalesce(nullIf(SpanAttributes['gen_ai.provider.name'], ''), nullIf(SpanAttributes['gen_ai.system'], ''),
                            nullIf(SpanAttributes['llm.system'], ''), SpanAttributes['llm.provider']))) AS provider_raw,
    multiIf(
        provider_raw IN ('vertex_ai', 'vertexai', 'vertex', 'gcp.vertex.agent', 'google'), 'gcp.vertex_ai',
        provider_raw IN ('gemini', 'google_ai_studio', 'googleai'), 'gcp.gemini',
        provider_raw) AS provider_name,
    coalesce(nullIf(SpanAttributes['gen_ai.request.model'], ''), SpanAttributes['llm.model_name']) AS model_requested,
    SpanAttributes['llm.request.type'] AS request_type,
    toUInt64OrZero(coalesce(nullIf(SpanAttributes['gen_ai.usage.input_tokens'], ''), nullIf(SpanAttributes['gen_ai.usage.prompt_tokens'], ''), SpanAttributes['llm.token_count.prompt'])) AS input_n,
    toUInt64OrZero(coalesce(nullIf(SpanAttributes['gen_ai.usage.output_tokens'], ''), nullIf(SpanAttributes['gen_ai.usage.completion_tokens'], ''), SpanAttributes['llm.token_count.completion'])) AS output_n,
    toUInt64OrZero(coalesce(nullIf(SpanAttributes['llm.usage.total_tokens'], ''), SpanAttributes['llm.token_count.total'])) AS total_n,
    if(total_n > input_n + output_n, total_n - input_n - output_n, 0) AS unreported_output,
    ['traceloop.association.properties.user_id', 'traceloop.association.properties.session_id'] AS association_ids,
    
    if(SpanAttributes['metadata'] = '', [], arraySlice(JSONExtractKeysAndValues(SpanAttributes['metadata'], 'String'), 1, 20)) AS metadata_pairs
SELECT
    Timestamp AS timestamp,
    TraceId AS trace_id,
    SpanId AS span_id,
    ServiceName AS service_name,
    coalesce(nullIf(ResourceAttributes['deployment.environment.name'], ''), ResourceAttributes['deployment.environment']) AS environment,
    provider_name AS provider,
    multiIf(
        SpanAttributes['gen_ai.operation.name'] != '', SpanAttributes['gen_ai.operation.name'],
        request_type = 'completion' AND provider_name IN ('gcp.vertex_ai', 'gcp.gemini', 'gcp.gen_ai'), 'generate_content',
        request_type = 'completion', 'text_completion',
        request_type IN ('embedding', 'embeddings'), 'embeddings',
        request_type) AS operation,
    model_requested AS request_model,
    SpanAttributes['gen_ai.response.model'] AS response_model,
    SpanAttributes['gen_ai.prompt.name'] AS prompt_name,
    SpanAttributes['gen_ai.prompt.version'] AS prompt_version,
    SpanAttributes['promptscope.prompt.label'] AS prompt_label,
    SpanAttributes['promptscope.prompt.source'] AS prompt_source,
    SpanAttributes['promptscope.prompt.variant'] AS prompt_variant,
    input_n AS input_tokens,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cache_read_tokens,
    output_n + unreported_output AS output_tokens,
    if(SpanAttributes['gen_ai.usage.reasoning.output_tokens'] != '',
       toUInt64OrZero(SpanAttributes['gen_ai.usage.reasoning.output_tokens']), unreported_output) AS reasoning_tokens,
    CAST(if(status = 'not_billed', toDecimal64(0, 12), cost_raw), 'Nullable(Decimal(18, 12))') AS cost_amount,
    if(status = 'unpriced', '', coalesce(nullIf(SpanAttributes['gen_ai.usage.cost.currency'], ''), 'USD')) AS cost_currency,
    status AS cost_status,
    Duration AS duration_ns,
    StatusCode AS status_code,
    toUInt8(StatusCode NOT IN ('Error', 'STATUS_CODE_ERROR')) AS success,
    SpanAttributes['error.type'] AS error_type,
    if(SpanAttributes['gen_ai.response.finish_reasons'] = '' AND SpanAttributes['gen_ai.completion.0.finish_reason'] != '',
       [SpanAttributes['gen_ai.completion.0.finish_reason']],
       JSONExtract(coalesce(nullIf(SpanAttributes['gen_ai.response.finish_reasons'], ''), '[]'), 'Array(String)')) AS finish_reasons,
    toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) AS time_to_first_chunk_s,
    toUInt8(SpanAttributes['promptscope.test_run'] = 'true') AS test_run,
    coalesce(nullIf(SpanAttributes['user.id'], ''), nullIf(SpanAttributes['langfuse.user.id'], ''),
             SpanAttributes['traceloop.association.properties.user_id']) AS user_id,
    coalesce(nullIf(SpanAttributes['session.id'], ''), nullIf(SpanAttributes['langfuse.session.id'], ''),
             SpanAttributes['traceloop.association.properties.session_id']) AS session_id,
    SpanAttributes['gen_ai.conversation.id'] AS conversation_id,
    SpanAttributes['promptscope.tenant'] AS tenant,
    
    
    CAST(if(empty(metadata_pairs) AND NOT arrayExists(k -> startsWith(k, 'promptscope.property.') OR startsWith(k, 'traceloop.association.properties.'), mapKeys(SpanAttributes)),
            map(),
            mapUpdate(
                CAST(mapFilter((k, v) -> v != '' AND length(k) <= 64 AND length(v) <= 256 AND NOT match(v, '^[{[]'),
                               mapFromArrays(arrayMap(p -> p.1, metadata_pairs), arrayMap(p -> p.2, metadata_pairs))),
                     'Map(String, String)'),
                CAST(mapApply((k, v) -> (if(startsWith(k, 'promptscope.property.'), substring(k, 22), substring(k, 34)), v),
                              mapFilter((k, v) -> v != '' AND (startsWith(k, 'promptscope.property.')
                                                   OR (startsWith(k, 'traceloop.association.properties.') AND k NOT IN association_ids)),
                                        SpanAttributes)),
                     'Map(String, String)'))),
         'Map(LowCardinality(String), String)') AS properties
FROM otel_traces_local
WHERE SpanAttributes['gen_ai.operation.name'] != ''
   OR request_type != ''
   OR SpanAttributes['openinference.span.kind'] = 'LLM'
   OR NOT no_usage
   OR (provider_name != '' AND (model_requested != '' OR SpanAttributes['gen_ai.response.model'] != ''));
