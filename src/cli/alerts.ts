import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkRuleQueries, openScratchClickHouse } from '../alerts/check.ts';
import { runRuleTestFiles } from '../alerts/rule-tests.ts';
import {
  formatProblem,
  loadRuleFiles,
  RuleFileError,
  type RuleGroup,
  type RuleProblem,
} from '../alerts/rules.ts';
import type { Config } from '../config.ts';
import { silences } from './silences.ts';
import { usageError } from './usage.ts';

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
  return usageError(['alerts'], 'alerts takes check, test or silence');
}

async function check(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const paths = positionals.length ? positionals : [config.alerts.rulesPath];
  const report = (problems: RuleProblem[], groups: RuleGroup[]) => {
    const rules = groups.reduce((n, g) => n + g.rules.length, 0);
    if (values.json)
      out(JSON.stringify({ ok: problems.length === 0, rules, groups: groups.length, problems }, null, 2));
    else if (problems.length) for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    else out(`${rules} rules in ${groups.length} groups: OK`);
    return problems.length ? 1 : 0;
  };
  let groups: RuleGroup[];
  try {
    groups = await loadRuleFiles(paths);
  } catch (error) {
    if (!(error instanceof RuleFileError)) throw error;
    return report(error.problems, []);
  }
  const store = await openScratchClickHouse(config.clickhouseUrl);
  try {
    return report(await checkRuleQueries(groups, store), groups);
  } finally {
    await store.close();
  }
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
