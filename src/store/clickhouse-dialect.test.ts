import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { openClickHouse } from './clickhouse.ts';
import {
  alterTable,
  type ClickHouseDialect,
  clusterDialect,
  migrationStatements,
  SHARDING_KEYS,
  SINGLE,
  schemaMigrationsTable,
  statementsFor,
} from './clickhouse-dialect.ts';
import { MIGRATIONS_DIR } from './migrate.ts';
import { loadMigrations } from './migrations.ts';

const GOLDEN = path.resolve(import.meta.dirname, '../../test/golden/clickhouse-cluster');
const CLUSTER = clusterDialect('promptscope');
const CLOUD: ClickHouseDialect = { kind: 'cloud' };

/** Every migration, up and down, as the dialect runs it: one file's text per migration and direction. */
async function rendered(dialect: ClickHouseDialect) {
  const out: { file: string; statements: string[] }[] = [];
  for (const m of await loadMigrations(MIGRATIONS_DIR.clickhouse))
    for (const direction of ['up', 'down'] as const)
      out.push({
        file: `${String(m.version).padStart(4, '0')}_${m.name}.${direction}.sql`,
        statements: migrationStatements(m[direction], dialect),
      });
  return out;
}

/** ClickHouse's own parser (formatQuery): throws on a statement it cannot parse. */
async function parse(statement: string): Promise<string> {
  const { client } = await testClickHouse();
  const rs = await client.query({
    query: 'SELECT formatQuery({q:String}) AS f',
    query_params: { q: statement },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ f: string }>())[0]!.f;
}

describe('clustered DDL: every migration in the form a ClickHouse cluster runs', () => {
  it.each([
    ['single node', SINGLE],
    ['cluster', CLUSTER],
    ['cloud', CLOUD],
  ])('%s: the engine parses every statement of every migration, up and down', async (_name, dialect) => {
    const files = await rendered(dialect);
    expect(files.length).toBeGreaterThan(20);
    for (const f of files)
      for (const s of f.statements) await expect(parse(s), `${f.file}: ${s}`).resolves.toBeTruthy();
  });

  it('matches the golden files reviewed by hand (UPDATE_GOLDEN=1 rewrites them)', async () => {
    const files = await rendered(CLUSTER);
    if (process.env.UPDATE_GOLDEN) {
      await fs.rm(GOLDEN, { recursive: true, force: true });
      await fs.mkdir(GOLDEN, { recursive: true });
      for (const f of files)
        await fs.writeFile(path.join(GOLDEN, f.file), `${f.statements.join(';\n\n')};\n`);
    }
    expect((await fs.readdir(GOLDEN)).sort()).toEqual(files.map((f) => f.file).sort());
    for (const f of files)
      expect(`${f.statements.join(';\n\n')};\n`, f.file).toBe(
        await fs.readFile(path.join(GOLDEN, f.file), 'utf8'),
      );
  });

  it('makes every table a replicated shard table with a Distributed table over it, and ON CLUSTER every statement', async () => {
    for (const f of await rendered(CLUSTER))
      for (const s of f.statements) {
        if (!s.startsWith('INSERT')) expect(s, f.file).toContain("ON CLUSTER 'promptscope'");
        expect(s, f.file).not.toMatch(/ENGINE = (Replacing|Aggregating)?MergeTree/);
        expect(s, f.file).not.toContain('non_replicated_deduplication_window');
      }
    const up = (await rendered(CLUSTER)).find((f) => f.file === '0002_llm_calls.up.sql')!.statements;
    expect(up[0]).toMatch(
      /^CREATE TABLE IF NOT EXISTS llm_calls_local ON CLUSTER 'promptscope' \([\s\S]*ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}', ingested_at\)[\s\S]*SETTINGS replicated_deduplication_window = 10000$/,
    );
    expect(up[1]).toBe(
      "CREATE TABLE IF NOT EXISTS llm_calls ON CLUSTER 'promptscope' AS llm_calls_local\nENGINE = Distributed('promptscope', currentDatabase(), 'llm_calls_local', cityHash64(trace_id))",
    );
    // The view runs on each node, over the spans inserted there, into that node's shard table.
    expect(up[2]).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS llm_calls_mv ON CLUSTER 'promptscope' TO llm_calls_local AS/,
    );
    expect(up[2]).toMatch(/\bFROM otel_traces_local\b/);
    expect(up[2]).not.toMatch(/\bFROM otel_traces\b/);
  });

  it.each([
    [
      'a column added: shard tables and the Distributed table',
      'ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS x UInt8',
      [
        "ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS x UInt8",
        "ALTER TABLE llm_calls ON CLUSTER 'promptscope' ADD COLUMN IF NOT EXISTS x UInt8",
      ],
    ],
    [
      'an index: the shard tables only',
      'ALTER TABLE llm_calls MATERIALIZE INDEX idx_timestamp',
      ["ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' MATERIALIZE INDEX idx_timestamp"],
    ],
    [
      'a table dropped: the Distributed table, then the shard tables',
      'DROP TABLE IF EXISTS llm_calls_1m',
      [
        "DROP TABLE IF EXISTS llm_calls_1m ON CLUSTER 'promptscope' SYNC",
        "DROP TABLE IF EXISTS llm_calls_1m_local ON CLUSTER 'promptscope' SYNC",
      ],
    ],
    [
      'a backfill: through the Distributed tables, acknowledged once every shard has it',
      'INSERT INTO llm_calls_hour_rows SELECT hour, 1 FROM llm_calls',
      [
        'INSERT INTO llm_calls_hour_rows SETTINGS distributed_foreground_insert = 1 SELECT hour, 1 FROM llm_calls',
      ],
    ],
    [
      'a swap: shard tables renamed, Distributed tables made again for the new names',
      'RENAME TABLE otel_traces TO otel_traces_previous, otel_traces_next TO otel_traces',
      [
        "DROP TABLE IF EXISTS otel_traces ON CLUSTER 'promptscope' SYNC",
        "DROP TABLE IF EXISTS otel_traces_next ON CLUSTER 'promptscope' SYNC",
        "RENAME TABLE otel_traces_local TO otel_traces_previous_local, otel_traces_next_local TO otel_traces_local ON CLUSTER 'promptscope'",
        "CREATE TABLE IF NOT EXISTS otel_traces_previous ON CLUSTER 'promptscope' AS otel_traces_previous_local\nENGINE = Distributed('promptscope', currentDatabase(), 'otel_traces_previous_local', cityHash64(TraceId))",
        "CREATE TABLE IF NOT EXISTS otel_traces ON CLUSTER 'promptscope' AS otel_traces_local\nENGINE = Distributed('promptscope', currentDatabase(), 'otel_traces_local', cityHash64(TraceId))",
      ],
    ],
  ])('%s', (_what, statement, expected) => {
    expect(statementsFor(statement, CLUSTER)).toEqual(expected);
  });

  it('refuses what it has no clustered form for, and a table without a sharding key, naming them', () => {
    expect(() => statementsFor('OPTIMIZE TABLE llm_calls FINAL', CLUSTER)).toThrow(
      'no clustered form for: OPTIMIZE TABLE llm_calls FINAL',
    );
    expect(() => statementsFor('CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x', CLUSTER)).toThrow(
      "no sharding key for table 't': add one to SHARDING_KEYS",
    );
    expect(() => clusterDialect("a'; DROP")).toThrow('must be a cluster name');
  });

  it('refuses a cluster on the embedded engine, saying what it needs', async () => {
    await expect(
      openClickHouse({ clickhouseUrl: undefined, database: 'x', dataDir: '/nonexistent', cluster: 'prod' }),
    ).rejects.toThrow('PROMPTSCOPE_CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL: the embedded engine is one node');
  });

  it('on Cloud, asks SharedMergeTree for insert deduplication with the setting it reads', async () => {
    const up = (await rendered(CLOUD)).find((f) => f.file === '0001_otel_traces.up.sql')!.statements;
    expect(up[0]).toContain('replicated_deduplication_window = 10000');
    expect(up[0]).not.toContain('non_replicated');
    expect(up[0]).toContain('ENGINE = MergeTree');
  });

  it('keeps the migration record in one replicated copy on every node, and TTLs on the shard tables', async () => {
    expect(await parse(schemaMigrationsTable(CLUSTER))).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')",
    );
    expect(alterTable('llm_calls', 'REMOVE TTL', CLUSTER)).toBe(
      "ALTER TABLE llm_calls_local ON CLUSTER 'promptscope' REMOVE TTL",
    );
    expect(alterTable('llm_calls', 'REMOVE TTL', SINGLE)).toBe('ALTER TABLE llm_calls REMOVE TTL');
  });
});

describe('sharding keys, evaluated by the engine on the real tables', () => {
  it('each key is an expression over its table\u2019s own columns', async () => {
    const { client } = await testClickHouse();
    await migrateClickHouse(client);
    for (const [table, key] of Object.entries(SHARDING_KEYS)) {
      if (table === 'llm_calls_1m') continue; // dropped by migration 0006: only its old statements use it
      await expect(
        client.query({ query: `SELECT ${key} FROM ${table} LIMIT 0` }),
        table,
      ).resolves.toBeTruthy();
    }
  });

  it('puts a call on the shard of its span: llm_calls and otel_traces hash the same trace id alike', async () => {
    const { client } = await testClickHouse();
    const rs = await client.query({
      query: `SELECT ${SHARDING_KEYS.otel_traces!.replace('TraceId', 'id')} = ${SHARDING_KEYS.llm_calls!.replace('trace_id', 'id')} AS same
              FROM (SELECT hex(randomString(16)) AS id FROM numbers(1000))`,
      format: 'JSONEachRow',
    });
    expect((await rs.json<{ same: number }>()).every((r) => r.same === 1)).toBe(true);
  });
});
