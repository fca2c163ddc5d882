import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/** The command line as users run it: bin/promptscope, which execs Node.js on src/cli/main.ts (same process). */
const CLI = path.resolve(import.meta.dirname, '../../bin/promptscope');

export interface CliProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}

/** Runs a long-lived `promptscope` command as a user would and resolves once it says it is running. */
export function startCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliProcess> {
  const { child, output } = spawnCli(args, env);
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (!output().includes('Press Ctrl+C to stop.')) return;
      clearInterval(timer);
      child.removeAllListeners('exit');
      resolve({ child, output });
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`promptscope ${args.join(' ')} exited with ${code}:\n${output()}`));
    });
  });
}

/** `promptscope …` as a child process, collecting stdout and stderr together. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(CLI, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

/** Resolves with the exit code once the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.exitCode)
      : child.once('exit', resolve),
  );
}

/** Runs a short `promptscope` command to its end; resolves with its exit code and everything it printed. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  const { child, output } = spawnCli(args, env);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out: output() })));
}
