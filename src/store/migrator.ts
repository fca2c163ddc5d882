import type { Logger } from '../platform/log.ts';
import {
  type AppliedMigration,
  assertHistoryIntact,
  type Migration,
  MigrationError,
  type MigrationStatus,
  migrationId,
  migrationStatus,
} from './migrations.ts';

/** What a store must offer to be migrated: a record of applied migrations and a lock. */
export interface MigrationTarget {
  readonly label: string;
  /** Runs fn while holding a lock that no other migrator of this store holds. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  applied(): Promise<AppliedMigration[]>;
  /** Runs the up SQL and records it (atomically where the store can). */
  apply(migration: Migration): Promise<void>;
  /** Runs the down SQL and removes the record. */
  revert(migration: Migration): Promise<void>;
}

export interface MigrateResult {
  applied: string[];
}

/** Applies and reverts numbered migrations against one store. */
export class Migrator {
  #target: MigrationTarget;
  #migrations: Migration[];
  #log: Logger;

  constructor(target: MigrationTarget, migrations: Migration[], log: Logger) {
    this.#target = target;
    this.#migrations = migrations;
    this.#log = log;
  }

  async status(): Promise<MigrationStatus[]> {
    return migrationStatus(this.#migrations, await this.#target.applied());
  }

  /** Applies every pending migration in order; refuses when applied history was edited. */
  async up(): Promise<MigrateResult> {
    return this.#target.withLock(async () => {
      const status = migrationStatus(this.#migrations, await this.#target.applied());
      assertHistoryIntact(this.#target.label, status);
      const pending = new Set(status.filter((s) => s.state === 'pending').map((s) => s.version));
      const done: string[] = [];
      for (const m of this.#migrations.filter((x) => pending.has(x.version))) {
        try {
          await this.#target.apply(m);
        } catch (error) {
          throw new MigrationError(
            `${this.#target.label} migration ${migrationId(m)} failed: ${(error as Error).message}`,
          );
        }
        this.#log.info('migration applied', { store: this.#target.label, migration: migrationId(m) });
        done.push(migrationId(m));
      }
      return { applied: done };
    });
  }

  /** Reverts the last `steps` applied migrations, newest first. */
  async down(steps = 1): Promise<MigrateResult> {
    return this.#target.withLock(async () => {
      const status = migrationStatus(this.#migrations, await this.#target.applied());
      assertHistoryIntact(this.#target.label, status);
      const applied = status.filter((s) => s.state === 'applied').reverse();
      const done: string[] = [];
      for (const s of applied.slice(0, steps)) {
        const m = this.#migrations.find((x) => x.version === s.version)!;
        try {
          await this.#target.revert(m);
        } catch (error) {
          throw new MigrationError(
            `${this.#target.label} migration ${migrationId(m)} down failed: ${(error as Error).message}`,
          );
        }
        this.#log.info('migration reverted', { store: this.#target.label, migration: migrationId(m) });
        done.push(migrationId(m));
      }
      return { applied: done };
    });
  }
}
