import { splitStatements } from './migrations.ts';

/**
 * The three shapes of ClickHouse promptscope's migrations run on, from one set of single-node migration files:
 *
 * - `single`: one server or the embedded engine: the statements as written.
 * - `cluster`: a ClickHouse cluster (PROMPTSCOPE_CLICKHOUSE_CLUSTER=<name>): each table becomes a replicated shard table
 *   `<name>_local` (`Replicated*MergeTree`, Keeper path `/clickhouse/tables/{shard}/{database}/{table}`, replica
 *   `{replica}`) and a `Distributed` table under the original name, which every read and write uses, so the
 *   application's queries stay as they are. Every DDL statement runs `ON CLUSTER` (explicit, as Langfuse and SigNoz do,
 *   rather than a `Replicated` database: that works on the clusters teams already run, whatever their database
 *   engine, and keeps the DDL reviewable). Materialized views run on every node over the local shard tables, so a
 *   span's derived rows stay on its shard.
 * - `cloud`: ClickHouse Cloud (its database engine is `Shared`): the statements as written (MergeTree becomes
 *   SharedMergeTree by itself), with insert deduplication asked for with the setting SharedMergeTree reads.
 */
export type ClickHouseDialect = { kind: 'single' } | { kind: 'cluster'; cluster: string } | { kind: 'cloud' };

export const SINGLE: ClickHouseDialect = { kind: 'single' };

const CLUSTER_NAME = /^[A-Za-z0-9_.-]+$/;

export function clusterDialect(cluster: string): ClickHouseDialect {
  if (!CLUSTER_NAME.test(cluster))
    throw new Error(
      `PROMPTSCOPE_CLICKHOUSE_CLUSTER must be a cluster name (letters, digits, _ . -), not '${cluster}'`,
    );
  return { kind: 'cluster', cluster };
}

/**
 * Where a table's rows go on a cluster: the expression keeps together what must meet on one shard.
 * - every copy of a span and every span of a trace: `FINAL` collapses a retried span, the trace lookup finds it whole;
 *   llm_calls follows its spans (its view runs on the span's shard), so a re-priced row replaces the one it corrects;
 * - the hourly rollup by template and version: a rebuilt hour's rows replace the rows of the build before;
 * - the hour counters and builds by hour, a budget's group by budget and group.
 */
export const SHARDING_KEYS: Record<string, string> = {
  otel_traces: 'cityHash64(TraceId)',
  otel_traces_trace_id_ts: 'cityHash64(TraceId)',
  llm_calls: 'cityHash64(trace_id)',
  llm_calls_1m: 'cityHash64(prompt_name, prompt_version)',
  llm_calls_hour_rows: 'cityHash64(hour)',
  llm_calls_hourly: 'cityHash64(prompt_name, prompt_version)',
  llm_calls_hourly_builds: 'cityHash64(hour)',
  budget_status: 'cityHash64(budget, group_key)',
};

/** The table a name stands for, without the `_next` / `_previous` of a table swap. */
const baseName = (table: string) => table.replace(/_(next|previous)$/, '');

function shardingKey(table: string): string {
  const key = SHARDING_KEYS[baseName(table)];
  if (!key) throw new Error(`no sharding key for table '${table}': add one to SHARDING_KEYS`);
  return key;
}

const local = (table: string) => `${table}_local`;
const onCluster = (cluster: string) => `ON CLUSTER '${cluster}'`;

function distributed(table: string, cluster: string, ifNotExists = true): string {
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${table} ${onCluster(cluster)} AS ${local(table)}
ENGINE = Distributed('${cluster}', currentDatabase(), '${local(table)}', ${shardingKey(table)})`;
}

/** Replaces whole-word references to the sharded tables in a view's query with their shard tables. */
function toLocalTables(query: string): string {
  return query.replace(/\b(FROM|JOIN)(\s+)(\w+)\b/gi, (all, verb: string, space: string, name: string) =>
    SHARDING_KEYS[baseName(name)] ? `${verb}${space}${local(name)}` : all,
  );
}

const CREATE_TABLE = /^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(([\s\S]*)$/i;
const ENGINE = /ENGINE\s*=\s*(\w*MergeTree)(\(([^)]*)\))?/i;
const MATERIALIZED_VIEW =
  /^CREATE\s+MATERIALIZED\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s+TO\s+(\w+)\s+AS\b([\s\S]*)$/i;
const VIEW = /^CREATE\s+(OR\s+REPLACE\s+)?VIEW\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s+AS\b([\s\S]*)$/i;
const DROP = /^DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?(\w+)$/i;
const ALTER = /^ALTER\s+TABLE\s+(\w+)\s+([\s\S]*)$/i;
const INSERT = /^INSERT\s+INTO\s+(\w+)(\s*\([^)]*\))?\s+(SELECT\b[\s\S]*)$/i;
const RENAME = /^RENAME\s+TABLE\s+([\s\S]*)$/i;
/** Column changes go to the Distributed table too (it has the columns); index work only to the shard tables. */
const COLUMN_CHANGE = /\b(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b/i;

function clusteredStatements(statement: string, cluster: string): string[] {
  const on = onCluster(cluster);
  let m = CREATE_TABLE.exec(statement);
  if (m) {
    const [, ifNotExistsText, table, rest] = m as unknown as [string, string | undefined, string, string];
    const ifNotExists = ifNotExistsText ? 'IF NOT EXISTS ' : '';
    const engine = ENGINE.exec(rest);
    if (!engine) throw new Error(`CREATE TABLE ${table}: no MergeTree engine to replicate`);
    const args = engine[3]?.trim();
    const replicated = `ENGINE = Replicated${engine[1]}('/clickhouse/tables/{shard}/{database}/{table}', '{replica}'${args ? `, ${args}` : ''})`;
    const body = rest
      .replace(ENGINE, replicated)
      .replace(/\bnon_replicated_deduplication_window\b/g, 'replicated_deduplication_window');
    return [
      `CREATE TABLE ${ifNotExists}${local(table)} ${on} (${body}`,
      distributed(table, cluster, ifNotExists !== ''),
    ];
  }
  m = MATERIALIZED_VIEW.exec(statement);
  if (m) {
    const [, ifNotExists = '', view, target, query] = m as unknown as [
      string,
      string | undefined,
      string,
      string,
      string,
    ];
    return [
      `CREATE MATERIALIZED VIEW ${ifNotExists}${view} ${on} TO ${local(target)} AS${toLocalTables(query)}`,
    ];
  }
  m = VIEW.exec(statement);
  if (m) {
    const [, orReplace = '', ifNotExists = '', view, query] = m as unknown as [
      string,
      string | undefined,
      string | undefined,
      string,
      string,
    ];
    return [`CREATE ${orReplace}VIEW ${ifNotExists}${view} ${on} AS${query}`];
  }
  m = DROP.exec(statement);
  if (m) {
    const [, kind, ifExists = '', name] = m as unknown as [string, string, string | undefined, string];
    const drop = (n: string) => `DROP ${kind!.toUpperCase()} ${ifExists}${n} ${on} SYNC`;
    return kind!.toUpperCase() === 'TABLE' ? [drop(name), drop(local(name))] : [drop(name)];
  }
  m = ALTER.exec(statement);
  if (m) {
    const [, table, changes] = m as unknown as [string, string, string];
    const shard = `ALTER TABLE ${local(table)} ${on} ${changes}`;
    return COLUMN_CHANGE.test(changes) ? [shard, `ALTER TABLE ${table} ${on} ${changes}`] : [shard];
  }
  m = INSERT.exec(statement);
  if (m) {
    // Through the Distributed tables, acknowledged only once every shard has its rows.
    const [, table, columns = '', select] = m as unknown as [string, string, string | undefined, string];
    return [`INSERT INTO ${table}${columns} SETTINGS distributed_foreground_insert = 1 ${select}`];
  }
  m = RENAME.exec(statement);
  if (m) {
    // A swap renames the shard tables; the Distributed tables name theirs, so they are made again for the new names.
    const pairs = m[1]!.split(',').map((p) => {
      const [from, to] = p.trim().split(/\s+TO\s+/i) as [string, string];
      return { from, to };
    });
    return [
      ...pairs.map((p) => `DROP TABLE IF EXISTS ${p.from} ${on} SYNC`),
      `RENAME TABLE ${pairs.map((p) => `${local(p.from)} TO ${local(p.to)}`).join(', ')} ${on}`,
      ...pairs.map((p) => distributed(p.to, cluster)),
    ];
  }
  throw new Error(`no clustered form for: ${statement.slice(0, 80)}`);
}

/** The statements one migration statement becomes in a dialect, in the order they run. */
export function statementsFor(statement: string, dialect: ClickHouseDialect): string[] {
  if (dialect.kind === 'cluster') return clusteredStatements(statement, dialect.cluster);
  if (dialect.kind === 'cloud')
    return [statement.replace(/\bnon_replicated_deduplication_window\b/g, 'replicated_deduplication_window')];
  return [statement];
}

/** Every statement of a migration file's text as the dialect runs them, in order. */
export function migrationStatements(text: string, dialect: ClickHouseDialect): string[] {
  return splitStatements(text).flatMap((statement) => statementsFor(statement, dialect));
}

/** `ALTER TABLE <table> <change>` for a table of the dialect: on a cluster, its shard tables. */
export function alterTable(table: string, change: string, dialect: ClickHouseDialect): string {
  return dialect.kind === 'cluster'
    ? `ALTER TABLE ${local(table)} ${onCluster(dialect.cluster)} ${change}`
    : `ALTER TABLE ${table} ${change}`;
}

/** The table that holds a table's rows (and its settings, TTL): on a cluster, the shard table. */
export function storageTable(table: string, dialect: ClickHouseDialect): string {
  return dialect.kind === 'cluster' ? local(table) : table;
}

/** The migration record's table: on a cluster one replicated copy on every node (no shard in its path). */
export function schemaMigrationsTable(dialect: ClickHouseDialect): string {
  const columns = `(
  version UInt32, name String, checksum String, direction Enum8('up' = 1, 'down' = 2),
  at DateTime64(6) DEFAULT now64(6)
)`;
  if (dialect.kind === 'cluster')
    return `CREATE TABLE IF NOT EXISTS schema_migrations ${onCluster(dialect.cluster)} ${columns}
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}') ORDER BY (version, at)`;
  return `CREATE TABLE IF NOT EXISTS schema_migrations ${columns} ENGINE = MergeTree ORDER BY (version, at)`;
}
