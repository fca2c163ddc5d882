import { fingerprint, type Labels } from '../../src/alerts/labels.ts';
import { type Active, advance } from '../../src/alerts/state-machine.ts';
import { loadInstances, saveEvaluation } from '../../src/alerts/state-store.ts';
import type { Sql } from '../../src/store/postgres.ts';

/**
 * One evaluation of `rule` at `at`, stored as the scheduler stores it: these label sets hold (for 0s, so they fire
 * at once), every other instance of the rule resolves. Annotations: `summary` = "<alertname> on <template>".
 */
export async function recordEvaluation(sql: Sql, rule: string, active: Labels[], at: number): Promise<void> {
  const found = new Map<string, Active>(
    active.map((l) => [
      fingerprint(l),
      { labels: l, annotations: { summary: `${l.alertname} on ${l.template}` }, value: 1 },
    ]),
  );
  const out = advance(await loadInstances(sql, rule), found, { forMs: 0, keepFiringForMs: 0 }, at);
  const status = {
    rule,
    lastEvaluatedAt: at,
    evaluationMs: 1,
    health: 'ok' as const,
    error: null,
    consecutiveErrors: 0,
  };
  await saveEvaluation(sql, rule, { ...out, status }, at);
}
