import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CollectorMetrics } from '../../collector/index.ts';
import { RollupMetrics } from '../analytics/rollup-job.ts';
import { silentLogger } from '../platform/log.ts';
import { processMetrics, seriesNames } from '../platform/metrics.ts';
import { type ClickHouseStore, openClickHouse } from '../store/clickhouse.ts';
import { createUnlockedClickHouseMigrator } from '../store/migrate.ts';
import { AlertMetrics } from './metrics.ts';
import { runRuleQuery } from './rule-query.ts';
import type { RuleGroup, RuleProblem } from './rules.ts';
import { expandAll } from './templates.ts';

/**
 * A ClickHouse with the promptscope tables and nothing in them, for checking and testing rules: the server in
 * `clickhouseUrl` (a database of its own, dropped after) or an in-process engine in a temporary folder.
 */
export async function openScratchClickHouse(clickhouseUrl: string | undefined): Promise<ClickHouseStore> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-rules-'));
  const database = `rules_${process.pid}_${Date.now()}`;
  const store = await openClickHouse({ clickhouseUrl, database, dataDir: dir });
  try {
    await (await createUnlockedClickHouseMigrator(store.client, silentLogger)).up();
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    ...store,
    async close() {
      if (!store.embedded) await store.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await store.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What `promptscope alerts check` adds to parsing: each rule's query runs against the empty tables (a typo in a
 * column or a missing `value` column is found before deployment), and its templates expand.
 */
export async function checkRuleQueries(groups: RuleGroup[], store: ClickHouseStore): Promise<RuleProblem[]> {
  const problems: RuleProblem[] = [];
  const knownMetrics = exposedMetricNames();
  const empty = { read: async () => [] };
  for (const group of groups) {
    for (const rule of group.rules) {
      try {
        await runRuleQuery(rule, Date.now(), {
          clickhouse: store.client,
          metrics: empty,
          timeoutMs: group.queryTimeoutMs,
        });
        if (rule.query.kind === 'sql') {
          const columns = await describe(store, rule.query.sql);
          const value = columns.find((c) => c.name === 'value');
          if (!value)
            throw new Error(
              `the query returns no 'value' column (columns: ${columns.map((c) => c.name).join(', ')})`,
            );
          if (!NUMERIC.test(value.type))
            throw new Error(
              `the 'value' column is ${value.type}: a rule compares a number (cast it, e.g. toFloat64)`,
            );
        }
        if (rule.query.kind === 'metric' && !knownMetrics.has(rule.query.metric))
          throw new Error(
            `no collector or scheduler exposes '${rule.query.metric}' (see /metrics; e.g. ${[...knownMetrics].slice(0, 3).join(', ')})`,
          );
      } catch (error) {
        problems.push({
          file: rule.file,
          where: `rule '${rule.alert}'`,
          field: rule.query.kind,
          // The scratch database's name means nothing to the rule's author.
          message: (error as Error).message.split('\n')[0]!.replaceAll(`${store.database}.`, ''),
        });
      }
      for (const [field, templates] of [
        ['labels', rule.labels],
        ['annotations', rule.annotations],
      ] as const) {
        for (const [name, text] of Object.entries(expandAll(templates, { template: 't' }, 1))) {
          if (text.includes('<error expanding template'))
            problems.push({
              file: rule.file,
              where: `rule '${rule.alert}'`,
              field: `${field}.${name}`,
              message: text,
            });
        }
      }
    }
  }
  return problems;
}

async function describe(store: ClickHouseStore, sql: string): Promise<{ name: string; type: string }[]> {
  const rs = await store.client.query({
    query: `DESCRIBE (${sql})`,
    query_params: { now_ms: Date.now() },
    format: 'JSONEachRow',
  });
  return rs.json<{ name: string; type: string }>();
}

/** Column types a rule can compare with its threshold. */
const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal(\d+)?\(.*\)|Bool)\)?$/;

/**
 * Every metric name a `metric` rule can read: the collector's and the scheduler's /metrics (read from their
 * registries, so the list is what the code registers), the process's default metrics, their histograms' series, and `up` (recorded per scrape).
 */
function exposedMetricNames(): Set<string> {
  return new Set([
    'up',
    ...seriesNames([
      new CollectorMetrics().registry,
      new AlertMetrics().registry,
      new RollupMetrics().registry,
      processMetrics(),
    ]),
  ]);
}
