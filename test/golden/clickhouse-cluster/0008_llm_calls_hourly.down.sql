DROP VIEW IF EXISTS llm_calls_hour_status ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_hourly_builds ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_hourly_builds_local ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_hourly ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_hourly_local ON CLUSTER 'promptscope' SYNC;

DROP VIEW IF EXISTS llm_calls_hour_rows_mv ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_hour_rows ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_hour_rows_local ON CLUSTER 'promptscope' SYNC;

ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' DROP INDEX IF EXISTS idx_timestamp;
