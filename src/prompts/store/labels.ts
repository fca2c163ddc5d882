import { recordAudit } from '../../audit.ts';
import { DomainError, notFound } from '../../domain-error.ts';
import { publishChange } from '../../store/change-feed.ts';
import type { Queryable, Sql } from '../../store/postgres.ts';
import { AUTOMATIC_LABELS } from '../version-input.ts';
import { recordTemplateEvent } from './template-events.ts';
import { requireTemplate } from './templates.ts';

/** A label split between versions by weight (A/B); the first entry is also the label's plain target. */
export type LabelSplit = { version_id: string; version: string; weight: number }[];

export type LabelTarget = { version: string } | { split: { version: string; weight: number }[] };

/**
 * Points a label at a version (or a weighted split), inside the caller's transaction; records the move.
 * Returns false when the label already pointed there.
 */
export async function setLabel(
  tx: Queryable,
  templateId: string,
  label: string,
  target: { versionId: string; split?: LabelSplit } | null,
  actor: string,
  reason: string,
): Promise<boolean> {
  const [previous] = await tx<{ version_id: string; split: LabelSplit | null }[]>`
    select version_id, split from template_labels where template_id = ${templateId} and label = ${label} for update`;
  const sameTarget = (previous?.version_id ?? null) === (target?.versionId ?? null);
  const sameSplit = JSON.stringify(previous?.split ?? null) === JSON.stringify(target?.split ?? null);
  if (sameTarget && sameSplit) return false;
  const split = target?.split ? tx.json(target.split as never) : null;
  if (target === null) {
    await tx`delete from template_labels where template_id = ${templateId} and label = ${label}`;
  } else {
    await tx`insert into template_labels (template_id, label, version_id, split, updated_by)
      values (${templateId}, ${label}, ${target.versionId}, ${split}, ${actor})
      on conflict (template_id, label) do update set version_id = excluded.version_id, split = excluded.split,
        updated_at = now(), updated_by = excluded.updated_by`;
  }
  await tx`insert into label_moves (template_id, label, from_version_id, to_version_id, split, reason, moved_by)
    values (${templateId}, ${label}, ${previous?.version_id ?? null}, ${target?.versionId ?? null}, ${split}, ${reason}, ${actor})`;
  // `latest` follows every publish: the published event already says so.
  if (!(AUTOMATIC_LABELS as readonly string[]).includes(label)) {
    const ids = [previous?.version_id, target?.versionId].filter((id): id is string => Boolean(id));
    const versions = new Map(
      (
        await tx<
          { id: string; version: string }[]
        >`select id, version from template_versions where id = any(${ids})`
      ).map((v) => [v.id, v.version]),
    );
    await recordTemplateEvent(tx, {
      type: 'template.label.moved',
      templateId,
      actor,
      data: {
        label,
        from_version: (previous && versions.get(previous.version_id)) ?? null,
        to_version: (target && versions.get(target.versionId)) ?? null,
        split: target?.split?.map((s) => ({ version: s.version, weight: s.weight })) ?? null,
        reason,
      },
    });
  }
  return true;
}

/**
 * Moves a label in the caller's transaction and, when it moved, records who moved it in the audit log (with
 * `details`) and tells every instance's caches. Returns whether it moved.
 */
export async function recordedLabelMove(
  tx: Queryable,
  template: { id: string; name: string },
  label: string,
  target: { versionId: string; split?: LabelSplit },
  actor: string,
  reason: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  const moved = await setLabel(tx, template.id, label, target, actor, reason);
  if (moved) {
    await recordAudit(tx, {
      actor,
      action: 'label.move',
      resourceType: 'template',
      resourceId: template.name,
      details: { label, ...details, reason },
    });
    await publishChange(tx, { kind: 'prompt', name: template.name });
  }
  return moved;
}

/** Promote, roll back, or split a label between versions; every move is kept in label_moves. */
export async function moveLabel(
  sql: Sql,
  name: string,
  label: string,
  target: LabelTarget,
  reason: string,
  actor: string,
): Promise<{
  label: string;
  version: string;
  version_id: string;
  split: LabelSplit | null;
  previous_version: string | null;
  moved: boolean;
  /** A rollout of this label that the move paused (a person took over the label). */
  paused_rollout: string | null;
}> {
  return sql.begin(async (tx) => {
    const template = await requireTemplate(tx, name);
    if (template.archived_at)
      throw new DomainError('conflict', `template '${name}' is archived; unarchive it first`);
    const wanted = 'version' in target ? [{ version: target.version, weight: 100 }] : target.split;
    const versions = await tx<{ id: string; version: string }[]>`
      select id, version from template_versions where template_id = ${template.id} and version = any(${wanted.map((w) => w.version)})`;
    const byVersion = new Map(versions.map((v) => [v.version, v.id]));
    const missing = wanted.filter((w) => !byVersion.has(w.version)).map((w) => w.version);
    if (missing.length > 0) throw notFound(`version '${missing.join("', '")}' of template '${name}'`);
    const split: LabelSplit | undefined =
      'split' in target
        ? target.split.map((w) => ({
            version_id: byVersion.get(w.version)!,
            version: w.version,
            weight: w.weight,
          }))
        : undefined;
    const primary = wanted[0]!;
    const [prev] = await tx<{ version: string }[]>`select v.version from template_labels l
      join template_versions v on v.id = l.version_id where l.template_id = ${template.id} and l.label = ${label}`;
    const moved = await recordedLabelMove(
      tx,
      { id: template.id, name },
      label,
      { versionId: byVersion.get(primary.version)!, split },
      actor,
      reason,
      { from: prev?.version ?? null, to: primary.version, split: split ?? null },
    );
    const paused = moved ? await pauseRollout(tx, template.id, label, actor) : null;
    return {
      label,
      version: primary.version,
      version_id: byVersion.get(primary.version)!,
      split: split ?? null,
      previous_version: prev?.version ?? null,
      moved,
      paused_rollout: paused,
    };
  });
}

export async function removeLabel(sql: Sql, name: string, label: string, actor: string): Promise<void> {
  await sql.begin(async (tx) => {
    const template = await requireTemplate(tx, name);
    const removed = await setLabel(tx, template.id, label, null, actor, 'removed');
    if (!removed) throw notFound(`label '${label}' of template '${name}'`);
    await pauseRollout(tx, template.id, label, actor);
    await recordAudit(tx, {
      actor,
      action: 'label.remove',
      resourceType: 'template',
      resourceId: name,
      details: { label },
    });
    await publishChange(tx, { kind: 'prompt', name });
  });
}

/**
 * A person moved a label a rollout is stepping: the rollout pauses (it would otherwise move the label back at its next
 * step) and says who took over. Returns the paused rollout's id.
 */
async function pauseRollout(
  tx: Queryable,
  templateId: string,
  label: string,
  actor: string,
): Promise<string | null> {
  const [row] = await tx<{ id: string }[]>`update rollouts
    set state = 'paused', reason = ${`paused: ${actor} moved the label by hand`}, updated_at = now()
    where template_id = ${templateId} and label = ${label} and state = 'running' returning id`;
  return row ? String(row.id) : null;
}

/** The weighted split of a label, or null when it points at one version. */
export async function labelSplit(sql: Queryable, name: string, label: string): Promise<LabelSplit | null> {
  const [row] = await sql<{ split: LabelSplit | null }[]>`select l.split from template_labels l
    join templates t on t.id = l.template_id where t.name = ${name} and l.label = ${label}`;
  return row?.split ?? null;
}

export interface LabelMove {
  label: string;
  from_version: string | null;
  to_version: string | null;
  /** The split the label had before this move (null: it pointed at from_version alone). */
  from_split: LabelSplit | null;
  split: LabelSplit | null;
  /** What changed, for people: `1.0.0 → 1.0.0 50% / 1.1.0 50%`. */
  change: string;
  reason: string;
  moved_at: string;
  moved_by: string;
}

export async function labelHistory(sql: Sql, name: string, label?: string): Promise<LabelMove[]> {
  const template = await requireTemplate(sql, name);
  const rows = await sql<
    {
      label: string;
      from_version: string | null;
      to_version: string | null;
      split: LabelSplit | null;
      reason: string;
      moved_at: Date;
      moved_by: string;
    }[]
  >`
    select m.label, f.version as from_version, t.version as to_version, m.split, m.reason, m.moved_at, m.moved_by
    from label_moves m
    left join template_versions f on f.id = m.from_version_id
    left join template_versions t on t.id = m.to_version_id
    where m.template_id = ${template.id} and (${label ?? null}::text is null or m.label = ${label ?? null})
    order by m.id desc`;
  // Rows are newest first: a move's "from" split is what the previous move of the same label set.
  const before = new Map<string, LabelSplit | null>();
  const moves = [...rows].reverse().map((r) => {
    const fromSplit = before.get(r.label) ?? null;
    before.set(r.label, r.split);
    return {
      ...r,
      from_split: fromSplit,
      change: `${describeTarget(r.from_version, fromSplit)} → ${describeTarget(r.to_version, r.split)}`,
      moved_at: r.moved_at.toISOString(),
    };
  });
  return moves.reverse();
}

/** A label's target as people read it: `1.0.0`, `1.0.0 90% / 1.1.0 10%`, or `(none)`. */
export function describeTarget(version: string | null, split: LabelSplit | null): string {
  if (split) {
    const total = split.reduce((sum, w) => sum + w.weight, 0);
    return split.map((w) => `${w.version} ${Math.round((w.weight / total) * 1000) / 10}%`).join(' / ');
  }
  return version ?? '(none)';
}
