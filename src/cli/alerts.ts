import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkRuleQueries, openScratchClickHouse } from '../alerts/check.ts';
import { loadNotificationConfig, NotificationConfigError } from '../alerts/notifications/config.ts';
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
  // Rule files, and notification files (a YAML file with a route): the configured ones when none are named.
  const named = await Promise.all(
    positionals.map(async (p) => ({ p, notifications: await isNotificationFile(p) })),
  );
  const rulePaths = positionals.length
    ? named.filter((n) => !n.notifications).map((n) => n.p)
    : [config.alerts.rulesPath];
  const notificationFiles = positionals.length
    ? named.filter((n) => n.notifications).map((n) => n.p)
    : [config.alerts.notificationsFile];
  const problems: RuleProblem[] = [];
  for (const file of notificationFiles) {
    try {
      await loadNotificationConfig(file, process.env);
    } catch (error) {
      if (!(error instanceof NotificationConfigError)) throw error;
      for (const p of error.problems) {
        const at = p.indexOf(': ');
        problems.push({ file, where: 'notifications', field: p.slice(0, at), message: p.slice(at + 2) });
      }
    }
  }
  let groups: RuleGroup[] = [];
  if (rulePaths.length) {
    try {
      groups = await loadRuleFiles(rulePaths);
    } catch (error) {
      if (!(error instanceof RuleFileError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (groups.length && !problems.length) {
    const store = await openScratchClickHouse(config.clickhouseUrl);
    try {
      problems.push(...(await checkRuleQueries(groups, store)));
    } finally {
      await store.close();
    }
  }
  const rules = groups.reduce((n, g) => n + g.rules.length, 0);
  if (values.json)
    out(
      JSON.stringify(
        {
          ok: problems.length === 0,
          rules,
          groups: groups.length,
          notifications: notificationFiles.length,
          problems,
        },
        null,
        2,
      ),
    );
  else if (problems.length) for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
  else
    out(
      `${rules} rules in ${groups.length} groups${notificationFiles.length ? `, ${notificationFiles.length} notification file${notificationFiles.length > 1 ? 's' : ''}` : ''}: OK`,
    );
  return problems.length ? 1 : 0;
}

/** A YAML file whose top level has `route` or `receivers` is a notification file, not a rule file. */
async function isNotificationFile(p: string): Promise<boolean> {
  const stat = await fs.stat(p).catch(() => undefined);
  if (!stat?.isFile()) return false;
  const text = await fs.readFile(p, 'utf8');
  return /^(route|receivers):/m.test(text);
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
