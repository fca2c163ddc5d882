import type { Queryable, Sql } from './store/postgres.ts';

export interface AuditEntry {
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  details?: Record<string, unknown>;
}

/** Appends who changed what; called inside the transaction that makes the change. */
export async function recordAudit(sql: Queryable, entry: AuditEntry): Promise<void> {
  await sql`insert into audit_log (actor, action, resource_type, resource_id, details)
    values (${entry.actor}, ${entry.action}, ${entry.resourceType}, ${entry.resourceId}, ${sql.json((entry.details ?? {}) as never)})`;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
  details: Record<string, unknown>;
}

export async function listAudit(
  sql: Sql,
  filter: { resourceType?: string; resourceId?: string; limit: number; offset: number },
): Promise<{ entries: AuditRow[]; total: number }> {
  const where = sql`where (${filter.resourceType ?? null}::text is null or resource_type = ${filter.resourceType ?? null})
    and (${filter.resourceId ?? null}::text is null or resource_id = ${filter.resourceId ?? null})`;
  const entries = await sql<
    AuditRow[]
  >`select id::text, at, actor, action, resource_type, resource_id, details
    from audit_log ${where} order by id desc limit ${filter.limit} offset ${filter.offset}`;
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from audit_log ${where}`;
  return { entries, total: count!.n };
}
