import type { GuardrailRule } from '#sdk/templates';
import { recordAudit } from '../../audit.ts';
import { notFound } from '../../domain-error.ts';
import { publishChange } from '../../store/change-feed.ts';
import type { Sql } from '../../store/postgres.ts';

export interface GlobalGuardrail {
  id: string;
  rule: GuardrailRule;
  created_at: string;
  created_by: string;
}

interface Row {
  id: string;
  rule: GuardrailRule;
  created_at: Date;
  created_by: string;
}

const toView = (r: Row): GlobalGuardrail => ({
  id: r.id,
  rule: r.rule,
  created_at: r.created_at.toISOString(),
  created_by: r.created_by,
});

/** Rules that apply to every template, in creation order. */
export async function listGlobalGuardrails(sql: Sql): Promise<GlobalGuardrail[]> {
  const rows = await sql<
    Row[]
  >`select id, rule, created_at, created_by from global_guardrails order by created_at, id`;
  return rows.map(toView);
}

export async function createGlobalGuardrail(
  sql: Sql,
  rule: GuardrailRule,
  actor: string,
): Promise<GlobalGuardrail> {
  return sql.begin(async (tx) => {
    const [row] = await tx<Row[]>`insert into global_guardrails (name, rule, created_by)
      values (${rule.name}, ${tx.json(rule as never)}, ${actor}) returning id, rule, created_at, created_by`;
    await recordAudit(tx, {
      actor,
      action: 'guardrail.create',
      resourceType: 'guardrail',
      resourceId: row!.id,
      details: { name: rule.name },
    });
    await publishChange(tx, { kind: 'prompt', name: '*' });
    return toView(row!);
  });
}

export async function deleteGlobalGuardrail(sql: Sql, id: string, actor: string): Promise<void> {
  await sql.begin(async (tx) => {
    const rows = await tx`delete from global_guardrails where id::text = ${id} returning id`;
    if (rows.length === 0) throw notFound(`guardrail '${id}'`);
    await recordAudit(tx, { actor, action: 'guardrail.delete', resourceType: 'guardrail', resourceId: id });
    await publishChange(tx, { kind: 'prompt', name: '*' });
  });
}
