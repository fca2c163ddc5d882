import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface RunningPromptscope {
  child: ChildProcess;
  api: string;
  otlp: string;
  /** The admin key the first start printed. */
  adminKey: string;
  output(): string;
  /** One API request with the admin key: the status and the JSON answer. */
  // biome-ignore lint/suspicious/noExplicitAny: callers read arbitrary JSON answers
  call(method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }>;
  stop(): Promise<void>;
}

/**
 * `promptscope start` as a user runs it (embedded stores in `dataDir`, free ports), for benchmarks and the demo:
 * resolves once it says it is running, with its API and OTLP URLs and the first-start admin key.
 */
export async function startPromptscope(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningPromptscope> {
  const child = spawn(path.resolve(import.meta.dirname, '../../bin/promptscope'), ['start'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PROMPTSCOPE_DATA_DIR: dataDir,
      PORT: '0',
      PROMPTSCOPE_OTLP_PORT: '0',
      PROMPTSCOPE_EMBEDDED_PG_PORT: String(40000 + Math.floor(Math.random() * 20000)),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  const started = await new Promise<{ api: string; otlp: string; adminKey: string }>((resolve, reject) => {
    const timer = setInterval(() => {
      const api = /API\s+(http\S+)/.exec(out);
      const otlp = /OTLP\/HTTP\s+(\S+)/.exec(out);
      if (api && otlp && out.includes('Press Ctrl+C')) {
        clearInterval(timer);
        // The key is printed on the first start only; later starts find it where that one saved it.
        const key = /PROMPTSCOPE_KEY=(\S+)/.exec(out)?.[1];
        const adminKey = key ?? readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim();
        resolve({ api: api[1]!, otlp: otlp[1]!, adminKey });
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`promptscope start exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    ...started,
    output: () => out,
    async call(method, url, body) {
      const res = await fetch(`${started.api}${url}`, {
        method,
        headers: { authorization: `Bearer ${started.adminKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}
