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

export interface TemplateListEntry {
  name: string;
  description: string;
  tags: string[];
  archived: boolean;
  version_count: number;
  latest_version: string | null;
  /** When the newest version was published, or a label last moved. */
  updated_at: string;
  labels: Record<string, string>;
}

/** Templates by name, those whose name, description or tags hold `search` (case-insensitive), a page at a time. */
export async function listTemplates(
  sql: Sql,
  o: { search?: string; includeArchived: boolean; limit: number; offset: number },
): Promise<{ templates: TemplateListEntry[]; total: number }> {
  const pattern = o.search ? `%${o.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const where = sql`where (${o.includeArchived} or t.archived_at is null)
    and (${pattern}::text is null or t.name ilike ${pattern} or t.description ilike ${pattern}
      or exists (select 1 from unnest(t.tags) tag where tag ilike ${pattern}))`;
  const rows = await sql<
    {
      name: string;
      description: string;
      tags: string[];
      archived_at: Date | null;
      version_count: number;
      latest_version: string | null;
      updated_at: Date;
      labels: Record<string, string> | null;
    }[]
  >`
    select t.name, t.description, t.tags, t.archived_at,
      (select count(*)::int from template_versions v where v.template_id = t.id) as version_count,
      (select v.version from template_versions v where v.template_id = t.id order by v.version_number desc limit 1)
        as latest_version,
      greatest(t.created_at,
        (select max(v.created_at) from template_versions v where v.template_id = t.id),
        (select max(m.moved_at) from label_moves m where m.template_id = t.id)) as updated_at,
      (select jsonb_object_agg(l.label, v.version) from template_labels l
        join template_versions v on v.id = l.version_id where l.template_id = t.id) as labels
    from templates t ${where} order by t.name limit ${o.limit} offset ${o.offset}`;
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from templates t ${where}`;
  return {
    templates: rows.map((r) => ({
      name: r.name,
      description: r.description,
      tags: r.tags,
      archived: r.archived_at !== null,
      version_count: r.version_count,
      latest_version: r.latest_version,
      updated_at: r.updated_at.toISOString(),
      labels: r.labels ?? {},
    })),
    total: count!.n,
  };
}
