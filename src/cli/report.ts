import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SEED_REPORT_NAMES, SEED_REPORTS, type SeedReport } from '../analytics/seed-queries.ts';
import type { Config } from '../config.ts';

interface ReportAnswer {
  report: string;
  title: string;
  from: string;
  to: string;
  rows: Record<string, unknown>[];
}

/**
 * `promptscope report`: the seed's four monitoring queries as terminal tables (or JSON, or CSV), read through the
 * API (`GET /api/v1/analytics/seed/{report}`), so it works next to a running server — an embedded ClickHouse
 * belongs to the process that opened it — and against a remote one alike.
 */
export async function report(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      window: { type: 'string' },
      template: { type: 'string' },
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      url: { type: 'string' },
      only: { type: 'string' },
    },
  });
  if (values.json && values.csv) {
    process.stderr.write('report takes --json or --csv, not both\n');
    return 2;
  }
  const names = values.only ? (values.only.split(',') as SeedReport[]) : SEED_REPORT_NAMES;
  const unknown = names.filter((n) => !SEED_REPORT_NAMES.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown report(s) ${unknown.join(', ')}; known: ${SEED_REPORT_NAMES.join(', ')}\n`);
    return 2;
  }
  const base =
    values.url ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const key =
    process.env.PROMPTSCOPE_API_KEY ||
    (await readFile(config.bootstrapKeyFile, 'utf8').catch(() => '')).trim();
  if (!key) {
    process.stderr.write(
      `report reads through the API and needs a key with telemetry:read: set PROMPTSCOPE_API_KEY (no ${config.bootstrapKeyFile} either)\n`,
    );
    return 2;
  }
  const answers: ReportAnswer[] = [];
  const csv: string[] = [];
  for (const name of names) {
    const query = new URLSearchParams();
    if (values.window) query.set('window', values.window);
    if (values.template) query.set('template', values.template);
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1/analytics/seed/${name}?${query}`, {
        headers: { authorization: `Bearer ${key}`, accept: values.csv ? 'text/csv' : 'application/json' },
      });
    } catch (error) {
      process.stderr.write(
        `cannot reach the promptscope API at ${base} (${(error as Error).message}): is it running? (--url)\n`,
      );
      return 1;
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as {
        error?: { message?: string; details?: unknown };
      };
      process.stderr.write(
        `${name}: ${res.status} ${body.error?.message ?? res.statusText}${body.error?.details ? ` ${JSON.stringify(body.error.details)}` : ''}\n`,
      );
      return 1;
    }
    if (values.csv) csv.push(`# ${name}\r\n${await res.text()}`);
    else answers.push((await res.json()) as ReportAnswer);
  }
  if (values.csv) out(csv.join('\r\n').trimEnd());
  else if (values.json) out(JSON.stringify(Object.fromEntries(answers.map((a) => [a.report, a])), null, 2));
  else {
    for (const a of answers) {
      out(`${SEED_REPORTS[a.report as SeedReport].title}  (${a.from} → ${a.to})`);
      out(table(a.rows));
      out('');
    }
  }
  return 0;
}

/** Rows as an aligned text table; numbers right-aligned. */
export function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '  (no calls)';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((r) =>
    columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = columns.map((_, i) =>
    rows.every((r) => typeof r[columns[i]!] === 'number' || /^-?\d+(\.\d+)?$/.test(String(r[columns[i]!]))),
  );
  const line = (values: string[]) =>
    `  ${values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
