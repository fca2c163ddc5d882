DROP VIEW IF EXISTS llm_calls_1m_mv ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_1m ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS llm_calls_1m_local ON CLUSTER 'promptscope' SYNC;
