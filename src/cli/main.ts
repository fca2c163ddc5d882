#!/usr/bin/env node
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../platform/log.ts';
import { VERSION } from '../version.ts';
import { ALERTS_USAGE, HELP, helpFor, usageError } from './usage.ts';

const USAGE = `promptscope — prompt management and LLM telemetry

usage:
  promptscope start                          API, collector, stores and migrations in one process
  promptscope collector                      the OTLP/HTTP collector alone (run migrate up first)
  promptscope api                            the API alone (migrates first), for running roles apart
  promptscope scheduler                      the alert evaluator alone (one is active across instances)
  promptscope migrate up | down [N] | status | sql  apply, revert the last N (default 1), list, or print the DDL
  promptscope keys create --name NAME --scopes admin | prompts:read | prompts:write | prompts:promote |
                                             telemetry:read | telemetry:write (comma-separated)
  promptscope keys list [--all] [--json]
  promptscope keys revoke ID
  promptscope report [--only NAMES] [--window W] [--template NAME] [--test-runs exclude|include|only]
                     [--json | --csv [--out DIR]] [--url URL]
                                             the specification's monitoring reports, through the API
                                             (key: PROMPTSCOPE_API_KEY, else the first-start admin key)
${ALERTS_USAGE}
  promptscope prices lookup MODEL [--provider NAME] [--at TIME] [--json]
  promptscope prices list [--provider NAME] [--search TEXT] [--json]
                                             what a model costs, and which catalog says so
  promptscope rollout start TEMPLATE VERSION [--label L] [--step 10:5m …] [--guard error_rate:+0.02 …]
  promptscope rollout status [ID] | pause ID | resume ID | abort ID
                                             guarded rollouts of a template version (admin key to change)
  promptscope templates pull DIR | diff DIR | push DIR [--dry-run]
                                             prompts as code: versions and labels as files (prompts:write key)
  promptscope reprice --from TIME --to TIME [--model M] [--provider P] [--dry-run] [--json] [--url URL]
                                             re-price stored calls with the current catalog (admin key)
  promptscope gemini-server [--port N]      a local Gemini / Vertex AI wire-format server for demos and tests
  promptscope help [COMMAND]  ·  promptscope COMMAND --help  ·  promptscope --version

Settings come from the environment; see the README's configuration table.`;

/** Runs one CLI command; returns the process exit code. */
export async function main(
  argv: string[],
  out = (s: string) => process.stdout.write(`${s}\n`),
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    out(`promptscope ${VERSION}`);
    return 0;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    out(helpFor(rest) ?? USAGE);
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const help = helpFor(argv);
    if (!help) return usageError(argv, `unknown command '${command}'`);
    out(help);
    return 0;
  }
  if (!Object.hasOwn(HELP, command)) {
    process.stderr.write(`promptscope: unknown command '${command}'\n\n${USAGE}\n`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  try {
    return await run(command, rest, config, log, out);
  } catch (error) {
    // node:util parseArgs refuses unknown options and missing values: a usage error, not a crash.
    if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      return usageError(argv, (error as Error).message);
    throw error;
  }
}

/** Each command's module is loaded when it runs: `--help`, `--version` and usage errors answer at once. */
async function run(
  command: string,
  rest: string[],
  config: Config,
  log: ReturnType<typeof createLogger>,
  out: (s: string) => void,
): Promise<number> {
  switch (command) {
    case 'start':
      return (await import('./start.ts')).start(config, log, out, { collector: true, scheduler: true });
    case 'api':
      return (await import('./start.ts')).start(config, log, out, { collector: false, scheduler: false });
    case 'scheduler':
      return (await import('./scheduler.ts')).scheduler(config, log, out);
    case 'migrate':
      return (await import('./migrate.ts')).migrate(config, log, rest, out);
    case 'collector':
      return (await import('./collector.ts')).collector(config, log, out);
    case 'keys':
      return (await import('./keys.ts')).keys(config, log, rest, out);
    case 'gemini-server':
      return (await import('./gemini-server.ts')).geminiServer(rest, out);
    case 'report':
      return (await import('./report.ts')).report(config, rest, out);
    case 'alerts':
      return (await import('./alerts.ts')).alerts(config, rest, out);
    case 'prices':
      return (await import('./prices.ts')).prices(config, rest, out);
    case 'reprice':
      return (await import('./reprice.ts')).reprice(config, rest, out);
    case 'rollout':
      return (await import('./rollout.ts')).rollout(config, rest, out);
    case 'templates':
      return (await import('./templates.ts')).templates(config, rest, out);
    default:
      return usageError([command], `unknown command '${command}'`);
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    // Exit once stdout has drained: a pipe (`prices list | grep`) is written asynchronously.
    (code) => process.stdout.write('', () => process.exit(code)),
    (error: Error) => {
      process.stderr.write(`promptscope: ${error.message}\n`);
      process.exit(1);
    },
  );
}
