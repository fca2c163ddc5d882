import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkRuleQueries, openScratchClickHouse } from '../alerts/check.ts';
import { runRuleTestFiles } from '../alerts/rule-tests.ts';
import { formatProblem, loadRuleFiles, RuleFileError } from '../alerts/rules.ts';
import type { Config } from '../config.ts';
import { silences } from './silences.ts';

export const ALERTS_USAGE = `  promptscope alerts check [FILE|DIR ...]    validate rule files (default: the configured rules folder): schema,
                                             each query against the empty tables, templates
  promptscope alerts test FILE ...          run rule unit tests (like promtool test rules) [--run REGEX]
  promptscope alerts silence add --matcher NAME=VALUE ... (--for 2h | --until TIME) [--comment TEXT]
  promptscope alerts silence list | expire ID`;

/** `promptscope alerts …`: check and test rule files, manage silences. */
export async function alerts(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'check') return check(config, rest, out);
  if (action === 'test') return test(config, rest, out);
  if (action === 'silence') return silences(config, rest, out);
  process.stderr.write(`alerts takes check, test or silence\n\n${ALERTS_USAGE}\n`);
  return 2;
}

async function check(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const paths = args.length ? args : [config.alerts.rulesPath];
  let groups: Awaited<ReturnType<typeof loadRuleFiles>>;
  try {
    groups = await loadRuleFiles(paths);
  } catch (error) {
    if (!(error instanceof RuleFileError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const store = await openScratchClickHouse(config.clickhouseUrl);
  try {
    const problems = await checkRuleQueries(groups, store);
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    if (problems.length) return 1;
  } finally {
    await store.close();
  }
  const rules = groups.reduce((n, g) => n + g.rules.length, 0);
  out(`${rules} rules in ${groups.length} groups: OK`);
  return 0;
}

async function test(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { run: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write('alerts test needs test files, e.g. alerts/tests/*.yaml\n');
    return 2;
  }
  const files: string[] = [];
  for (const p of positionals) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (!stat?.isDirectory()) {
      files.push(p);
      continue;
    }
    for (const f of (await fs.readdir(p)).sort()) if (/\.ya?ml$/.test(f)) files.push(path.join(p, f));
  }
  const store = await openScratchClickHouse(config.clickhouseUrl);
  let failed = 0;
  try {
    const results = await runRuleTestFiles(
      files,
      store.client,
      values.run ? new RegExp(values.run) : undefined,
    );
    for (const r of results) {
      if (r.failures.length === 0) out(`  ok    ${r.file}: ${r.name}`);
      else {
        failed++;
        out(`  FAIL  ${r.file}: ${r.name}\n${r.failures.map((f) => `    ${f}`).join('\n')}`);
      }
    }
    out(`${results.length - failed} passed, ${failed} failed`);
    if (results.length === 0) {
      process.stderr.write('no rule tests ran: check the file names and --run\n');
      return 1;
    }
  } finally {
    await store.close();
  }
  return failed ? 1 : 0;
}
