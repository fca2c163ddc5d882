DROP VIEW IF EXISTS llm_calls_hour_status;
DROP TABLE IF EXISTS llm_calls_hourly_builds;
DROP TABLE IF EXISTS llm_calls_hourly;
DROP VIEW IF EXISTS llm_calls_hour_rows_mv;
DROP TABLE IF EXISTS llm_calls_hour_rows;
ALTER TABLE llm_calls DROP INDEX IF EXISTS idx_timestamp;
