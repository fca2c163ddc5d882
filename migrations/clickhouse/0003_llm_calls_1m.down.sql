DROP VIEW IF EXISTS llm_calls_1m_mv;
DROP TABLE IF EXISTS llm_calls_1m;
