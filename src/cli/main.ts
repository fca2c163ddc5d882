#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadPriceCatalog } from '#sdk/pricing/catalog.ts';
import { issueKey, revokeKey } from '../auth/key-lifecycle.ts';
import { listApiKeys } from '../auth/key-store.ts';
import { SCOPES, type Scope } from '../auth/keys.ts';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';
import { startConfiguredCollector, startSystem } from '../server.ts';
import { openClickHouse } from '../store/clickhouse.ts';
import { createMigrators, createPostgresMigrator } from '../store/migrate.ts';
import { migrationId } from '../store/migrations.ts';

import { ALERTS_USAGE, alerts } from './alerts.ts';
import { report } from './report.ts';
import { scheduler } from './scheduler.ts';
import { openConfiguredPostgres } from './stores.ts';

const USAGE = `promptscope — prompt management and LLM telemetry

usage:
  promptscope start                          API, collector, stores and migrations in one process
  promptscope collector                      the OTLP/HTTP collector alone (run migrate up first)
  promptscope api                            the API alone (migrates first), for running roles apart
  promptscope scheduler                      the alert evaluator alone (one is active across instances)
  promptscope migrate up | down [N] | status  apply, revert the last N (default 1), or list migrations
  promptscope keys create --name NAME --scopes admin | prompts:read | telemetry:read (comma-separated)
  promptscope keys list [--all]
  promptscope keys revoke ID
  promptscope report [--window 24h] [--template NAME] [--json | --csv] [--url URL]
                                             the seed's monitoring queries as tables, through the API
                                             (key: PROMPTSCOPE_API_KEY, else the first-start admin key)
${ALERTS_USAGE}
  promptscope gemini-server [--port N]      a local Gemini / Vertex AI wire-format server for demos and tests
  promptscope help

Settings come from the environment; see the README's configuration table.`;

/** Runs one CLI command; returns the process exit code. */
export async function main(
  argv: string[],
  out = (s: string) => process.stdout.write(`${s}\n`),
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out(USAGE);
    return command ? 0 : 2;
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  switch (command) {
    case 'start':
      return start(config, log, out, { collector: true, scheduler: true });
    case 'api':
      return start(config, log, out, { collector: false, scheduler: false });
    case 'scheduler':
      return scheduler(config, log, out, waitForSignal);
    case 'migrate':
      return migrate(config, log, rest, out);
    case 'collector':
      return collector(config, log, out);
    case 'keys':
      return keys(config, log, rest, out);
    case 'gemini-server':
      return geminiServer(rest, out);
    case 'report':
      return report(config, rest, out);
    case 'alerts':
      return alerts(config, rest, out);
    default:
      process.stderr.write(`unknown command '${command}'\n\n${USAGE}\n`);
      return 2;
  }
}

async function start(
  config: Config,
  log: Logger,
  out: (s: string) => void,
  roles: { collector: boolean; scheduler: boolean },
): Promise<number> {
  const system = await startSystem(config, log, roles);
  const { postgres, clickhouse } = system.stores;
  out(`promptscope is running
  API            ${system.apiUrl}
  OpenAPI        ${system.apiUrl}/openapi.json
  API reference  ${system.apiUrl}/docs${system.otlpUrl ? `\n  OTLP/HTTP      ${system.otlpUrl}  (collector; self-metrics at /metrics)` : ''}
  Postgres       ${postgres.embedded ? 'embedded' : 'external'}${postgres.embedded ? ` (${config.dataDir}/postgres)` : ''}
  ClickHouse     ${clickhouse.embedded ? 'embedded' : 'external'} (${clickhouse.location})
  data dir       ${config.dataDir}`);
  if (system.alerting) {
    const rules = system.alerting.groups.reduce((n, g) => n + g.rules.length, 0);
    out(`  alerts         ${rules} rules (${config.alerts.rulesPath}); notifications:`);
    for (const line of system.alerting.receivers) out(`                   ${line}`);
  }
  const applied = [...system.migrations.postgres, ...system.migrations.clickhouse];
  if (applied.length > 0) out(`  migrations     applied ${applied.join(', ')}`);
  if (system.bootstrapKey) {
    out(`
First start: created an admin API key. It is shown only this once and saved (mode 0600) in
  ${system.bootstrapKey.file}

  export PROMPTSCOPE_KEY=${system.bootstrapKey.key}
`);
  }
  out('Press Ctrl+C to stop.');
  await waitForSignal(log);
  await system.stop();
  return 0;
}

async function collector(config: Config, log: Logger, out: (s: string) => void): Promise<number> {
  const ch = await openClickHouse({
    clickhouseUrl: config.clickhouseUrl,
    database: config.clickhouseDatabase,
    dataDir: config.dataDir,
  });
  try {
    const rs = await ch.client.query({
      query:
        "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_traces', 'llm_calls')",
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: number | string }>();
    if (Number(row?.n) < 2) {
      process.stderr.write("the ClickHouse tables are missing: run 'promptscope migrate up' first\n");
      return 1;
    }
    const running = await startConfiguredCollector(
      config,
      ch,
      loadPriceCatalog({ overridesFile: config.pricesFile }),
      log,
    );
    out(`promptscope collector is running
  OTLP/HTTP      ${running.url}/v1/traces
  metrics        ${running.url}/metrics
  ClickHouse     ${ch.embedded ? 'embedded' : 'external'} (${ch.location})
  spool          ${config.dataDir}/spool
Press Ctrl+C to stop.`);
    await waitForSignal(log);
    await running.stop();
    return 0;
  } finally {
    await ch.close();
  }
}

export function waitForSignal(log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

async function migrate(
  config: Config,
  log: Logger,
  args: string[],
  out: (s: string) => void,
): Promise<number> {
  const [action = 'status', count] = args;
  if (!['up', 'down', 'status'].includes(action)) {
    process.stderr.write(`migrate takes up, down [N] or status, not '${action}'\n`);
    return 2;
  }
  const steps = count === undefined ? 1 : Number(count);
  if (!Number.isInteger(steps) || steps < 1) {
    process.stderr.write(`migrate down takes a positive whole number of steps, not '${count}'\n`);
    return 2;
  }
  const pg = await openConfiguredPostgres(config, log);
  try {
    const ch = await openClickHouse({
      clickhouseUrl: config.clickhouseUrl,
      database: config.clickhouseDatabase,
      dataDir: config.dataDir,
    });
    try {
      const migrators = await createMigrators(pg.sql, ch.client, log);
      for (const [store, migrator] of Object.entries(migrators)) {
        if (action === 'status') {
          for (const s of await migrator.status()) {
            out(
              `${store.padEnd(10)} ${migrationId(s).padEnd(40)} ${s.state}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ''}`,
            );
          }
          continue;
        }
        // down reverts ClickHouse before Postgres; up goes the other way.
        const result = action === 'up' ? await migrator.up() : undefined;
        if (result)
          out(`${store}: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'up to date'}`);
      }
      if (action === 'down') {
        for (const store of ['clickhouse', 'postgres'] as const) {
          const result = await migrators[store].down(steps);
          out(
            `${store}: ${result.applied.length ? `reverted ${result.applied.join(', ')}` : 'nothing to revert'}`,
          );
        }
      }
    } finally {
      await ch.close();
    }
  } finally {
    await pg.close();
  }
  return 0;
}

async function keys(config: Config, log: Logger, args: string[], out: (s: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      all: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (action === 'create') {
    const scopes = (values.scopes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (!values.name || scopes.length === 0 || bad.length > 0) {
      process.stderr.write(
        `keys create needs --name NAME and --scopes from ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n`,
      );
      return 2;
    }
  } else if (action === 'revoke' && positionals.length !== 1) {
    process.stderr.write('keys revoke needs the key id (see keys list)\n');
    return 2;
  } else if (action !== 'list' && action !== 'revoke' && action !== 'create') {
    process.stderr.write('keys takes create, list or revoke\n');
    return 2;
  }
  const pg = await openConfiguredPostgres(config, log);
  try {
    await (await createPostgresMigrator(pg.sql, log)).up();
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    if (action === 'create') {
      const scopes = values.scopes!.split(',').map((s) => s.trim()) as Scope[];
      const created = await issueKey(pg.sql, { name: values.name!, scopes, actor });
      out(
        `created key ${created.record.id} (${created.record.name}, scopes: ${scopes.join(', ')}). It is shown only now:\n${created.key}`,
      );
    } else if (action === 'list') {
      for (const k of await listApiKeys(pg.sql, values.all)) {
        out(
          `${k.id}  ${k.name.padEnd(24)} ${k.scopes.join(',').padEnd(20)} created ${k.createdAt.toISOString()}${k.revokedAt ? `  revoked ${k.revokedAt.toISOString()}` : ''}`,
        );
      }
    } else {
      const id = positionals[0]!;
      const revoked = await revokeKey(pg.sql, id, actor);
      if (!revoked) {
        process.stderr.write(`no API key with id '${id}'\n`);
        return 1;
      }
      out(`revoked key ${id} (${revoked.name})`);
    }
  } finally {
    await pg.close();
  }
  return 0;
}

async function geminiServer(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '0' } } });
  const { startGeminiWireServer } = await import('../testing/gemini-wire-server.ts');
  const server = await startGeminiWireServer({ port: Number(values.port) });
  out(`Gemini wire-format server on ${server.url}
  Gemini API:  new GoogleGenAI({ apiKey: 'any', httpOptions: { baseUrl: '${server.url}' } })
  promptscope: PROMPTSCOPE_GEMINI_BASE_URL=${server.url} GEMINI_API_KEY=any npm start
Press Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`promptscope: ${error.message}\n`);
      process.exit(1);
    },
  );
}
