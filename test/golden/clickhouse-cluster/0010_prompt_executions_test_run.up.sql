CREATE OR REPLACE VIEW prompt_executions ON CLUSTER 'promptscope' AS
SELECT
    span_id AS id,
    prompt_name AS template_name,
    prompt_version AS template_version,
    provider,
    request_model AS model_name,
    toUInt8(success) AS success,
    toUInt64(intDiv(duration_ns, 1000000)) AS response_time_ms,
    input_tokens AS input_token_count,
    output_tokens AS output_token_count,
    cost_amount AS cost_usd,
    cost_status,
    error_type AS error_message,
    timestamp AS executed_at,
    trace_id,
    service_name,
    test_run
FROM llm_calls FINAL;
