-- The per-minute rollup is gone. Its view added every insert into llm_calls to a sum, so a span that reached
-- ClickHouse twice (the official collector retrying, a client resending to another collector instance: copies that
-- insert deduplication does not catch) was counted twice there, and no merge could undo it. No figure read it:
-- every figure reads llm_calls with FINAL, which counts each span once.
DROP VIEW IF EXISTS llm_calls_1m_mv;
DROP TABLE IF EXISTS llm_calls_1m;
