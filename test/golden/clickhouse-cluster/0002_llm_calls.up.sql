CREATE TABLE IF NOT EXISTS llm_calls_local ON CLUSTER 'promptscope' (
    timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    service_name LowCardinality(String),
    environment LowCardinality(String),
    provider LowCardinality(String),
    operation LowCardinality(String),
    request_model LowCardinality(String),
    response_model LowCardinality(String),
    prompt_name LowCardinality(String),
    prompt_version LowCardinality(String),
    prompt_label LowCardinality(String),
    prompt_source LowCardinality(String),
    
    input_tokens UInt64,
    cache_read_tokens UInt64,
    output_tokens UInt64,
    reasoning_tokens UInt64,
    cost_amount Nullable(Decimal(18, 12)),
    cost_currency LowCardinality(String),
    cost_status LowCardinality(String),
    duration_ns UInt64,
    status_code LowCardinality(String),
    success UInt8,
    error_type LowCardinality(String),
    finish_reasons Array(String),
    time_to_first_chunk_s Nullable(Float64),
    ingested_at DateTime64(3) DEFAULT now64(3),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', ingested_at)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (prompt_name, prompt_version, request_model, toStartOfMinute(timestamp), span_id)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS llm_calls ON CLUSTER 'promptscope' AS llm_calls_local
ENGINE = Distributed('promptscope', currentDatabase(), 'llm_calls_local', cityHash64(trace_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_calls_mv ON CLUSTER 'promptscope' TO llm_calls_local AS
WITH toDecimal128OrNull(coalesce(nullIf(SpanAttributes['gen_ai.usage.cost.amount'], ''), SpanAttributes['gen_ai.usage.cost']), 12) AS cost_raw
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
    toUInt64OrZero(coalesce(nullIf(SpanAttributes['gen_ai.usage.input_tokens'], ''), SpanAttributes['gen_ai.usage.prompt_tokens'])) AS input_tokens,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.cache_read.input_tokens']) AS cache_read_tokens,
    toUInt64OrZero(coalesce(nullIf(SpanAttributes['gen_ai.usage.output_tokens'], ''), SpanAttributes['gen_ai.usage.completion_tokens'])) AS output_tokens,
    toUInt64OrZero(SpanAttributes['gen_ai.usage.reasoning.output_tokens']) AS reasoning_tokens,
    CAST(cost_raw, 'Nullable(Decimal(18, 12))') AS cost_amount,
    if(cost_raw IS NULL, '', coalesce(nullIf(SpanAttributes['gen_ai.usage.cost.currency'], ''), 'USD')) AS cost_currency,
    if(cost_raw IS NULL, 'unpriced', 'priced') AS cost_status,
    Duration AS duration_ns,
    StatusCode AS status_code,
    toUInt8(StatusCode NOT IN ('Error', 'STATUS_CODE_ERROR')) AS success,
    SpanAttributes['error.type'] AS error_type,
    JSONExtract(coalesce(nullIf(SpanAttributes['gen_ai.response.finish_reasons'], ''), '[]'), 'Array(String)') AS finish_reasons,
    toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) AS time_to_first_chunk_s
FROM otel_traces_local
WHERE SpanAttributes['gen_ai.operation.name'] != '';
