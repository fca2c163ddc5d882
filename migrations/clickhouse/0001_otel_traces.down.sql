DROP VIEW IF EXISTS otel_traces_trace_id_ts_mv;
DROP TABLE IF EXISTS otel_traces_trace_id_ts;
DROP TABLE IF EXISTS otel_traces;
