DROP VIEW IF EXISTS llm_calls_mv ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_local ON CLUSTER 'promptscope' SYNC;
