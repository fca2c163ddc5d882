CREATE TABLE IF NOT EXISTS budget_status_local ON CLUSTER 'promptscope' (
    budget LowCardinality(String),
    group_key String,
    group_labels Map(LowCardinality(String), String),
    amount Decimal(38, 12),
    period LowCardinality(String),
    time_zone LowCardinality(String),
    period_start DateTime64(3, 'UTC'),
    period_end DateTime64(3, 'UTC'),
    spent Decimal(38, 12),
    projected Nullable(Decimal(38, 12)),
    remaining Decimal(38, 12),
    spent_share Float64,
    evaluated_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', evaluated_at)
ORDER BY (budget, group_key);

CREATE TABLE IF NOT EXISTS budget_status ON CLUSTER 'promptscope' AS budget_status_local
ENGINE = Distributed('promptscope', currentDatabase(), 'budget_status_local', cityHash64(budget, group_key));
