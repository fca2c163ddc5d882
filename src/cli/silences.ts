import { parseArgs } from 'node:util';
import {
  createSilence,
  describeSilence,
  expireSilence,
  listSilences,
  parseSilenceRequest,
  silenceJson,
} from '../alerts/silences.ts';
import type { Config } from '../config.ts';
import { createLogger } from '../platform/log.ts';
import { createPostgresMigrator } from '../store/migrate.ts';
import { openConfiguredPostgres } from './stores.ts';

/** The request fields a problem names, as the options that set them. */
const OPTION: Record<string, string> = { matchers: '--matcher', ends_at: '--until', duration: '--for' };

/** A field as the CLI names it (`matchers.0` → `--matcher 1`). */
function cliName(field: string): string {
  const [name, index] = field.split('.');
  const option = Object.hasOwn(OPTION, name!) ? OPTION[name!]! : field;
  return index === undefined ? option : `${option} ${Number(index) + 1}`;
}

/** A message in the CLI's words: the API's field names become the options that set them. */
function cliWords(message: string): string {
  return message.replace(/\b(ends_at|duration|matchers)\b/g, (f) => OPTION[f]!);
}

/** `promptscope alerts silence add | list | expire`: straight on Postgres, like `keys`. */
export async function silences(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      matcher: { type: 'string', multiple: true },
      for: { type: 'string' },
      until: { type: 'string' },
      comment: { type: 'string', default: '' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  let request: ReturnType<typeof parseSilenceRequest> | undefined;
  if (action === 'add') {
    const until = values.until === undefined ? undefined : Date.parse(values.until);
    if (values.until !== undefined && Number.isNaN(until)) {
      process.stderr.write(`--until: '${values.until}' is not an ISO 8601 time\n`);
      return 2;
    }
    request = parseSilenceRequest(
      { matchers: values.matcher ?? [], duration: values.for, ends_at: until },
      Date.now(),
    );
    if ('problems' in request) {
      for (const p of request.problems) process.stderr.write(`${cliName(p.field)}: ${cliWords(p.message)}\n`);
      return 2;
    }
  } else if (action === 'expire' && positionals.length !== 1) {
    process.stderr.write('alerts silence expire needs the silence id (see alerts silence list)\n');
    return 2;
  } else if (action !== 'list' && action !== 'expire' && action !== 'add') {
    process.stderr.write('alerts silence takes add, list or expire\n');
    return 2;
  }
  const pg = await openConfiguredPostgres(config, createLogger(config.logLevel));
  try {
    await (await createPostgresMigrator(pg.sql, createLogger('silent'))).up();
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    if (request && !('problems' in request)) {
      const r = request;
      const s = await createSilence(pg.sql, { ...r, comment: values.comment, createdBy: actor });
      out(`silence ${s.id} ${describeSilence(s)} until ${s.endsAt.toISOString()}`);
    } else if (action === 'list' && values.json) {
      out(JSON.stringify((await listSilences(pg.sql)).map(silenceJson), null, 2));
    } else if (action === 'list') {
      for (const s of await listSilences(pg.sql)) {
        out(
          `${s.id}  ${s.status.padEnd(8)} ${describeSilence(s).padEnd(40)} ${s.startsAt.toISOString()} → ${(s.expiredAt ?? s.endsAt).toISOString()}  ${s.comment}`,
        );
      }
    } else {
      const id = positionals[0]!;
      const s = await expireSilence(pg.sql, id, actor);
      if (!s) {
        process.stderr.write(`no silence with id '${id}'\n`);
        return 1;
      }
      out(`expired silence ${id} ${describeSilence(s)}`);
    }
  } finally {
    await pg.close();
  }
  return 0;
}
