import { type ClickHouseDialect, migrationStatements, schemaMigrationsTable } from './clickhouse-dialect.ts';
import { type Migration, migrationId } from './migrations.ts';

const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/**
 * Every statement the ClickHouse migrator would run to bring a database from `after` (a version; 0: empty) to the
 * newest migration, in order, as one script: the record's table, each migration's statements in the dialect's form,
 * and the row that records it. What a DBA reviews before a change, or runs by hand.
 */
export function clickhouseMigrationScript(
  migrations: Migration[],
  dialect: ClickHouseDialect,
  after = 0,
): string {
  const pending = migrations.filter((m) => m.version > after);
  const shape =
    dialect.kind === 'cluster'
      ? `cluster '${dialect.cluster}'`
      : dialect.kind === 'cloud'
        ? 'ClickHouse Cloud'
        : 'one node';
  const parts = [
    `-- promptscope's ClickHouse migrations for ${shape}: ${pending.length ? pending.map(migrationId).join(', ') : 'none pending'}`,
    `${schemaMigrationsTable(dialect)};`,
  ];
  for (const m of pending) {
    parts.push(`-- ${migrationId(m)}`);
    for (const s of migrationStatements(m.up, dialect)) parts.push(`${s};`);
    parts.push(
      `INSERT INTO schema_migrations (version, name, checksum, direction) VALUES (${m.version}, ${quote(m.name)}, ${quote(m.checksum)}, 'up');`,
    );
  }
  return `${parts.join('\n\n')}\n`;
}
