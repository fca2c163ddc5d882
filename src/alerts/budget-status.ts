import type { ClickHouseClient } from '../store/clickhouse.ts';
import type { BudgetState } from './budgets.ts';

/**
 * Writes a budget's state to `budget_status` (one row per group, the newest kept), where Grafana reads it: the
 * scheduler does after each evaluation of the budget's rules.
 */
export async function recordBudgetStatus(
  client: ClickHouseClient,
  state: BudgetState,
  evaluatedAt: number,
): Promise<void> {
  if (state.groups.length === 0) return;
  await client.insert({
    table: 'budget_status',
    format: 'JSONEachRow',
    values: state.groups.map((g) => ({
      budget: state.name,
      group_key: JSON.stringify(g.labels),
      group_labels: g.labels,
      amount: state.amount,
      period: state.period,
      time_zone: state.time_zone,
      period_start: Date.parse(state.period_start),
      period_end: Date.parse(state.period_end),
      spent: g.spent,
      projected: g.projected,
      remaining: g.remaining,
      spent_share: g.spent_share,
      evaluated_at: evaluatedAt,
    })),
  });
}
