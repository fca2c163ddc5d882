import { recordAudit } from '../../audit.ts';
import { notFound } from '../../domain-error.ts';
import { publishChange } from '../../store/change-feed.ts';
import type { Queryable, Sql } from '../../store/postgres.ts';

/** Templates in Postgres: the named thing versions and labels belong to, its summary and archive state. */

export async function requireTemplate(
  sql: Queryable,
  name: string,
): Promise<{ id: string; archived_at: Date | null }> {
  const [t] = await sql<
    { id: string; archived_at: Date | null }[]
  >`select id, archived_at from templates where name = ${name}`;
  if (!t) throw notFound(`template '${name}'`);
  return t;
}

export interface TemplateSummary {
  id: string;
  name: string;
  description: string;
  tags: string[];
  archived: boolean;
  archived_at: string | null;
  created_at: string;
  created_by: string;
  version_count: number;
  /** Each label's version; a split label's first (control) version. */
  labels: Record<string, string>;
  /** Split labels: every version served and its weight. */
  splits: Record<string, { version: string; weight: number }[]>;
}

export async function getTemplate(sql: Sql, name: string): Promise<TemplateSummary> {
  const [t] = await sql<
    {
      id: string;
      name: string;
      description: string;
      tags: string[];
      archived_at: Date | null;
      created_at: Date;
      created_by: string;
      version_count: number;
    }[]
  >`
    select t.id, t.name, t.description, t.tags, t.archived_at, t.created_at, t.created_by,
      (select count(*)::int from template_versions v where v.template_id = t.id) as version_count
    from templates t where t.name = ${name}`;
  if (!t) throw notFound(`template '${name}'`);
  const labels = await sql<
    { label: string; version: string; split: { version: string; weight: number }[] | null }[]
  >`select l.label, v.version, l.split from template_labels l
    join template_versions v on v.id = l.version_id where l.template_id = ${t.id} order by l.label`;
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    tags: t.tags,
    archived: t.archived_at !== null,
    archived_at: t.archived_at?.toISOString() ?? null,
    created_at: t.created_at.toISOString(),
    created_by: t.created_by,
    version_count: t.version_count,
    labels: Object.fromEntries(labels.map((l) => [l.label, l.version])),
    splits: Object.fromEntries(
      labels.flatMap((l) =>
        l.split ? [[l.label, l.split.map((w) => ({ version: w.version, weight: w.weight }))]] : [],
      ),
    ),
  };
}

/** Archives (or restores) a template: its versions stay readable, new versions and label moves are refused. */
export async function setArchived(
  sql: Sql,
  name: string,
  archived: boolean,
  actor: string,
): Promise<TemplateSummary> {
  await sql.begin(async (tx) => {
    await requireTemplate(tx, name);
    await tx`update templates set archived_at = ${archived ? tx`now()` : null} where name = ${name}`;
    await recordAudit(tx, {
      actor,
      action: archived ? 'template.archive' : 'template.unarchive',
      resourceType: 'template',
      resourceId: name,
    });
    await publishChange(tx, { kind: 'prompt', name });
  });
  return getTemplate(sql, name);
}
