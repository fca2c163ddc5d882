import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/platform/listen.ts';
import { runCli, startCli } from './support/cli.ts';

interface Started {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  key?: string;
}

/** `promptscope start` as a user runs it, on its own data dir and ports. */
describe('promptscope start on embedded stores', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let running: Started | undefined;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-start-'));
    await fs.chmod(dataDir, 0o755);
    env = {
      ...process.env,
      DATABASE_URL: '',
      CLICKHOUSE_URL: '',
      PORT: String(await freePort()),
      PROMPTSCOPE_OTLP_PORT: String(await freePort()),
      PROMPTSCOPE_DATA_DIR: dataDir,
      PROMPTSCOPE_EMBEDDED_PG_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      // As a deployment that exposes its collector would run: the server's own spans must still arrive.
      PROMPTSCOPE_OTLP_AUTH: 'required',
    };
  });
  afterAll(async () => {
    if (running) await stop(running);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<Started> {
    const { child, output } = await startCli(['start'], env);
    const out = output();
    return {
      child,
      output,
      apiUrl: /API\s+(http:\S+)/.exec(out)![1]!,
      key: /PROMPTSCOPE_KEY=(\S+)/.exec(out)?.[1],
    };
  }

  async function stop(s: Started, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (s.child.exitCode !== null) return s.child.exitCode;
    const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
    s.child.kill(signal);
    return exited;
  }

  const cli = (...args: string[]) => runCli(args, env);

  const api = (s: Started, p: string, key: string, init: RequestInit = {}) =>
    fetch(`${s.apiUrl}${p}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    });

  it('first start prints where it runs and a one-time admin key saved with mode 0600', async () => {
    running = await start();
    const out = running.output();
    expect(out).toContain('OpenAPI        http://');
    expect(out).toMatch(/OTLP\/HTTP\s+http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
    expect(out).toMatch(/Postgres\s+embedded/);
    expect(out).toMatch(/ClickHouse\s+embedded/);
    expect(running.key).toMatch(/^psk_/);
    const file = path.join(dataDir, 'admin-key');
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(running.key);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await (await fetch(`${running.apiUrl}/ready`)).json()).toMatchObject({ status: 'ready' });
  });

  it('with PROMPTSCOPE_OTLP_AUTH=required its collector says so and refuses spans without a key', async () => {
    const out = running!.output();
    expect(out).toContain('a telemetry:write key required');
    const otlp = /OTLP\/HTTP\s+(http:\S+)/.exec(out)![1]!;
    const anonymous = await fetch(otlp, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    const admin = await fetch(otlp, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${running!.key}` },
      body: '{}',
    });
    expect(admin.status).toBe(200);
  });

  it('records an admin test run through its own telemetry into its own collector (keys required: a process secret), left out of analytics unless asked for', async () => {
    const key = running!.key!;
    const res = await api(running!, '/api/v1/admin/prompts/test', key, {
      method: 'POST',
      body: JSON.stringify({
        template_text: 'Say {{x}}',
        variables: { x: 'hi' },
        model_config: { provider: 'mock', model_name: 'mock-echo' },
        execute: true,
      }),
    });
    expect(res.status).toBe(200);
    type Listing = { total: number; executions: { request_model: string; service_name: string }[] };
    let only: Listing = { total: 0, executions: [] };
    for (let i = 0; i < 100 && only.executions.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      only = (await (await api(running!, '/api/v1/executions?test_runs=only', key)).json()) as Listing;
    }
    expect(only.total).toBe(1);
    expect(only.executions[0]).toMatchObject({ request_model: 'mock-echo', service_name: 'promptscope' });
    const services = (await (await api(running!, '/api/v1/executions', key)).json()) as Listing;
    expect(services.total).toBe(0);
    const summary = (await (
      await api(running!, '/api/v1/analytics/summary?window=1h&test_runs=include', key)
    ).json()) as {
      total: number;
    };
    expect(summary.total).toBe(1);
  });

  it("promptscope report prints the specification's monitoring reports through the running server, the same numbers as the API", async () => {
    const key = running!.key!;
    const json = await cli('report', '--json', '--window', '2h');
    expect(json.code).toBe(0);
    const printed = JSON.parse(json.out) as Record<string, { rows: Record<string, unknown>[] }>;
    expect(Object.keys(printed)).toEqual([
      'last-hour-metrics',
      'cost-by-template',
      'hourly-error-rate',
      'daily-cost',
    ]);
    // The admin test run above is the one call: left out by default, as in every other figure.
    expect(printed['last-hour-metrics']!.rows).toEqual([expect.objectContaining({ total_executions: 0 })]);
    /** The last-hour report's rows as `promptscope report --json --window 2h --test-runs include …` prints them. */
    const lastHour = async (...more: string[]) =>
      (
        JSON.parse(
          (await cli('report', '--json', '--window', '2h', '--test-runs', 'include', ...more)).out,
        ) as Record<string, { rows: Record<string, unknown>[] }>
      )['last-hour-metrics']!.rows;
    expect(await lastHour()).toEqual([
      expect.objectContaining({ total_executions: 1, successful: 1, failed: 0 }),
    ]);
    // --tenant reaches the API: the one call named no tenant, so a tenant's report counts none.
    expect(await lastHour('--tenant', 'acme')).toEqual([expect.objectContaining({ total_executions: 0 })]);
    const api_ = (await (
      await api(running!, '/api/v1/analytics/reports/cost-by-template?window=2h&test_runs=include', key)
    ).json()) as {
      rows: unknown[];
    };
    const cli_ = await cli(
      'report',
      '--json',
      '--window',
      '2h',
      '--test-runs',
      'include',
      '--only',
      'cost-by-template',
    );
    expect((JSON.parse(cli_.out) as Record<string, { rows: unknown[] }>)['cost-by-template']!.rows).toEqual(
      api_.rows,
    );
    const tables = await cli('report', '--only', 'last-hour-metrics,cost-by-template');
    expect(tables.code).toBe(0);
    expect(tables.out).toContain('Last hour: executions, latency and cost');
    expect(tables.out).toMatch(/total_executions\s+successful\s+failed\s+avg_latency_ms\s+p95_latency_ms/);
    // One well-formed CSV per report: to standard output with --only, or a file each with --out.
    const csv = await cli('report', '--csv', '--only', 'cost-by-template', '--test-runs', 'include');
    expect(csv.code).toBe(0);
    const lines = csv.out.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'template_name,executions,total_cost_usd,avg_cost_usd,avg_latency_ms,unpriced_executions',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]!.split(',')).toHaveLength(6);
    const several = await cli('report', '--csv');
    expect(several.code).toBe(2);
    expect(several.out).toContain('--csv writes one report per CSV');
    const dir = path.join(dataDir, 'reports');
    const files = await cli('report', '--csv', '--out', dir);
    expect(files.code).toBe(0);
    expect((await fs.readdir(dir)).sort()).toEqual([
      'cost-by-template.csv',
      'daily-cost.csv',
      'hourly-error-rate.csv',
      'last-hour-metrics.csv',
    ]);
    expect((await fs.readFile(path.join(dir, 'hourly-error-rate.csv'), 'utf8')).split('\r\n')[0]).toBe(
      'hour,total,errors,error_rate_pct',
    );
    const bad = await cli('report', '--window', 'forever');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("--window: 'forever' is not a window");
  });

  it('keys created with the CLI next to a running server work against it, and revoking stops them', async () => {
    const created = await cli('keys', 'create', '--name', 'svc', '--scopes', 'prompts:read');
    expect(created.code).toBe(0);
    const key = /\n(psk_\S+)/.exec(created.out)![1]!;
    const id = /created key (\w+)/.exec(created.out)![1]!;
    expect((await api(running!, '/api/v1/prompts/none', key)).status).toBe(404);
    expect((await api(running!, '/api/v1/admin/keys', key)).status).toBe(403);
    expect((await cli('keys', 'list')).out).toContain('svc');
    expect((await cli('keys', 'revoke', id)).code).toBe(0);
    // The running server hears of the revocation through Postgres NOTIFY, well inside its 5 s key cache.
    let status = 0;
    for (let i = 0; i < 30 && status !== 401; i++) {
      status = (await api(running!, '/api/v1/prompts/none', key)).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    const bad = await cli('keys', 'create', '--name', 'x', '--scopes', 'root');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('unknown: root');
  });

  it('keeps templates across a clean restart and creates no second admin key', async () => {
    const key = running!.key!;
    const created = await api(running!, '/api/v1/admin/prompts', key, {
      method: 'POST',
      body: JSON.stringify({
        name: 'kept',
        template_text: 'Hi {{who}}',
        variables: ['who'],
        is_active: true,
      }),
    });
    expect(created.status).toBe(201);
    expect(await stop(running!)).toBe(0);

    running = await start();
    expect(running.key).toBeUndefined();
    const read = await api(running, '/api/v1/prompts/kept', key);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { template_text: string }).template_text).toBe('Hi {{who}}');
  });

  it('recovers after kill -9: the orphaned Postgres is stopped and the data is intact', async () => {
    const key = (await fs.readFile(path.join(dataDir, 'admin-key'), 'utf8')).trim();
    await stop(running!, 'SIGKILL');
    running = await start();
    expect(running.output()).toContain('orphaned embedded postgres');
    expect((await api(running, '/api/v1/prompts/kept', key)).status).toBe(200);
  });

  it('migrate status lists applied migrations once the server is stopped', async () => {
    await stop(running!);
    running = undefined;
    const status = await cli('migrate', 'status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/postgres\s+0001_template_registry\s+applied/);
  });
});
