-- An exact hourly rollup of llm_calls for the long-range figures, kept beside the calls, never instead of them.
--
-- llm_calls_hour_rows counts every row inserted into llm_calls per hour (every copy, before FINAL), from its own
-- view: any insert into an hour changes that hour's count. The rollup builder (the scheduler) aggregates a closed
-- hour from `llm_calls FINAL` into llm_calls_hourly and records in llm_calls_hourly_builds the count it saw before
-- it started. A figure reads an hour from the rollup only while the two counts still agree (llm_calls_hour_status),
-- and every other hour from llm_calls itself: a late or repeated span makes its hour read raw until it is rebuilt.
-- Durations and times to first chunk are kept as arrays, so quantiles stay exact (quantileExactLowArray).
-- llm_calls is sorted by template, version and model first, so each granule holds a short stretch of time: a minmax
-- index on the timestamp lets the hours read from llm_calls (the current one, mostly) skip the rest of the month.
ALTER TABLE llm_calls ADD INDEX IF NOT EXISTS idx_timestamp timestamp TYPE minmax GRANULARITY 1;
ALTER TABLE llm_calls MATERIALIZE INDEX idx_timestamp;

CREATE TABLE IF NOT EXISTS llm_calls_hour_rows (
    hour DateTime('UTC'),
    rows SimpleAggregateFunction(sum, UInt64),
    last_insert_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
-- No deduplication window, on purpose: two different inserts can make identical blocks here (same hour, count and
-- millisecond), and dropping one would hide rows. A retried insert counted twice only makes its hour rebuild.
ORDER BY hour;

-- Hours are DateTime, which ends in 2106; a call dated later (spans may be dated up to 2262) is never in the rollup,
-- and is left out here so that no wrapped-around hour is counted (figures read such calls from llm_calls).
CREATE MATERIALIZED VIEW IF NOT EXISTS llm_calls_hour_rows_mv TO llm_calls_hour_rows AS
SELECT toStartOfHour(timestamp, 'UTC') AS hour, toUInt64(count()) AS rows, max(now64(3, 'UTC')) AS last_insert_at
FROM llm_calls
WHERE timestamp < toDateTime64('2106-02-07 06:00:00', 9, 'UTC')
GROUP BY hour;

-- Calls already stored when this table is made (any miscount here only makes an hour read raw until rebuilt).
INSERT INTO llm_calls_hour_rows
SELECT toStartOfHour(timestamp, 'UTC') AS hour, toUInt64(count()) AS rows, now64(3, 'UTC') AS last_insert_at
FROM llm_calls
WHERE timestamp < toDateTime64('2106-02-07 06:00:00', 9, 'UTC')
GROUP BY hour;

CREATE TABLE IF NOT EXISTS llm_calls_hourly (
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
) ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, test_run, prompt_name, prompt_version, prompt_label, prompt_variant, request_model, provider, service_name, environment);

CREATE TABLE IF NOT EXISTS llm_calls_hourly_builds (
    hour DateTime('UTC'),
    built_at DateTime64(3, 'UTC'),
    source_rows UInt64
) ENGINE = ReplacingMergeTree(built_at)
ORDER BY hour;

-- Every hour that has calls: its rows now, when it last got some, and its newest build (if any). `fresh`: the newest
-- build saw every row the hour has now, so the rollup can stand in for llm_calls over that hour.
CREATE VIEW IF NOT EXISTS llm_calls_hour_status AS
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
