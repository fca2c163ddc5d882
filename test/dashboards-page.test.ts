import fs from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../collector/collector.ts';
import { overviewDashboard } from '../dashboards/build.ts';
import { fingerprint } from '../src/alerts/labels.ts';
import { callRows } from '../src/alerts/rule-tests.ts';
import { loadRuleFiles } from '../src/alerts/rules.ts';
import { advance } from '../src/alerts/state-machine.ts';
import { saveEvaluation } from '../src/alerts/state-store.ts';
import { runQuery } from '../src/analytics/figures.ts';
import { createApiKey } from '../src/auth/key-store.ts';
import { SHIPPED_ALERTS } from '../src/config.ts';
import { silentLogger } from '../src/platform/log.ts';
import { advanceRollouts } from '../src/rollouts/job.ts';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import { createTestApi, serveTestApi, type TestApi, testClickHouse } from './support/api.ts';
import { runCli } from './support/cli.ts';
import { migrateClickHouse, sendCalls, spanFactory, testCollector } from './support/collector.ts';
import { expandGrafanaSql } from './support/grafana-macros.ts';

/** What the page-side checks touch (the tests' TypeScript has no DOM library). */
interface Box {
  tagName: string;
  className: string;
  scrollWidth: number;
  clientWidth: number;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getBoundingClientRect(): { width: number; right: number };
  querySelector(selector: string): Box | null;
}
interface Browserish {
  location: { hash: string };
  innerWidth: number;
  document: {
    documentElement: Box;
    querySelector(selector: string): Box;
    querySelectorAll(selector: string): Iterable<Box>;
  };
}

/** Debian's chromium (.ci/run installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../test-artifacts');

describe('the built-in dashboards page in a real browser', () => {
  let api: TestApi;
  let served: { url: string; close: () => Promise<void> };
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let browser: Browser;

  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    collector = await testCollector(client);
    api = await createTestApi({ alertRules: await loadRuleFiles([SHIPPED_ALERTS.rules]) });
    served = await serveTestApi(api);
    const created = await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name: 'page-a',
        template_text: 'Hi {{who}}',
        variables: ['who'],
        is_active: true,
      },
    });
    expect(created.status).toBe(201);
    const factory = spanFactory('page-svc');
    const spans = [];
    const now = Date.now();
    for (let i = 0; i < 24; i++) {
      spans.push(
        await factory.span({
          name: 'generate_content gemini-2.5-flash',
          startMs: now - (i + 1) * 50 * 60_000,
          durationMs: 100 + i * 10,
          error: i % 6 === 0 ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.request.model': 'gemini-2.5-flash',
            'gen_ai.prompt.name': i % 2 ? 'page-a' : 'page-b',
            'gen_ai.prompt.version': i % 3 ? '1' : '2',
            'gen_ai.usage.input_tokens': 100 + i,
            'gen_ai.usage.output_tokens': 20,
            'gen_ai.usage.cost.amount': `0.00${i + 1}`,
            // Who and what, as the sdk's withAttribution writes it: five sessions of three users of two tenants.
            'session.id': `s-${i % 5}`,
            'user.id': `u-${(i % 5) % 3}`,
            'promptscope.tenant': (i % 5) % 2 ? 'acme' : 'globex',
          },
        }),
      );
    }
    await sendCalls(collector.url, client, spans, "service_name = 'page-svc'", 24, 'protobuf');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await served.close();
    await collector.stop();
    await api.close();
  });

  let seeds = 900;
  /** Both versions of a template serve calls (the candidate fewer); five minutes on, the scheduler's job steps it up. */
  async function stepRollout(template: string, control: string, candidate: string): Promise<void> {
    const now = Date.now();
    const calls = (version: string, perMinute: number, seed: number) =>
      callRows(
        { template, version, label: 'production', from: '0m', to: '4m', per_minute: perMinute },
        now,
        seed,
      );
    await client.insert({
      table: 'llm_calls',
      format: 'JSONEachRow',
      // Seeds of their own: rows with the ids of another test's rows would replace them (ReplacingMergeTree).
      values: [...calls(control, 60, seeds++), ...calls(candidate, 20, seeds++)],
    });
    await advanceRollouts({ sql: api.sql, clickhouse: client, log: silentLogger }, now + 5 * 60_000 + 1000);
  }

  /** stepRollout, then the open Rollouts view shows the second step (it reads the rollouts again every 3 s). */
  async function stepRolloutOnPage(page: Page, template: string, control: string, candidate: string) {
    await stepRollout(template, control, candidate);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as Browserish).document
          .querySelector('[data-table="rollouts"] [data-state]')
          .textContent?.includes('step 2'),
      undefined,
      { timeout: 10_000 },
    );
  }

  it('signs in with a key kept out of the URL, draws every chart, and shows the API\u2019s numbers', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${served.url}/dashboards`);
    await page.fill('#key', api.keys.telemetry);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="overview"]', { timeout: 15_000 });
    // Give uPlot its frame, then check each chart drew something.
    await page.waitForFunction("document.querySelectorAll('.chart canvas').length >= 4");
    const charts = await page.$$eval('.chart', (cards) =>
      cards.map((card) => {
        const canvas = card.querySelector('canvas');
        if (!canvas) return { title: card.getAttribute('data-chart'), drawn: false };
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) coloured++;
        return { title: card.getAttribute('data-chart'), drawn: canvas.width > 0 && coloured > 100 };
      }),
    );
    expect(charts.length).toBe(4);
    expect(charts.filter((c) => !c.drawn)).toEqual([]);

    const to = Date.now();
    const usage = await api.call('GET', `/api/v1/analytics/usage?from=${to - 86_400_000}&to=${to}`, {
      key: api.keys.telemetry,
    });
    const t = usage.body.rows[0];
    const stat = (id: string) => page.textContent(`[data-stat="${id}"] .value`);
    const exact = (id: string) => page.getAttribute(`[data-stat="${id}"] .value`, 'title');
    expect(await stat('calls')).toBe(String(t.calls));
    // Shown at a sensible precision (three significant digits under $1), the exact amount on hover.
    expect(await exact('cost')).toBe(`$${t.cost}`);
    const cost = (await stat('cost'))!;
    expect(cost).toMatch(/^\$0\.0*[1-9]\d{0,2}$/);
    expect(Math.abs(Number(cost.slice(1)) - Number(t.cost)) / Number(t.cost)).toBeLessThan(0.005);
    expect(await exact('p95_ms')).toBe(`${t.p95_ms} ms`);
    expect(await stat('p95_ms')).toBe(`${Math.round(t.p95_ms).toLocaleString('en-US')} ms`);
    expect(await stat('success_rate')).toBe(`${(t.success_rate * 100).toFixed(2)}%`);

    expect(requested.every((u) => u.startsWith(served.url))).toBe(true);
    expect(requested.some((u) => u.includes(api.keys.telemetry))).toBe(false);
    expect(page.url()).not.toContain(api.keys.telemetry);
    await fs.mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboards-overview.png'), fullPage: true });

    await page.goto(`${served.url}/dashboards#template`);
    await page.waitForSelector('main[data-ready="template"]');
    const versionRows = await page.$$eval('[data-table="versions"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    const template = await page.inputValue('#template');
    const versions = await api.call(
      'GET',
      `/api/v1/analytics/usage?from=${to - 86_400_000}&to=${Date.now()}&template=${template}&group_by=version`,
      { key: api.keys.telemetry },
    );
    expect(versionRows.map((r) => [r[0], r[1], r[4]])).toEqual(
      versions.body.rows.map((r: { version: string; calls: number; cost: string }) => [
        r.version,
        String(r.calls),
        r.cost,
      ]),
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboards-template.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('shows the same numbers for the same range through the API, promptscope report --json, the Grafana panels and the page', async () => {
    const to = Date.now();
    const from = to - 86_400_000;
    // The API.
    const usage = await api.call('GET', `/api/v1/analytics/usage?from=${from}&to=${to}`, {
      key: api.keys.telemetry,
    });
    const { calls, cost } = usage.body.rows[0] as { calls: number; cost: string };
    expect(calls).toBe(24);
    // The report CLI, through the same API, over the same 24 hours.
    const report = await runCli(
      ['report', '--json', '--window', '24h', '--only', 'last-hour-metrics', '--url', served.url],
      { ...process.env, PROMPTSCOPE_API_KEY: api.keys.telemetry },
    );
    expect(report.code).toBe(0);
    const seed = (
      JSON.parse(report.out) as Record<
        string,
        { rows: { total_executions: number; total_cost_usd: string }[] }
      >
    )['last-hour-metrics']!.rows[0]!;
    // The Grafana panels' SQL, expanded as the plugin does, on the same range.
    const grafana = async (title: string) => {
      const p = (overviewDashboard().panels ?? []).find((x) => x.title === title) as unknown as {
        targets: { rawSql: string }[];
      };
      const sql = expandGrafanaSql(p.targets[0]!.rawSql, {
        fromMs: from,
        toMs: to,
        intervalSeconds: 60,
        variables: { template: 'all', model: 'all', service: 'all' },
      });
      return (await runQuery<Record<string, number>>(client, { sql, params: {} }))[0]!;
    };
    // The page.
    const page = await browser.newPage();
    await page.goto(`${served.url}/dashboards`);
    await page.fill('#key', api.keys.telemetry);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="overview"]', { timeout: 15_000 });
    // The page rounds what it shows; the exact numbers are on the cards (on hover).
    const shown = {
      calls: await page.getAttribute('[data-stat="calls"] .value', 'title'),
      cost: await page.getAttribute('[data-stat="cost"] .value', 'title'),
    };
    await page.close();
    expect({
      api: [String(calls), cost],
      report: [String(seed.total_executions), seed.total_cost_usd],
      grafana: [String((await grafana('Calls')).calls), String((await grafana('Cost (USD)')).cost)],
      page: [shown.calls, shown.cost!.replace(/^\$/, '')],
    }).toEqual({
      api: [String(calls), cost],
      report: [String(calls), cost],
      grafana: [String(calls), cost],
      page: [String(calls), cost],
    });
  }, 60_000);

  it('shows who spent it: top tenants and users as the API counts them, and a session\u2019s calls in order', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(`${served.url}/dashboards`);
    await page.fill('#key', api.keys.telemetry);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="overview"]', { timeout: 15_000 });
    const cells = (table: string) =>
      page.$$eval(`[data-table="${table}"] tbody tr`, (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
    const to = Date.now();
    const top = async (key: string) =>
      (
        await api.call(
          'GET',
          `/api/v1/analytics/usage?from=${to - 86_400_000}&to=${to}&group_by=${key}&figures=calls,cost&order_by=cost&limit=10`,
          { key: api.keys.telemetry },
        )
      ).body.rows.map((r: Record<string, string | number>) => [
        String(r[key]),
        String(r.calls),
        `$${r.cost}`,
      ]);
    expect(await cells('top tenants')).toEqual(await top('tenant'));
    expect((await cells('top tenants')).map((r) => r[0]).sort()).toEqual(['acme', 'globex']);
    expect(await cells('top users')).toEqual(await top('user'));

    await page.goto(`${served.url}/dashboards#sessions`);
    await page.waitForSelector('main[data-ready="sessions"]');
    const sessions = await cells('top sessions');
    expect(sessions.map((r) => r[0]).sort()).toEqual(['s-0', 's-1', 's-2', 's-3', 's-4']);
    const costs = sessions.map((r) => Number(r[4]!.slice(1)));
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    // The dearest session is open: its calls, oldest first, as /api/v1/executions lists them.
    const open = async () => {
      const id = (await page.getAttribute('[data-table="session calls"]', 'data-session'))!;
      const listed = (
        await api.call('GET', `/api/v1/executions?session=${id}&order=asc&limit=200`, {
          key: api.keys.telemetry,
        })
      ).body.executions as { cost: string }[];
      const rows = await cells('session calls');
      expect(rows.map((r) => r[4])).toEqual(listed.map((c) => `$${c.cost}`));
      return id;
    };
    expect(await open()).toBe(sessions[0]![0]);
    await page.click(`button[data-session="${sessions[1]![0]}"]`);
    await page.waitForSelector(`[data-table="session calls"][data-session="${sessions[1]![0]}"]`);
    expect(await open()).toBe(sessions[1]![0]);

    // Budgets: this period's spend per budget as /api/v1/budgets says, with the share of the amount as a bar.
    const { budgets } = (await api.call('GET', '/api/v1/budgets', { key: api.keys.telemetry })).body as {
      budgets: { name: string; groups: { spent: string; spent_share: number; remaining: string }[] }[];
    };
    expect(budgets.map((b) => b.name)).toEqual(['llm-monthly', 'tenant-daily']);
    await page.goto(`${served.url}/dashboards#budgets`);
    await page.waitForSelector('main[data-ready="budgets"]');
    const monthly = budgets[0]!.groups[0]!;
    const dollars = (text: string) =>
      `$${Number(text).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    expect(await cells('budget llm-monthly')).toEqual([
      [
        dollars(monthly.spent),
        `${Math.round(monthly.spent_share * 1000) / 10}%`,
        expect.any(String),
        dollars(monthly.remaining),
      ],
    ]);
    expect(Number(monthly.spent)).toBeGreaterThan(0);
    // The bar is filled as far as the share spent (the page's CSP refuses inline styles: the width must really apply).
    const [bar, fill] = await page.$$eval(
      '[data-budget="llm-monthly"] .budget-bar, [data-budget="llm-monthly"] .budget-fill',
      (es) => es.map((e) => e.getBoundingClientRect().width),
    );
    expect(fill! / bar!).toBeCloseTo(Math.min(1, monthly.spent_share), 2);
    // The tenants' budget counts production calls only: these are the test environment's.
    expect(await page.textContent('[data-budget="tenant-daily"] .empty')).toBe('Nothing spent this day.');
    await page.close();
  }, 60_000);

  it('rollouts: an admin starts one, watches it step and aborts it (confirming what will serve); a reader only sees', async () => {
    for (const [version, active] of [
      ['1.0.0', true],
      ['2.0.0', false],
    ] as const)
      expect(
        (
          await api.call('POST', '/api/v1/admin/prompts', {
            body: {
              name: 'page-roll',
              version,
              template_text: `Hi {{who}} ${version}`,
              variables: ['who'],
              is_active: active,
            },
          })
        ).status,
      ).toBe(201);
    const page = await browser.newPage();
    await page.goto(`${served.url}/dashboards`);
    await page.fill('#key', api.keys.admin);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="overview"]');
    await page.goto(`${served.url}/dashboards#rollouts`);
    await page.waitForSelector('main[data-ready="rollouts"]');
    await page.fill('#start-rollout input[name="template"]', 'page-roll');
    await page.fill('#start-rollout input[name="candidate"]', '2.0.0');
    await page.click('#start-rollout button');
    const state = () => page.textContent('[data-table="rollouts"] tbody tr:first-child [data-state]');
    await page.waitForSelector('[data-table="rollouts"] [data-state="running"]');
    expect(await state()).toBe('running, step 1 of 3 (10% on 2.0.0)');
    const id = (await api.call('GET', '/api/v1/rollouts?template=page-roll')).body.rollouts[0].id as string;

    // Both versions serve calls; five minutes on, the scheduler's job steps it up and the open page shows it.
    await stepRolloutOnPage(page, 'page-roll', '1.0.0', '2.0.0');
    expect(await state()).toBe('running, step 2 of 3 (25% on 2.0.0)');

    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.click(`button[data-action="abort"][data-rollout="${id}"]`);
    await page.waitForSelector('[data-table="rollouts"] [data-state="aborted"]');
    expect(dialogs).toEqual([`Abort rollout ${id}? production of page-roll goes back to 1.0.0 at once.`]);
    expect((await api.call('GET', '/api/v1/admin/templates/page-roll')).body.labels.production).toBe('1.0.0');
    await page.close();

    // A key that reads templates sees the rollouts, and nothing to change them with.
    const reader = await browser.newPage();
    await reader.goto(`${served.url}/dashboards`);
    await reader.fill('#key', api.keys.reader);
    await reader.click('#signin button');
    await reader.waitForSelector('main');
    await reader.goto(`${served.url}/dashboards#rollouts`);
    await reader.waitForSelector('main[data-ready="rollouts"]');
    expect(await reader.textContent('[data-table="rollouts"] [data-state]')).toBe('aborted');
    expect(await reader.$('#start-rollout')).toBeNull();
    expect(await reader.$('button[data-action]')).toBeNull();
    await reader.close();
  }, 60_000);

  it('template admin: search, create (the API\u2019s validation messages), publish v2, diff, promote with a confirmation, roll out and abort', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.goto(`${served.url}/dashboards#templates`);
    await page.fill('#key', api.keys.admin);
    await page.click('#signin button');
    await page.waitForSelector('[data-table="templates"] [data-open="page-a"]');

    // Create a template whose text uses a variable it does not declare: the API's message, beside the field.
    await page.click('#new-template summary');
    await page.fill('#publish input[name="name"]', 'page-admin');
    await page.fill('#publish textarea[name="template_text"]', 'Hi {{who}}');
    await page.click('#publish button[type="submit"]');
    const refused = await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name: 'page-admin',
        template_text: 'Hi {{who}}',
        variables: [],
        commit_message: '',
        labels: [],
      },
    });
    expect(refused.status).toBe(422);
    await page.waitForSelector('[data-problem="summary"]:not([hidden])');
    expect(await page.textContent('[data-problem="summary"]')).toBe(refused.body.error.message);
    const fields = refused.body.error.details.fields as { field: string; message: string }[];
    expect(await page.textContent('[data-problem-for="variables"]')).toBe(
      fields.map((f) => `${f.field}: ${f.message}`).join('; '),
    );

    await page.fill('#publish input[name="variables"]', 'who');
    await page.fill('#publish input[name="commit_message"]', 'first');
    await page.fill('#publish input[name="labels"]', 'production');
    await page.click('#publish button[type="submit"]');
    await page.waitForSelector('[data-template-name="page-admin"]');
    expect(await page.textContent('[data-label="production"]')).toBe('1');

    // Publish v2 from the template's page: the form starts from v1's text and variables.
    expect(await page.inputValue('#publish textarea[name="template_text"]')).toBe('Hi {{who}}');
    await page.fill('#publish textarea[name="template_text"]', 'Hello {{who}}, welcome');
    await page.fill('#publish input[name="commit_message"]', 'warmer');
    await page.click('#publish button[type="submit"]');
    await page.waitForSelector('[data-notice]:text-is("Published 2.")');
    expect(await page.textContent('[data-notice]')).toBe('Published 2.');
    const versions = await page.$$eval('[data-table="versions"] tbody tr td:first-child', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(versions).toEqual(['2', '1']);
    // The diff opens on the two newest: the text's lines, and the commit message that changed.
    await page.waitForSelector('pre.diff');
    expect(await page.textContent('pre.diff .del')).toBe('-Hi {{who}}\n');
    expect(await page.textContent('pre.diff .add')).toBe('+Hello {{who}}, welcome\n');
    expect(await page.textContent('[data-field="commit_message"]')).toBe(
      'commit_message: "first" → "warmer"',
    );

    // Promote to staging: the confirmation names what will serve; the history says who.
    await page.fill('#move-label input[name="label"]', 'staging');
    await page.selectOption('#move-label select[name="version"]', '2');
    await page.fill('#move-label input[name="reason"]', 'try it');
    await page.click('#move-label button');
    await page.waitForSelector('[data-label="staging"]');
    expect(dialogs.at(-1)).toBe('staging of page-admin will serve 2 (a new label). Move it?');
    expect(await page.textContent('[data-label="staging"]')).toBe('2');
    const history = (await page.textContent('[data-table="history"] tbody tr:first-child'))!;
    expect(history).toContain('(none) → 2');
    expect(history).toContain('key:');
    expect(history).toContain('(test-admin)');
    expect(history).toContain('try it');

    // Protect staging (an admin key): every template's staging, so the confirmation says so; then unprotect it.
    await page.click('button[data-protect="staging"]');
    await page.waitForSelector('[data-notice]:text-is("staging is now protected.")');
    expect(dialogs.at(-1)).toBe(
      'Protect staging on every template? Only prompts:promote and admin keys will move it.',
    );
    expect(await page.textContent('[data-notice]')).toBe('staging is now protected.');
    expect(await page.textContent('[data-table="labels"]')).toContain('staging (protected)');
    expect((await api.call('GET', '/api/v1/admin/protected-labels')).body.labels).toMatchObject([
      { label: 'staging' },
    ]);
    await page.click('button[data-protect="staging"]');
    await page.waitForSelector('[data-notice]:text-is("staging is no longer protected.")');
    expect(await page.textContent('[data-table="labels"] button[data-protect="staging"]')).toBe('protect');
    expect((await api.call('GET', '/api/v1/admin/protected-labels')).body.labels).toEqual([]);

    // Roll v2 out on production: the Rollouts view shows it stepping; abort it there.
    await page.click('button[data-rollout-version="2"]');
    await page.waitForSelector('[data-table="rollouts"] [data-state="running"]');
    expect(dialogs.at(-1)).toBe('Roll 2 out on production of page-admin, stepped up while its guards hold?');
    const state = () => page.textContent('[data-table="rollouts"] tbody tr:first-child [data-state]');
    expect(await state()).toBe('running, step 1 of 3 (10% on 2)');
    const id = (await api.call('GET', '/api/v1/rollouts?template=page-admin')).body.rollouts[0].id as string;
    await stepRolloutOnPage(page, 'page-admin', '1', '2');
    expect(await state()).toBe('running, step 2 of 3 (25% on 2)');
    await page.click(`button[data-action="abort"][data-rollout="${id}"]`);
    await page.waitForSelector('[data-table="rollouts"] [data-state="aborted"]');
    expect(dialogs.at(-1)).toBe(`Abort rollout ${id}? production of page-admin goes back to 1 at once.`);
    expect((await api.call('GET', '/api/v1/admin/templates/page-admin')).body.labels.production).toBe('1');

    // Search: as you type, only what matches.
    await page.goto(`${served.url}/dashboards#templates`);
    await page.fill('#template-search', 'admin');
    await page.waitForFunction(
      () =>
        [
          ...(globalThis as unknown as Browserish).document.querySelectorAll(
            '[data-table="templates"] [data-open]',
          ),
        ].length === 1,
    );
    expect(await page.textContent('[data-table="templates"] [data-open]')).toBe('page-admin');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboards-templates.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('template admin follows the key: a prompts:write key is refused a protected label with the API\u2019s reason; a reader only sees', async () => {
    expect((await api.call('PUT', '/api/v1/admin/protected-labels/production')).status).toBe(200);
    try {
      const ci = await createApiKey(api.sql, { name: 'ci', scopes: ['prompts:write'], createdBy: 'test' });
      const writer = await browser.newPage();
      writer.on('dialog', (d) => void d.accept());
      await writer.goto(`${served.url}/dashboards#templates/page-a`);
      await writer.fill('#key', ci.key);
      await writer.click('#signin button');
      await writer.waitForSelector('[data-template-name="page-a"]');
      expect(await writer.textContent('[data-table="labels"]')).toContain('production (protected)');
      await writer.selectOption('#move-label select[name="version"]', '1');
      await writer.click('#move-label button');
      await writer.waitForSelector('[data-notice]');
      expect(await writer.textContent('[data-notice]')).toBe(
        "label 'production' is protected: moving it needs a key with the prompts:promote scope (or admin)",
      );
      expect(await writer.$('button[data-rollout-version]')).toBeNull();
      expect(await writer.$('button[data-protect]')).toBeNull();
      await writer.close();

      const reader = await browser.newPage();
      await reader.goto(`${served.url}/dashboards#templates/page-a`);
      await reader.fill('#key', api.keys.reader);
      await reader.click('#signin button');
      await reader.waitForSelector('[data-template-name="page-a"]');
      expect(await reader.$('[data-table="versions"]')).not.toBeNull();
      expect(await reader.$('[data-table="history"]')).not.toBeNull();
      for (const form of ['#publish', '#move-label', 'button[data-rollout-version]'])
        expect(await reader.$(form)).toBeNull();
      await reader.goto(`${served.url}/dashboards#templates`);
      await reader.waitForSelector('[data-table="templates"] [data-open="page-a"]');
      expect(await reader.$('#new-template')).toBeNull();
      await reader.close();
    } finally {
      await api.call('DELETE', '/api/v1/admin/protected-labels/production');
    }
  });

  it('shows the firing alerts, the rules with their health and recent changes', async () => {
    const labels = { alertname: 'HighErrorRate', template: 'page-a', severity: 'page' };
    const found = new Map([
      [fingerprint(labels), { labels, annotations: { summary: 'Error rate of page-a is 25%' }, value: 0.25 }],
    ]);
    const now = Date.now();
    const out = advance(new Map(), found, { forMs: 0, keepFiringForMs: 0 }, now);
    const status = {
      rule: 'llm-calls/HighErrorRate',
      lastEvaluatedAt: now,
      evaluationMs: 2,
      health: 'ok' as const,
      error: null,
      consecutiveErrors: 0,
    };
    await saveEvaluation(api.sql, 'llm-calls/HighErrorRate', { ...out, status }, now);
    const page = await browser.newPage();
    await page.goto(`${served.url}/dashboards#alerts`);
    await page.fill('#key', api.keys.telemetry);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="alerts"]', { timeout: 15_000 });
    expect(await page.textContent('[data-stat="firing"] .value')).toBe('1');
    const active = await page.textContent('[data-table="active alerts"]');
    expect(active).toContain('Error rate of page-a is 25%');
    expect(active).toContain('template=page-a');
    expect(await page.textContent('[data-table="history"]')).toContain('inactive → firing');
    expect(await page.textContent('[data-table="rules"]')).toContain(
      'llm-calls/HighErrorRate> 0.05 for 15mok',
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboards-alerts.png'), fullPage: true });
    await page.close();
  });

  it('a refused key returns to the sign-in form saying why; the page has an icon', async () => {
    const page = await browser.newPage();
    const icons: { url: string; status: number; type: string | null }[] = [];
    page.on('response', (r) => {
      if (r.url().includes('favicon'))
        icons.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] ?? null });
    });
    await page.goto(`${served.url}/dashboards`);
    await page.fill('#key', `psk_000000000000_${'a'.repeat(43)}`);
    await page.click('#signin button');
    await page.waitForSelector('#signin [role="alert"]');
    expect(await page.textContent('#signin [role="alert"]')).toBe('That key was refused: invalid API key.');
    expect(await page.inputValue('#key')).toBe('');
    // A second try with another key clears the message while it signs in.
    await page.fill('#key', api.keys.telemetry);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="overview"]', { timeout: 15_000 });
    expect(await page.$('#signin [role="alert"]')).toBeNull();
    const href = await page.getAttribute('link[rel="icon"]', 'href');
    const icon = await page.request.get(`${served.url}${href}`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    expect((await icon.text()).startsWith('<svg')).toBe(true);
    expect((await page.request.get(`${served.url}/favicon.ico`)).status()).toBe(200);
    expect(icons.every((i) => i.status === 200)).toBe(true);
    await page.close();
  });

  it('A/B opens on a template that has a split, marks a significant difference, shows the Welch tests and Δ in points', async () => {
    const factory = spanFactory('ab-svc', 10_000); // ids apart from the spans sent before
    const spans = [];
    const now = Date.now();
    for (let i = 0; i < 80; i++) {
      const variant = i < 40 ? '1' : '2';
      spans.push(
        await factory.span({
          name: 'generate_content gemini-2.5-flash',
          startMs: now - 30 * 60_000 + i * 1000,
          durationMs: 100,
          error: (variant === '1' ? i % 40 < 2 : i % 40 < 11) ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.request.model': 'gemini-2.5-flash',
            'gen_ai.prompt.name': 'page-ab',
            'gen_ai.prompt.version': variant,
            'promptscope.prompt.label': 'production',
            'promptscope.prompt.variant': variant,
            'gen_ai.usage.input_tokens': variant === '1' ? 100 : 150 + (i % 3),
            'gen_ai.usage.output_tokens': 10,
            'gen_ai.usage.cost.amount': variant === '1' ? '0.001' : `0.00${2 + (i % 2)}`,
          },
        }),
      );
    }
    await sendCalls(collector.url, client, spans, "prompt_name = 'page-ab'", 80, 'protobuf');
    const page = await browser.newPage();
    await page.goto(`${served.url}/dashboards#ab`);
    await page.fill('#key', api.keys.telemetry);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="ab"]', { timeout: 15_000 });
    // page-a and page-b served no split: the view opens on the one template that did.
    expect(await page.inputValue('#template')).toBe('page-ab');
    expect(await page.$$eval('#template option', (o) => o.map((x) => x.textContent))).toEqual(['page-ab']);
    expect(await page.inputValue('#label')).toBe('production');
    const headers = await page.$$eval('[data-table="ab"] th', (t) => t.map((x) => x.textContent));
    expect(headers).toEqual([
      'variant',
      'calls',
      'error rate [95% CI]',
      'Δ error rate (z-test)',
      'p95 ms',
      'cost per call',
      'Δ cost per call (Welch)',
      'tokens per call',
      'Δ tokens per call (Welch)',
    ]);
    const row = await page.$$eval('[data-table="ab"] tbody tr:nth-child(2) td', (t) =>
      t.map((x) => x.textContent),
    );
    // 11/40 − 2/40 = 22.5 percentage points, significant (the API's z-test).
    expect(row[3]).toMatch(/^\+22\.50 pp \(p=0\.\d+\) ✱$/);
    expect(
      await page.$$eval('[data-table="ab"] [data-significant="true"]', (e) => e.length),
    ).toBeGreaterThanOrEqual(2);
    expect(row[6]).toMatch(/^\+0\.0015 \$ \(p=/);
    expect(row[8]).toMatch(/^\+51 \(p=/);
    await page.close();
  });

  it.each([
    ['desktop', 1400, 1000],
    ['phone', 390, 844],
  ] as const)(
    'every view fits a %s screen (%i×%i): no sideways scroll, text inside its card, charts over the chosen range',
    async (size, width, height) => {
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(`${served.url}/dashboards`);
      await page.waitForSelector('#signin');
      await fs.mkdir(ARTIFACTS, { recursive: true });
      // The sign-in form fits too.
      const signIn = await page.evaluate(() => {
        const { document, innerWidth } = globalThis as unknown as Browserish;
        return { scrollWidth: document.documentElement.scrollWidth, innerWidth };
      });
      expect(signIn.scrollWidth).toBeLessThanOrEqual(signIn.innerWidth);
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboards-signin-${size}.png`) });
      await page.fill('#key', api.keys.admin);
      await page.click('#signin button');
      await page.waitForSelector('main[data-ready="overview"]', { timeout: 15_000 });
      await fs.mkdir(ARTIFACTS, { recursive: true });
      const colours = new Map<string, string[]>();
      for (const view of [
        'overview',
        'template',
        'ab',
        'templates',
        'sessions',
        'budgets',
        'rollouts',
        'alerts',
      ]) {
        await page.evaluate((v) => {
          (globalThis as unknown as Browserish).location.hash = v;
        }, view);
        await page.waitForSelector(`main[data-ready="${view}"]`, { timeout: 15_000 });
        await page.waitForTimeout(300); // charts are drawn after the view, and follow their card's width
        const geometry = await page.evaluate(() => {
          const { document, innerWidth } = globalThis as unknown as Browserish;
          return {
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth,
            header: document.querySelector('header').getBoundingClientRect().width,
            overflowing: [...document.querySelectorAll('.stat .value, .card h3, header a')]
              .filter((e) => e.scrollWidth > e.clientWidth + 1)
              .map((e) => e.textContent),
            charts: [...document.querySelectorAll('.card.chart')].map((c) => ({
              title: c.dataset.chart,
              yTicks: JSON.parse(c.dataset.yTicks ?? '[]') as string[],
              series: JSON.parse(c.dataset.series ?? '[]') as [string, string][],
              span: Number(c.dataset.xMax) - Number(c.dataset.xMin),
              canvas: c.querySelector('canvas')?.getBoundingClientRect().width ?? 0,
              card: c.getBoundingClientRect().width,
              empty: Boolean(c.querySelector('.empty')),
            })),
          };
        });
        await page.screenshot({
          path: path.join(ARTIFACTS, `dashboards-${view}-${size}.png`),
          fullPage: true,
        });
        // What sticks out, named, when something does.
        const wide = await page.evaluate(() => {
          const { document, innerWidth } = globalThis as unknown as Browserish;
          return [...document.querySelectorAll('body, body *')]
            .filter((e) => e.getBoundingClientRect().right > innerWidth)
            .map(
              (e) =>
                `${e.tagName}.${e.className} right ${Math.round(e.getBoundingClientRect().right)} scroll ${e.scrollWidth}`,
            )
            .slice(0, 8);
        });
        expect(geometry.scrollWidth, `${view} at ${width}px: ${wide.join('; ')}`).toBeLessThanOrEqual(
          geometry.innerWidth,
        );
        expect(geometry.header).toBe(geometry.innerWidth);
        expect(geometry.overflowing, view).toEqual([]);
        for (const c of geometry.charts.filter((x) => !x.empty)) {
          // The x axis is the selected range (24 h by default), whatever the data covers.
          expect(Math.abs(c.span - 86_400), `${view}: ${c.title}`).toBeLessThan(5);
          expect(c.canvas).toBeLessThanOrEqual(c.card);
          expect(c.canvas).toBeGreaterThan(c.card * 0.8);
          // Tick labels a person can tell apart, in the chart's unit.
          expect(c.yTicks.length, `${view}: ${c.title}`).toBeGreaterThan(1);
          expect(new Set(c.yTicks).size, `${view}: ${c.title} ${c.yTicks}`).toBe(c.yTicks.length);
          if (c.title?.startsWith('Cost')) for (const t of c.yTicks) expect(t).toMatch(/^\$/);
          if (c.title?.startsWith('Error rate')) for (const t of c.yTicks) expect(t).toMatch(/ %$/);
          if (c.title?.startsWith('P95')) for (const t of c.yTicks) expect(t).toMatch(/ ms$/);
          for (const [name, colour] of c.series)
            colours.set(`${name}`, [...(colours.get(name) ?? []), colour]);
        }
        if (process.env.UPDATE_SCREENSHOTS && view === 'overview')
          await page.screenshot({
            path: path.resolve(import.meta.dirname, `../docs/dashboards-${size}.png`),
          });
      }
      // A template's series has one colour in every chart it appears in, on every view.
      for (const [name, seen] of colours) expect(new Set(seen).size, name).toBe(1);
      expect(colours.size).toBeGreaterThan(1);
      await page.close();
    },
    90_000,
  );

  it('serves the API reference from the API itself, listing every operation', async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(served.url)) external.push(r.url());
    });
    await page.goto(`${served.url}/docs`);
    await page.waitForSelector('main[data-ready="docs"]');
    const doc = (await api.call('GET', '/openapi.json', { key: null })).body as {
      paths: Record<string, object>;
    };
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(await page.$$eval('details[data-operation]', (d) => d.length)).toBe(operations);
    expect(external).toEqual([]);
    await page.close();
  });
});
