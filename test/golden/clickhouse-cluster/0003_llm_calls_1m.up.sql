CREATE TABLE IF NOT EXISTS llm_calls_1m_local ON CLUSTER 'promptscope' (
    minute DateTime,
    prompt_name LowCardinality(String),
    prompt_version LowCardinality(String),
    provider LowCardinality(String),
    request_model LowCardinality(String),
    service_name LowCardinality(String),
    environment LowCardinality(String),
    calls SimpleAggregateFunction(sum, UInt64),
    errors SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    cache_read_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    reasoning_tokens SimpleAggregateFunction(sum, UInt64),
    cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    unpriced_calls SimpleAggregateFunction(sum, UInt64),
    duration_quantiles AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt64)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(minute)
ORDER BY (prompt_name, prompt_version, provider, request_model, service_name, environment, minute)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS llm_calls_1m ON CLUSTER 'promptscope' AS llm_calls_1m_local
ENGINE = Distributed('promptscope', currentDatabase(), 'llm_calls_1m_local', cityHash64(prompt_name, prompt_version));

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_calls_1m_mv ON CLUSTER 'promptscope' TO llm_calls_1m_local AS
SELECT
    toStartOfMinute(timestamp) AS minute,
    prompt_name, prompt_version, provider, request_model, service_name, environment,
    toUInt64(count()) AS calls,
    toUInt64(countIf(success = 0)) AS errors,
    sum(input_tokens) AS input_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(output_tokens) AS output_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    toDecimal128(sumOrDefault(assumeNotNull(cost_amount) * (cost_amount IS NOT NULL)), 12) AS cost,
    toUInt64(countIf(cost_status = 'unpriced')) AS unpriced_calls,
    quantilesTDigestState(0.5, 0.95, 0.99)(duration_ns) AS duration_quantiles
FROM llm_calls_local
GROUP BY minute, prompt_name, prompt_version, provider, request_model, service_name, environment;
