ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS test_run UInt8 DEFAULT 0 AFTER time_to_first_chunk_s;

ALTER TABLE llm_calls ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS test_run UInt8 DEFAULT 0 AFTER time_to_first_chunk_s;

ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS prompt_variant LowCardinality(String) DEFAULT '' AFTER prompt_source;

ALTER TABLE llm_calls ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS prompt_variant LowCardinality(String) DEFAULT '' AFTER prompt_source;

DROP VIEW IF EXISTS llm_calls_mv ON CLUSTER 'promptscope' SYNC;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_calls_mv ON CLUSTER 'promptscope' TO llm_calls_local AS
WITH
    toDecimal64OrNull(coalesce(nullIf(SpanAttributes['gen_ai.usage.cost.amount'], ''), SpanAttributes['gen_ai.usage.cost']), 12) AS cost_raw,
    StatusCode IN ('Error', 'STATUS_CODE_ERROR') AS failed,
    arrayAll(k -> NOT mapContains(SpanAttributes, k), ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens']) AS no_usage,
    multiIf(
        SpanAttributes['promptscope.cost.status'] = 'not_billed' OR (failed AND no_usage AND cost_raw IS NULL), 'not_billed',
        cost_raw IS NOT NULL, 'priced',
        'unpriced') AS status
SELECT
    Timestamp AS timestamp,
    TraceId AS trace_id,
    SpanId AS span_id,
    ServiceName AS service_name,
    coalesce(nullIf(ResourceAttributes['deployment.environment.name'], ''), ResourceAttributes['deployment.environment']) AS environment,
    coalesce(nullIf(SpanAttributes['gen_ai.provider.name'], ''), SpanAttributes['gen_ai.system']) AS provider,
    SpanAttributes['gen_ai.operation.name'] AS operation,
    SpanAttributes['gen_ai.request.model'] AS request_model,
    SpanAttributes['gen_ai.response.model'] AS response_model,
    SpanAttributes['gen_ai.prompt.name'] AS prompt_name,
    SpanAttributes['gen_ai.prompt.version'] AS prompt_version,
    SpanAttributes['promptscope.prompt.label'] AS prompt_label,
    SpanAttributes['promptscope.prompt.source'] AS prompt_source,
    SpanAttributes['promptscope.prompt.variant'] AS prompt_variant,
    toUInt64OrZero(coalesce(nullIf(SpanAttributes['gen_ai.usage.input_tokens'], ''), SpanAttributes['gen_ai.usage.prompt_tokens'])) AS input_tokens,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cache_read_tokens,
    toUInt64OrZero(coalesce(nullIf(SpanAttributes['gen_ai.usage.output_tokens'], ''), SpanAttributes['gen_ai.usage.completion_tokens'])) AS output_tokens,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.reasoning.output_tokens']) AS reasoning_tokens,
    CAST(if(status = 'not_billed', toDecimal64(0, 12), cost_raw), 'Nullable(Decimal(18, 12))') AS cost_amount,
    if(status = 'unpriced', '', coalesce(nullIf(SpanAttributes['gen_ai.usage.cost.currency'], ''), 'USD')) AS cost_currency,
    status AS cost_status,
    Duration AS duration_ns,
    StatusCode AS status_code,
    toUInt8(StatusCode NOT IN ('Error', 'STATUS_CODE_ERROR')) AS success,
    SpanAttributes['error.type'] AS error_type,
    JSONExtract(coalesce(nullIf(SpanAttributes['gen_ai.response.finish_reasons'], ''), '[]'), 'Array(String)') AS finish_reasons,
    toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) AS time_to_first_chunk_s,
    toUInt8(SpanAttributes['promptscope.test_run'] = 'true') AS test_run
FROM otel_traces_local
WHERE SpanAttributes['gen_ai.operation.name'] != '';
