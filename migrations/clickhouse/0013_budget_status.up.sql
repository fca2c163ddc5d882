-- Budgets' state for Grafana (issue 19): the active scheduler writes each budget's state after it evaluates the
-- budget's rules — per group: this period's spend, the projection to its end, what remains — one row per budget and
-- group, the newest kept. The API and the built-in page compute the state on request (GET /api/v1/budgets); this
-- table is what a read-only Grafana user can read.
CREATE TABLE IF NOT EXISTS budget_status (
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
) ENGINE = ReplacingMergeTree(evaluated_at)
ORDER BY (budget, group_key);
