import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface Migration {
  version: number;
  name: string;
  up: string;
  down: string;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrationStatus {
  version: number;
  name: string;
  state: 'applied' | 'pending' | 'changed' | 'missing';
  appliedAt?: Date;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$/;

/** Reads `NNNN_name.up.sql` / `NNNN_name.down.sql` pairs from a folder, in order. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of files.sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    const version = Number(m[1]);
    const entry = byVersion.get(version) ?? { name: m[2]! };
    if (entry.name !== m[2]) {
      throw new MigrationError(`two migrations share number ${m[1]}: ${entry.name} and ${m[2]} in ${dir}`);
    }
    const text = (await fs.readFile(path.join(dir, file), 'utf8')).replace(/\r\n/g, '\n');
    entry[m[3] as 'up' | 'down'] = text;
    byVersion.set(version, entry);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, e]) => {
      if (e.up === undefined || e.down === undefined) {
        const missing = e.up === undefined ? 'up' : 'down';
        throw new MigrationError(`migration ${pad(version)}_${e.name} has no .${missing}.sql in ${dir}`);
      }
      return { version, name: e.name, up: e.up, down: e.down, checksum: checksum(e.up) };
    });
}

export function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function migrationId(m: { version: number; name: string }): string {
  return `${pad(m.version)}_${m.name}`;
}

function pad(n: number): string {
  return String(n).padStart(4, '0');
}

/** Compares files on disk with what the store recorded. */
export function migrationStatus(migrations: Migration[], applied: AppliedMigration[]): MigrationStatus[] {
  const appliedByVersion = new Map(applied.map((a) => [a.version, a]));
  const out: MigrationStatus[] = migrations.map((m) => {
    const a = appliedByVersion.get(m.version);
    if (!a) return { version: m.version, name: m.name, state: 'pending' };
    return {
      version: m.version,
      name: m.name,
      state: a.checksum === m.checksum ? 'applied' : 'changed',
      appliedAt: a.appliedAt,
    };
  });
  const known = new Set(migrations.map((m) => m.version));
  for (const a of applied) {
    if (!known.has(a.version))
      out.push({ version: a.version, name: a.name, state: 'missing', appliedAt: a.appliedAt });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** Throws when an applied migration's file was edited or deleted: history must not be rewritten. */
export function assertHistoryIntact(label: string, status: MigrationStatus[]): void {
  const changed = status.filter((s) => s.state === 'changed');
  if (changed.length > 0) {
    throw new MigrationError(
      `${label} migration ${changed.map(migrationId).join(', ')} was edited after it was applied (checksum differs). ` +
        'Restore the original file and put the change in a new migration.',
    );
  }
  const missing = status.filter((s) => s.state === 'missing');
  if (missing.length > 0) {
    throw new MigrationError(
      `${label} migration ${missing.map(migrationId).join(', ')} is applied but its files are gone. Restore them.`,
    );
  }
}

/** Splits a SQL file into statements on `;` outside quotes and comments (ClickHouse runs one at a time). */
export function splitStatements(sqlText: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < sqlText.length; i++) {
    const ch = sqlText[i]!;
    const next = sqlText[i + 1];
    if (quote) {
      current += ch;
      if (ch === '\\' && next !== undefined) {
        current += next;
        i++;
      } else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '-' && next === '-') {
      const end = sqlText.indexOf('\n', i);
      i = end === -1 ? sqlText.length : end;
      current += '\n';
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    if (ch === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
