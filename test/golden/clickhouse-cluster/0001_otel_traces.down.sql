DROP VIEW IF EXISTS otel_traces_trace_id_ts_mv ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS otel_traces_trace_id_ts ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS otel_traces_trace_id_ts_local ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS otel_traces ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS otel_traces_local ON CLUSTER 'promptscope' SYNC;
