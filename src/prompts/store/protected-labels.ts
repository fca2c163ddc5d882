import { recordAudit } from '../../audit.ts';
import { DomainError, notFound } from '../../domain-error.ts';
import type { Queryable, Sql } from '../../store/postgres.ts';
import { AUTOMATIC_LABELS } from '../version-input.ts';

export interface ProtectedLabel {
  label: string;
  protected_by: string;
  protected_at: Date;
}

/** The labels only a key with prompts:promote (or admin) may move, on every template. */
export async function listProtectedLabels(sql: Queryable): Promise<ProtectedLabel[]> {
  return sql<ProtectedLabel[]>`select label, protected_by, protected_at from protected_labels order by label`;
}

export async function protectLabel(sql: Sql, label: string, actor: string): Promise<ProtectedLabel> {
  if ((AUTOMATIC_LABELS as readonly string[]).includes(label))
    throw new DomainError(
      'validation_failed',
      `'${label}' moves by itself on every publish and cannot be protected`,
      {
        fields: [{ field: 'label', message: 'reserved label' }],
      },
    );
  return sql.begin(async (tx) => {
    const [row] = await tx<ProtectedLabel[]>`insert into protected_labels (label, protected_by)
      values (${label}, ${actor}) on conflict (label) do nothing returning label, protected_by, protected_at`;
    if (!row) return (await tx<ProtectedLabel[]>`select * from protected_labels where label = ${label}`)[0]!;
    await recordAudit(tx, { actor, action: 'label.protect', resourceType: 'label', resourceId: label });
    return row;
  });
}

export async function unprotectLabel(sql: Sql, label: string, actor: string): Promise<void> {
  await sql.begin(async (tx) => {
    const removed = await tx`delete from protected_labels where label = ${label} returning label`;
    if (removed.length === 0) throw notFound(`protected label '${label}'`);
    await recordAudit(tx, { actor, action: 'label.unprotect', resourceType: 'label', resourceId: label });
  });
}

/**
 * Refuses moving any of `labels` that is protected unless the mover may promote (prompts:promote or admin): 403,
 * naming the labels and the scope that would do.
 */
export async function refuseProtectedMove(
  sql: Queryable,
  labels: readonly string[],
  mayPromote: boolean,
): Promise<void> {
  if (mayPromote || labels.length === 0) return;
  const rows = await sql<
    { label: string }[]
  >`select label from protected_labels where label = any(${[...labels]})`;
  if (rows.length === 0) return;
  const names = rows.map((r) => `'${r.label}'`).join(', ');
  throw new DomainError(
    'forbidden',
    `label ${names} is protected: moving it needs a key with the prompts:promote scope (or admin)`,
    { fields: rows.map((r) => ({ field: 'label', message: `'${r.label}' is protected` })) },
  );
}
