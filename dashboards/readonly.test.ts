import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dashboard, Panel } from '@grafana/schema';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../collector/collector.ts';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import { testClickHouse } from '../test/support/api.ts';
import {
  migrateClickHouse,
  recordServiceBudget,
  sendCalls,
  spanFactory,
  testCollector,
} from '../test/support/collector.ts';
import { dashboardVariables, expandGrafanaSql } from '../test/support/grafana-macros.ts';
import { DASHBOARDS } from './build.ts';

const NOW = Date.now();

/**
 * The Grafana ClickHouse plugin's docs recommend a `readonly=1` user; such a user may not change a single setting,
 * so a panel that ends in `SETTINGS …` fails for it. Every panel and variable runs here as one, with its answer.
 * (On the embedded engine the setting stays on for the session: keep this alone in its own file.)
 */
describe('every dashboard panel and variable works for a readonly=1 ClickHouse user', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;

  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    collector = await testCollector(client);
    const factory = spanFactory('readonly-svc');
    const spans = [];
    for (let i = 0; i < 6; i++)
      spans.push(
        await factory.span({
          name: 'generate_content gemini-2.5-flash',
          startMs: NOW - 30 * 60_000 + i * 60_000,
          durationMs: 100 * (i + 1),
          error: i === 5 ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.request.model': 'gemini-2.5-flash',
            'gen_ai.prompt.name': 'ro',
            'gen_ai.prompt.version': String(1 + (i % 2)),
            'promptscope.prompt.label': 'production',
            'promptscope.prompt.variant': String(1 + (i % 2)),
            'gen_ai.usage.input_tokens': 100,
            'gen_ai.usage.output_tokens': 10,
            'gen_ai.usage.cost.amount': '0.001',
            'promptscope.tenant': `tenant-${i % 2}`,
            'promptscope.property.feature': 'search',
          },
        }),
      );
    await sendCalls(collector.url, client, spans, "prompt_name = 'ro'", 6, 'protobuf');
    await recordServiceBudget(client, 'readonly-svc');
    await collector.stop();
    expect(await asReadonly("SELECT getSetting('readonly') AS r")).toEqual([{ r: 1 }]);
  });
  /** A query as a readonly=1 user runs it (the setting rides on every query, for a ClickHouse server too). */
  const asReadonly = async <T>(sql: string): Promise<T[]> => {
    const rs = await client.query({
      query: sql,
      format: 'JSONEachRow',
      clickhouse_settings: { readonly: '1' } as never,
    });
    return rs.json<T>();
  };

  it('a query that sets a setting is refused in this mode (the test would pass for nothing otherwise)', async () => {
    await expect(asReadonly('SELECT 1 SETTINGS prefer_column_name_to_alias = 1')).rejects.toThrow(/readonly/);
  });

  it.each(Object.keys(DASHBOARDS))(
    '%s: every panel and variable answers, over minutes and over a month',
    async (file) => {
      const d = JSON.parse(readFileSync(path.join(import.meta.dirname, file), 'utf8')) as Dashboard;
      const queries = d.templating!.list!.filter((v) => v.type === 'query');
      const variables = dashboardVariables(d, { template: file === 'template.json' ? ['ro'] : 'all' });
      // An hour at 1-minute points (llm_calls), and 30 days at 2-hour points (the rollup where it is current).
      for (const range of [
        { fromMs: NOW - 3_600_000, toMs: NOW, intervalSeconds: 60 },
        { fromMs: NOW - 30 * 86_400_000, toMs: NOW, intervalSeconds: 7200 },
      ]) {
        for (const p of (d.panels ?? []) as Panel[]) {
          const sql = expandGrafanaSql((p.targets![0] as { rawSql: string }).rawSql, { ...range, variables });
          expect(sql, p.title).not.toMatch(/\bSETTINGS\b/);
          const rows = await asReadonly<Record<string, unknown>>(sql).catch((error: Error) => {
            throw new Error(`${file}: ${p.title}: ${error.message}`);
          });
          expect(rows.length, `${file}: ${p.title}`).toBeGreaterThan(0);
        }
        for (const v of queries) {
          const sql = expandGrafanaSql((v.query as { rawSql: string }).rawSql, { ...range, variables });
          expect(await asReadonly(sql), `${file}: $${v.name}`).not.toEqual([]);
        }
      }
    },
  );
});
