import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../platform/listen.ts';

/**
 * A ClickHouse server in a process of its own, for benchmarks and tests on a machine without one: chDB behind
 * `clickhouse-http.ts`, keeping its data in `dataDir`. Resolves once it listens, with its URL.
 */
export async function startClickHouseServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [new URL('./clickhouse-http.ts', import.meta.url).pathname, dataDir, String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`the ClickHouse server exited with ${code} before it listened`)),
    );
  });
  return { url: `http://127.0.0.1:${port}`, child };
}
