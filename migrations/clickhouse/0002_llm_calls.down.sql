DROP VIEW IF EXISTS llm_calls_mv;
DROP TABLE IF EXISTS llm_calls;
