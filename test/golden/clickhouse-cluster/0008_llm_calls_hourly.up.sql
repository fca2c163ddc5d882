ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' ADD INDEX IF NOT EXISTS idx_timestamp timestamp TYPE minmax GRANULARITY 1;

ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' MATERIALIZE INDEX idx_timestamp;

CREATE TABLE IF NOT EXISTS llm_calls_hour_rows_local ON CLUSTER 'promptscope' (
    hour DateTime('UTC'),
    rows SimpleAggregateFunction(sum, UInt64),
    last_insert_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')


ORDER BY hour;

CREATE TABLE IF NOT EXISTS llm_calls_hour_rows ON CLUSTER 'promptscope' AS llm_calls_hour_rows_local
ENGINE = Distributed('promptscope', currentDatabase(), 'llm_calls_hour_rows_local', cityHash64(hour));

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_calls_hour_rows_mv ON CLUSTER 'promptscope' TO llm_calls_hour_rows_local AS
SELECT toStartOfHour(timestamp, 'UTC') AS hour, toUInt64(count()) AS rows, max(now64(3, 'UTC')) AS last_insert_at
FROM llm_calls_local
WHERE timestamp < toDateTime64('2106-02-07 06:00:00', 9, 'UTC')
GROUP BY hour;

INSERT INTO llm_calls_hour_rows SETTINGS distributed_foreground_insert = 1 SELECT toStartOfHour(timestamp, 'UTC') AS hour, toUInt64(count()) AS rows, now64(3, 'UTC') AS last_insert_at
FROM llm_calls
WHERE timestamp < toDateTime64('2106-02-07 06:00:00', 9, 'UTC')
GROUP BY hour;

CREATE TABLE IF NOT EXISTS llm_calls_hourly_local ON CLUSTER 'promptscope' (
    hour DateTime('UTC'),
    test_run UInt8,
    prompt_name LowCardinality(String),
    prompt_version LowCardinality(String),
    prompt_label LowCardinality(String),
    prompt_variant LowCardinality(String),
    request_model LowCardinality(String),
    provider LowCardinality(String),
    service_name LowCardinality(String),
    environment LowCardinality(String),
    calls UInt64,
    successes UInt64,
    input_uncached_tokens UInt64,
    cache_read_tokens UInt64,
    output_tokens UInt64,
    thinking_tokens UInt64,
    cost Decimal(38, 12),
    unpriced_calls UInt64,
    not_billed_calls UInt64,
    durations Array(UInt64) CODEC(T64, LZ4),
    times_to_first_chunk Array(Float64),
    built_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', built_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, test_run, prompt_name, prompt_version, prompt_label, prompt_variant, request_model, provider, service_name, environment);

CREATE TABLE IF NOT EXISTS llm_calls_hourly ON CLUSTER 'promptscope' AS llm_calls_hourly_local
ENGINE = Distributed('promptscope', currentDatabase(), 'llm_calls_hourly_local', cityHash64(prompt_name, prompt_version));

CREATE TABLE IF NOT EXISTS llm_calls_hourly_builds_local ON CLUSTER 'promptscope' (
    hour DateTime('UTC'),
    built_at DateTime64(3, 'UTC'),
    source_rows UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', built_at)
ORDER BY hour;

CREATE TABLE IF NOT EXISTS llm_calls_hourly_builds ON CLUSTER 'promptscope' AS llm_calls_hourly_builds_local
ENGINE = Distributed('promptscope', currentDatabase(), 'llm_calls_hourly_builds_local', cityHash64(hour));

CREATE VIEW IF NOT EXISTS llm_calls_hour_status ON CLUSTER 'promptscope' AS
SELECT
    r.hour AS hour,
    r.rows AS rows,
    r.last_insert_at AS last_insert_at,
    b.newest_build AS built_at,
    b.newest_build_rows AS source_rows,
    coalesce(b.newest_build_rows, 0) = r.rows AS fresh
FROM (
    SELECT hour, sum(rows) AS rows, max(last_insert_at) AS last_insert_at FROM llm_calls_hour_rows GROUP BY hour
    SETTINGS prefer_column_name_to_alias = 1
) AS r
LEFT JOIN (
    SELECT hour, max(built_at) AS newest_build, argMax(source_rows, built_at) AS newest_build_rows
    FROM llm_calls_hourly_builds GROUP BY hour
) AS b ON r.hour = b.hour;
