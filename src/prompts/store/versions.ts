import type { ChatMessage, GuardrailRule, VariableDefinition } from '#sdk/templates';
import { recordAudit } from '../../audit.ts';
import { DomainError, notFound } from '../../domain-error.ts';
import { publishChange } from '../../store/change-feed.ts';
import type { Sql } from '../../store/postgres.ts';
import type { CreateVersionInput, ValidatedVersion } from '../version-input.ts';
import { setLabel } from './labels.ts';
import { recordTemplateEvent } from './template-events.ts';
import { requireTemplate } from './templates.ts';

/** A template version as the API returns it (the seed's fields first). */
export interface VersionView {
  id: string;
  name: string;
  version: string;
  version_number: number;
  template_text: string | null;
  messages: ChatMessage[] | null;
  /** Variable names, as in the seed; the typed form is in variable_definitions. */
  variables: string[];
  variable_definitions: VariableDefinition[];
  model_config: Record<string, unknown>;
  guardrails: GuardrailRule[];
  is_active: boolean;
  labels: string[];
  /** Split labels serving this version, with its weight (`production` 50 when split 50/50). */
  split_labels: { label: string; weight: number }[];
  commit_message: string;
  content_hash: string;
  description: string;
  tags: string[];
  archived: boolean;
  template_id: string;
  created_at: string;
  created_by: string;
}

interface VersionRow {
  id: string;
  template_id: string;
  name: string;
  description: string;
  tags: string[];
  archived_at: Date | null;
  version: string;
  version_number: number;
  template_text: string | null;
  messages: ChatMessage[] | null;
  variables: VariableDefinition[];
  model_config: Record<string, unknown>;
  guardrails: GuardrailRule[];
  commit_message: string;
  content_hash: string;
  created_at: Date;
  created_by: string;
  labels: string[];
  split_labels: { label: string; weight: number }[];
}

export function toView(r: VersionRow): VersionView {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    version_number: r.version_number,
    template_text: r.template_text,
    messages: r.messages,
    variables: r.variables.map((v) => v.name),
    variable_definitions: r.variables,
    model_config: r.model_config,
    guardrails: r.guardrails,
    is_active: r.labels.includes('production'),
    labels: r.labels,
    split_labels: r.split_labels,
    commit_message: r.commit_message,
    content_hash: r.content_hash,
    description: r.description,
    tags: r.tags,
    archived: r.archived_at !== null,
    template_id: r.template_id,
    created_at: r.created_at.toISOString(),
    created_by: r.created_by,
  };
}

const selectVersions = (sql: Sql) => sql`
  select v.id, v.template_id, t.name, t.description, t.tags, t.archived_at, v.version, v.version_number,
    v.template_text, v.messages, v.variables, v.model_config, v.guardrails, v.commit_message, v.content_hash,
    v.created_at, v.created_by,
    coalesce((select array_agg(l.label order by l.label) from template_labels l where l.version_id = v.id), '{}') as labels,
    coalesce((select jsonb_agg(jsonb_build_object('label', l.label, 'weight', (e->>'weight')::float8) order by l.label)
      from template_labels l cross join jsonb_array_elements(l.split) e
      where l.template_id = v.template_id and l.split is not null and (e->>'version_id')::uuid = v.id), '[]') as split_labels
  from template_versions v join templates t on t.id = v.template_id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getVersionById(sql: Sql, id: string): Promise<VersionView> {
  if (!UUID.test(id)) throw notFound(`template version '${id}'`);
  const [row] = await sql<VersionRow[]>`${selectVersions(sql)} where v.id = ${id}`;
  if (!row) throw notFound(`template version '${id}'`);
  return toView(row);
}

/** The version a label points at, or the one with that version string. */
export async function resolveVersion(
  sql: Sql,
  name: string,
  ref: { label: string } | { version: string },
): Promise<VersionView> {
  const rows =
    'label' in ref
      ? await sql<VersionRow[]>`${selectVersions(sql)}
          join template_labels sel on sel.version_id = v.id and sel.label = ${ref.label} where t.name = ${name}`
      : await sql<VersionRow[]>`${selectVersions(sql)} where t.name = ${name} and v.version = ${ref.version}`;
  const row = rows[0];
  if (!row) {
    const [template] = await sql`select 1 from templates where name = ${name}`;
    if (!template) throw notFound(`template '${name}'`);
    throw notFound(
      'label' in ref
        ? `label '${ref.label}' of template '${name}'`
        : `version '${ref.version}' of template '${name}'`,
    );
  }
  return toView(row);
}

export interface VersionFilter {
  name?: string;
  tag?: string;
  label?: string;
  includeArchived: boolean;
  limit: number;
  offset: number;
}

/** Template versions, newest first, with the seed's `{templates, total}` paging. */
export async function listVersions(
  sql: Sql,
  f: VersionFilter,
): Promise<{ templates: VersionView[]; total: number }> {
  const where = sql`where (${f.name ?? null}::text is null or t.name = ${f.name ?? null})
    and (${f.tag ?? null}::text is null or ${f.tag ?? null} = any(t.tags))
    and (${f.label ?? null}::text is null or exists (
      select 1 from template_labels fl where fl.version_id = v.id and fl.label = ${f.label ?? null}))
    and (${f.includeArchived} or t.archived_at is null)`;
  const rows = await sql<VersionRow[]>`${selectVersions(sql)} ${where}
    order by v.created_at desc, v.version_number desc limit ${f.limit} offset ${f.offset}`;
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n
    from template_versions v join templates t on t.id = v.template_id ${where}`;
  return { templates: rows.map(toView), total: count!.n };
}

export async function listVersionsOf(sql: Sql, name: string): Promise<VersionView[]> {
  const rows = await sql<
    VersionRow[]
  >`${selectVersions(sql)} where t.name = ${name} order by v.version_number desc`;
  if (rows.length === 0) await requireTemplate(sql, name);
  return rows.map(toView);
}

/**
 * Publishes a new immutable version: creates the template on first use, numbers the version under a row lock
 * (so concurrent publishers never collide), moves `latest` (and `production` when is_active), audits, notifies.
 */
export async function createVersion(
  sql: Sql,
  input: CreateVersionInput,
  valid: ValidatedVersion,
  actor: string,
): Promise<VersionView> {
  const id = await sql.begin(async (tx) => {
    await tx`insert into templates (name, description, tags, created_by)
      values (${input.name}, ${input.description ?? ''}, ${input.tags ?? []}, ${actor})
      on conflict (name) do nothing`;
    const [template] = await tx<{ id: string; archived_at: Date | null }[]>`
      select id, archived_at from templates where name = ${input.name} for update`;
    if (template!.archived_at) {
      throw new DomainError(
        'conflict',
        `template '${input.name}' is archived; unarchive it before publishing`,
      );
    }
    if (input.description !== undefined || input.tags !== undefined) {
      await tx`update templates set description = coalesce(${input.description ?? null}, description),
        tags = coalesce(${input.tags ?? null}, tags) where id = ${template!.id}`;
    }
    const [next] = await tx<{ n: number }[]>`
      select coalesce(max(version_number), 0) + 1 as n from template_versions where template_id = ${template!.id}`;
    const versionNumber = next!.n;
    const version = input.version ?? String(versionNumber);
    const [clash] =
      await tx`select 1 from template_versions where template_id = ${template!.id} and version = ${version}`;
    if (clash)
      throw new DomainError('conflict', `template '${input.name}' already has version '${version}'`, {
        field: 'version',
      });
    const body = valid.body;
    const [row] = await tx<{ id: string }[]>`
      insert into template_versions (template_id, version_number, version, template_text, messages, variables,
        model_config, guardrails, commit_message, content_hash, created_by)
      values (${template!.id}, ${versionNumber}, ${version}, ${body.template_text ?? null},
        ${body.messages ? tx.json(body.messages as never) : null}, ${tx.json(valid.definitions as never)},
        ${tx.json(valid.modelConfig as never)}, ${tx.json(valid.guardrails as never)}, ${input.commit_message},
        ${valid.contentHash}, ${actor})
      returning id`;
    const labels = ['latest', ...(input.is_active ? ['production'] : []), ...input.labels];
    // Published first, then the labels it took: a receiver hears them in that order.
    await recordTemplateEvent(tx, {
      type: 'template.version.published',
      templateId: template!.id,
      actor,
      data: {
        version,
        version_id: row!.id,
        labels: [...new Set(labels)],
        commit_message: input.commit_message,
        content_hash: valid.contentHash,
      },
    });
    for (const label of new Set(labels))
      await setLabel(tx, template!.id, label, { versionId: row!.id }, actor, 'published');
    await recordAudit(tx, {
      actor,
      action: 'version.create',
      resourceType: 'template',
      resourceId: input.name,
      details: { version, version_id: row!.id, labels: [...new Set(labels)] },
    });
    await publishChange(tx, { kind: 'prompt', name: input.name });
    return row!.id;
  });
  return getVersionById(sql, id);
}
