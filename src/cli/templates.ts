import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { normaliseVariables } from '#sdk/templates';
import type { Config } from '../config.ts';
import { guardrailRuleSchema } from '../prompts/guardrail-schema.ts';
import { stableJson } from '../prompts/stable-json.ts';
import { variableDeclarationSchema } from '../prompts/variable-schema.ts';
import { apiClient, refusal } from './api-access.ts';
import { usageError } from './usage.ts';

/**
 * Prompts as code: `promptscope templates pull DIR` writes every template's versions and labels as files, `diff DIR`
 * says what pushing would change, `push DIR [--dry-run]` publishes new versions and moves labels. One YAML file per
 * version (`DIR/<template>/<version>.yaml`: text or messages, variables, model config, guardrails, commit message)
 * and one per template for its labels (`DIR/<template>/labels.yaml`: `production: 1.2.0`, or a split). Versions are
 * immutable: a file that differs from its published version is refused, never pushed. Through the API (a
 * prompts:write key; moving a protected label needs prompts:promote).
 */

/** A version as its file holds it: what makes it that version, nothing the server decides. */
interface VersionFile {
  version: string;
  commit_message?: string;
  template_text?: string;
  messages?: unknown[];
  variables?: unknown[];
  model_config?: Record<string, unknown>;
  guardrails?: unknown[];
}

type LabelTarget = string | { split: { version: string; weight: number }[] };

interface ServerVersion {
  version: string;
  version_number: number;
  template_text: string | null;
  messages: unknown[] | null;
  variable_definitions: unknown[];
  model_config: Record<string, unknown>;
  guardrails: unknown[];
  commit_message: string;
}

interface ServerTemplate {
  name: string;
  versions: ServerVersion[];
  labels: Record<string, LabelTarget>;
}

const AUTOMATIC_LABELS = new Set(['latest']);
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function fileOf(v: ServerVersion): VersionFile {
  return {
    version: v.version,
    ...(v.commit_message ? { commit_message: v.commit_message } : {}),
    ...(v.template_text !== null ? { template_text: v.template_text } : {}),
    ...(v.messages ? { messages: v.messages } : {}),
    ...(v.variable_definitions.length ? { variables: v.variable_definitions } : {}),
    ...(Object.keys(v.model_config ?? {}).length ? { model_config: v.model_config } : {}),
    ...(v.guardrails.length ? { guardrails: v.guardrails } : {}),
  };
}

/**
 * A version file as the registry would store it: variables and guardrails with the API's defaults filled in, so a
 * hand-written `variables: [question]` equals the published `{ name: question, type: string, required: true }`.
 * What does not parse is left as written (it then differs, and publishing it says why).
 */
function asStored(file: VersionFile): VersionFile {
  const variables = z.array(variableDeclarationSchema).safeParse(file.variables ?? []);
  const guardrails = z.array(guardrailRuleSchema).safeParse(file.guardrails ?? []);
  return {
    ...file,
    variables: variables.success ? normaliseVariables(variables.data).definitions : file.variables,
    guardrails: guardrails.success ? guardrails.data : file.guardrails,
  };
}

/** The fields of a version file that differ from the published version (none: the same version). */
function editedFields(written: VersionFile, published: ServerVersion): string[] {
  const file = asStored(written);
  const server = {
    ...fileOf(published),
    variables: published.variable_definitions,
    guardrails: published.guardrails,
  };
  const fields = [
    'commit_message',
    'template_text',
    'messages',
    'variables',
    'model_config',
    'guardrails',
  ] as const;
  return fields.filter((f) => stableJson(file[f] ?? null) !== stableJson(server[f] ?? null));
}

const sortVersions = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

async function readDir(
  dir: string,
): Promise<Map<string, { versions: VersionFile[]; labels: Record<string, LabelTarget> }>> {
  const out = new Map<string, { versions: VersionFile[]; labels: Record<string, LabelTarget> }>();
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const folder = path.join(dir, entry.name);
    const versions: VersionFile[] = [];
    let labels: Record<string, LabelTarget> = {};
    for (const file of (await fs.readdir(folder)).sort(sortVersions)) {
      if (!/\.ya?ml$/.test(file)) continue;
      const parsed = parse(await fs.readFile(path.join(folder, file), 'utf8')) as unknown;
      const where = path.join(entry.name, file);
      if (typeof parsed !== 'object' || parsed === null) throw new Error(`${where}: a YAML mapping`);
      if (/^labels\.ya?ml$/.test(file)) labels = parsed as Record<string, LabelTarget>;
      else {
        const v = parsed as VersionFile;
        if (typeof v.version !== 'string' || !v.version)
          throw new Error(`${where}: version: the version it holds`);
        if (`${v.version}.yaml` !== file && `${v.version}.yml` !== file)
          throw new Error(`${where}: holds version ${v.version}; name the file ${v.version}.yaml`);
        versions.push(v);
      }
    }
    out.set(entry.name, { versions, labels });
  }
  return out;
}

interface Plan {
  publish: { template: string; file: VersionFile }[];
  move: { template: string; label: string; from: LabelTarget | undefined; to: LabelTarget }[];
  edited: { template: string; version: string; fields: string[] }[];
}

const targetText = (t: LabelTarget | undefined) =>
  t === undefined
    ? '(none)'
    : typeof t === 'string'
      ? t
      : t.split.map((s) => `${s.version} ${s.weight}%`).join(' / ');

function plan(files: Awaited<ReturnType<typeof readDir>>, server: Map<string, ServerTemplate>): Plan {
  const p: Plan = { publish: [], move: [], edited: [] };
  for (const [template, local] of files) {
    const remote = server.get(template);
    const published = new Map((remote?.versions ?? []).map((v) => [v.version, v]));
    for (const file of local.versions) {
      const existing = published.get(file.version);
      if (!existing) p.publish.push({ template, file });
      else {
        const fields = editedFields(file, existing);
        if (fields.length) p.edited.push({ template, version: file.version, fields });
      }
    }
    for (const [label, to] of Object.entries(local.labels)) {
      if (AUTOMATIC_LABELS.has(label)) continue;
      const from = remote?.labels[label];
      if (stableJson(from ?? null) !== stableJson(to)) p.move.push({ template, label, from, to });
    }
  }
  return p;
}

/** `promptscope templates pull|diff|push DIR`. */
export async function templates(config: Config, argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { 'dry-run': { type: 'boolean', default: false }, url: { type: 'string' } },
  });
  const [dir, ...extra] = positionals;
  if (!['pull', 'diff', 'push'].includes(sub ?? ''))
    return usageError(['templates'], sub ? `unknown subcommand '${sub}'` : 'name a subcommand');
  if (!dir || extra.length) return usageError(['templates', sub!], 'name the folder');
  const client = await apiClient(config, values.url, 'templates', 'a prompts:write key');
  if (!client) return 2;
  const api = async (method: string, url: string, body?: unknown) => {
    const answer = await client.call(method, url, body);
    if (!answer.ok) throw new Error(`${method} ${url}: ${refusal(answer)}`);
    return answer.body;
  };
  try {
    const server = new Map<string, ServerTemplate>();
    const names = new Set<string>();
    for (let offset = 0; ; offset += 500) {
      const page = (await api(
        'GET',
        `/api/v1/admin/prompts?limit=500&offset=${offset}&include_archived=true`,
      )) as {
        templates: { name: string }[];
        total: number;
      };
      for (const v of page.templates) names.add(v.name);
      if (offset + 500 >= page.total) break;
    }
    for (const name of names) {
      const e = encodeURIComponent(name);
      const { versions } = (await api('GET', `/api/v1/admin/templates/${e}/versions`)) as {
        versions: ServerVersion[];
      };
      const summary = (await api('GET', `/api/v1/admin/templates/${e}`)) as {
        labels: Record<string, string>;
        splits?: Record<string, { version: string; weight: number }[]>;
      };
      const labels: Record<string, LabelTarget> = {};
      for (const [label, version] of Object.entries(summary.labels ?? {}))
        if (!AUTOMATIC_LABELS.has(label))
          labels[label] = summary.splits?.[label] ? { split: summary.splits[label]! } : version;
      server.set(name, { name, versions, labels });
    }

    if (sub === 'pull') {
      for (const t of server.values()) {
        const folder = path.join(dir, t.name);
        await fs.mkdir(folder, { recursive: true });
        for (const v of t.versions)
          await fs.writeFile(
            path.join(folder, `${v.version}.yaml`),
            `# ${t.name} ${v.version}: published versions are immutable; to change it, add a new version file\n${stringify(fileOf(v), { lineWidth: 0, blockQuote: 'literal' })}`,
          );
        await fs.writeFile(
          path.join(folder, 'labels.yaml'),
          `# which version each label serves (latest moves by itself)\n${stringify(t.labels)}`,
        );
      }
      out(
        `pulled ${server.size} templates, ${[...server.values()].reduce((n, t) => n + t.versions.length, 0)} versions into ${dir}`,
      );
      return 0;
    }

    const p = plan(await readDir(dir), server);
    const protectedLabels = new Set(
      ((await api('GET', '/api/v1/admin/protected-labels')) as { labels: { label: string }[] }).labels.map(
        (l) => l.label,
      ),
    );
    for (const e of p.edited)
      out(
        `! ${e.template} ${e.version}: edited (${e.fields.join(', ')}): published versions are immutable; add it as a new version`,
      );
    for (const n of p.publish) out(`+ ${n.template} ${n.file.version}: new version`);
    for (const m of p.move)
      out(
        `~ ${m.template} ${m.label}: ${targetText(m.from)} → ${targetText(m.to)}${protectedLabels.has(m.label) ? ' (protected: needs prompts:promote)' : ''}`,
      );
    if (!p.edited.length && !p.publish.length && !p.move.length) out(`${dir} and the registry agree`);
    if (sub === 'diff') return 0;
    if (p.edited.length) {
      process.stderr.write('push refused: an edited published version (see above); nothing was changed\n');
      return 1;
    }
    if (values['dry-run']) {
      out('dry run: nothing was changed');
      return 0;
    }
    for (const n of p.publish) {
      const f = n.file;
      const numbered = !SEMVER.test(f.version);
      const published = await api('POST', '/api/v1/admin/prompts', {
        name: n.template,
        ...(numbered ? {} : { version: f.version }),
        ...(f.template_text !== undefined ? { template_text: f.template_text } : {}),
        ...(f.messages ? { messages: f.messages } : {}),
        variables: f.variables ?? [],
        ...(f.model_config ? { model_config: f.model_config } : {}),
        guardrails: f.guardrails ?? [],
        commit_message: f.commit_message ?? '',
      });
      if (numbered && published.version !== f.version)
        out(
          `  ${n.template}: ${f.version}.yaml was published as version ${published.version} (numbered by the registry)`,
        );
    }
    // A move the key may not make (a protected label) does not stop the others; it is named and fails the push.
    const refused: string[] = [];
    for (const m of p.move) {
      const answer = await client.call(
        'PUT',
        `/api/v1/admin/templates/${encodeURIComponent(m.template)}/labels/${encodeURIComponent(m.label)}`,
        {
          ...(typeof m.to === 'string' ? { version: m.to } : { split: m.to.split }),
          reason: 'promptscope templates push',
        },
      );
      if (answer.status === 403) refused.push(`${m.template} ${m.label}: ${refusal(answer)}`);
      else if (!answer.ok) throw new Error(`moving ${m.template} ${m.label}: ${refusal(answer)}`);
    }
    out(`pushed: ${p.publish.length} versions published, ${p.move.length - refused.length} labels moved`);
    if (refused.length) {
      process.stderr.write(`labels not moved:\n${refused.map((r) => `  ${r}\n`).join('')}`);
      return 1;
    }
    return 0;
  } catch (error) {
    process.stderr.write(`templates ${sub}: ${(error as Error).message}\n`);
    return 1;
  }
}
