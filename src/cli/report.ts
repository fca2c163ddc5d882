import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TEST_RUNS } from '../analytics/figures.ts';
import { parseWindow } from '../analytics/llm-calls.ts';
import { REPORT_NAMES, REPORTS, type ReportName } from '../analytics/reports.ts';
import type { Config } from '../config.ts';
import { apiAccess } from './api-access.ts';

interface ReportAnswer {
  report: string;
  title: string;
  from: string;
  to: string;
  rows: Record<string, unknown>[];
}

export const REPORT_USAGE = `usage: promptscope report [--only NAME[,NAME…]] [--window 1h] [--template NAME]
                          [--tenant NAME] [--user ID] [--session ID]
                          [--test-runs exclude|include|only] [--json | --csv [--out DIR]] [--url URL]

The monitoring queries of the original specification, read through the API (GET /api/v1/analytics/reports/NAME):
  last-hour-metrics   executions, successes, failures, average and P95 latency, cost (last hour)
  cost-by-template    executions, cost, average cost and latency per template, dearest first (24 h)
  hourly-error-rate   executions, errors and error rate (%) per hour, newest first (24 h)
  daily-cost          per day and template: executions, cost, average cost, P95 latency, success rate (%) (7 days)

  --only NAMES     these reports only (comma-separated), in this order
  --window W       another window for every report (30s, 15m, 1h, 7d …; default: each report's own, above)
  --template NAME  one template's calls
  --tenant NAME, --user ID, --session ID
                   only the calls of this tenant, end user or session (as the sdk's withAttribution names them)
  --test-runs      admin test runs: left out (exclude, the default), counted too (include) or only them
  --json           one JSON object, the reports by name
  --csv            CSV: one report to standard output (with --only NAME), or each to DIR/NAME.csv (with --out DIR)
  --url URL        the API (default: http://HOST:PORT); key from PROMPTSCOPE_API_KEY or the first-start key file`;

/**
 * `promptscope report`: the specification's four monitoring queries as terminal tables (or JSON, or CSV), read
 * through the API (`GET /api/v1/analytics/reports/{name}`), so it works next to a running server — an embedded
 * ClickHouse belongs to the process that opened it — and against a remote one alike.
 */
export async function report(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const usage = (message: string) => {
    process.stderr.write(`${message}\n${REPORT_USAGE}\n`);
    return 2;
  };
  let values: {
    window?: string;
    template?: string;
    tenant?: string;
    user?: string;
    session?: string;
    json?: boolean;
    csv?: boolean;
    url?: string;
    only?: string;
    out?: string;
    'test-runs'?: string;
    help?: boolean;
  };
  try {
    values = parseArgs({
      args,
      options: {
        window: { type: 'string' },
        template: { type: 'string' },
        tenant: { type: 'string' },
        user: { type: 'string' },
        session: { type: 'string' },
        json: { type: 'boolean', default: false },
        csv: { type: 'boolean', default: false },
        url: { type: 'string' },
        only: { type: 'string' },
        out: { type: 'string' },
        'test-runs': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    out(REPORT_USAGE);
    return 0;
  }
  if (values.json && values.csv) return usage('report takes --json or --csv, not both');
  const names = values.only ? (values.only.split(',') as ReportName[]) : REPORT_NAMES;
  const unknown = names.filter((n) => !REPORT_NAMES.includes(n));
  if (unknown.length > 0)
    return usage(`unknown report(s) ${unknown.join(', ')}; known: ${REPORT_NAMES.join(', ')}`);
  if (values.csv && names.length > 1 && !values.out)
    return usage(
      '--csv writes one report per CSV: choose one with --only NAME, or give --out DIR for a file each',
    );
  if (values.out && !values.csv) return usage('--out DIR goes with --csv');
  if (values.window !== undefined && parseWindow(values.window) === undefined)
    return usage(`--window: '${values.window}' is not a window like 30s, 15m, 1h or 7d (at most 366d)`);
  const testRuns = values['test-runs'];
  if (testRuns !== undefined && !(TEST_RUNS as readonly string[]).includes(testRuns))
    return usage(`--test-runs takes ${TEST_RUNS.join(', ')}`);
  const { base, key } = await apiAccess(config, values.url);
  if (!key) {
    process.stderr.write(
      `report reads through the API and needs a key with telemetry:read: set PROMPTSCOPE_API_KEY (no ${config.bootstrapKeyFile} either)\n`,
    );
    return 2;
  }
  const answers: ReportAnswer[] = [];
  const csv: { name: string; text: string }[] = [];
  for (const name of names) {
    const query = new URLSearchParams();
    if (values.window) query.set('window', values.window);
    if (values.template) query.set('template', values.template);
    for (const who of ['tenant', 'user', 'session'] as const) if (values[who]) query.set(who, values[who]);
    if (testRuns) query.set('test_runs', testRuns);
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1/analytics/reports/${name}?${query}`, {
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
    if (values.csv) csv.push({ name, text: await res.text() });
    else answers.push((await res.json()) as ReportAnswer);
  }
  if (values.csv && values.out) {
    await mkdir(values.out, { recursive: true });
    for (const c of csv) {
      const file = path.join(values.out, `${c.name}.csv`);
      await writeFile(file, c.text);
      out(file);
    }
  } else if (values.csv) process.stdout.write(csv[0]!.text);
  else if (values.json) out(JSON.stringify(Object.fromEntries(answers.map((a) => [a.report, a])), null, 2));
  else {
    for (const a of answers) {
      out(`${REPORTS[a.report as ReportName].title}  (${a.from} → ${a.to})`);
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
