import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../platform/listen.ts';
import { silentLogger } from '../platform/log.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { connectPostgres } from './postgres.ts';

describe('embedded PostgreSQL', () => {
  it('takes another free port when its port is in use, and removes a stale pid file left by a crash', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-pg-clash-'));
    await fs.chmod(dataDir, 0o755);
    const wanted = await freePort();
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(wanted, '127.0.0.1', r));
    try {
      const first = await startEmbeddedPostgres({ dataDir, port: wanted, log: silentLogger });
      expect(first.port).not.toBe(wanted);
      await first.stop();
      // A crash leaves postmaster.pid naming a process that no longer exists.
      await fs.writeFile(path.join(dataDir, 'postgres', 'postmaster.pid'), '999999\n/nowhere\n');
      const second = await startEmbeddedPostgres({ dataDir, port: wanted, log: silentLogger });
      const sql = connectPostgres(second.url, 1);
      expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
      await sql.end();
      await second.stop();
    } finally {
      squatter.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('starts in a private data folder made by mktemp -d (mode 0700), also as root where it runs as its own user', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-pg-private-'));
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
    try {
      const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: silentLogger });
      const sql = connectPostgres(pg.url, 1);
      expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
      await sql.end();
      await pg.stop();
      // Only the traverse bit is added for others: nobody else can list or read the folder.
      if (process.getuid?.() === 0) expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o701);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('as root, stops with what to do when a parent folder is closed to the postgres user', async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-pg-closed-'));
    const dataDir = path.join(parent, 'data');
    try {
      const started = startEmbeddedPostgres({ dataDir, port: await freePort(), log: silentLogger });
      if (process.getuid?.() === 0) {
        await expect(started).rejects.toThrow(
          `which cannot enter ${parent} (mode 700): run 'chmod o+x ${parent}', or set PROMPTSCOPE_DATA_DIR`,
        );
      } else {
        await (await started).stop();
      }
    } finally {
      await fs.rm(parent, { recursive: true, force: true });
    }
  }, 60_000);
});
