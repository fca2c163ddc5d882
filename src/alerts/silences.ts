import { recordAudit } from '../audit.ts';
import { LAST_INSTANT_MS } from '../instants.ts';
import { parseDuration } from '../platform/duration.ts';
import type { Queryable, Sql } from '../store/postgres.ts';
import { formatMatcher, type Labels, type Matcher, matches, matchesAll, parseMatcher } from './labels.ts';

/** Silences: label matchers and a time range; a silenced alert still evaluates and shows, but nobody is notified. */

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: Date;
  endsAt: Date;
  comment: string;
  createdBy: string;
  createdAt: Date;
  expiredAt: Date | null;
  /** active, pending (starts later) or expired. */
  status: 'active' | 'pending' | 'expired';
}

interface SilenceRow {
  id: string;
  matchers: Matcher[];
  starts_at: Date;
  ends_at: Date;
  comment: string;
  created_by: string;
  created_at: Date;
  expired_at: Date | null;
}

function toSilence(r: SilenceRow, now: number): Silence {
  const end = Math.min(r.ends_at.getTime(), r.expired_at?.getTime() ?? Number.POSITIVE_INFINITY);
  return {
    id: r.id,
    matchers: r.matchers,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiredAt: r.expired_at,
    status: end <= now ? 'expired' : r.starts_at.getTime() > now ? 'pending' : 'active',
  };
}

/** Creates a silence and records who did, in one transaction. */
export async function createSilence(
  sql: Sql,
  s: { matchers: Matcher[]; startsAt: Date; endsAt: Date; comment: string; createdBy: string },
): Promise<Silence> {
  return sql.begin(async (tx) => {
    const [row] = await tx<
      SilenceRow[]
    >`insert into alert_silences (matchers, starts_at, ends_at, comment, created_by)
      values (${tx.json(s.matchers as never)}, ${s.startsAt}, ${s.endsAt}, ${s.comment}, ${s.createdBy}) returning *`;
    const created = toSilence(row!, Date.now());
    await recordAudit(tx, {
      actor: s.createdBy,
      action: 'silence.create',
      resourceType: 'silence',
      resourceId: created.id,
      details: {
        matchers: s.matchers.map(formatMatcher),
        ends_at: s.endsAt.toISOString(),
        comment: s.comment,
      },
    });
    return created;
  });
}

export async function listSilences(sql: Queryable, now = Date.now()): Promise<Silence[]> {
  const rows = await sql<SilenceRow[]>`select * from alert_silences order by created_at desc limit 1000`;
  return rows.map((r) => toSilence(r, now));
}

export async function getSilence(sql: Queryable, id: string): Promise<Silence | undefined> {
  const rows = await sql<SilenceRow[]>`select * from alert_silences where id::text = ${id}`;
  return rows[0] ? toSilence(rows[0], Date.now()) : undefined;
}

/** Ends a silence now and records who did; undefined when there is none with this id. */
export async function expireSilence(sql: Sql, id: string, actor: string): Promise<Silence | undefined> {
  return sql.begin(async (tx) => {
    const rows = await tx<SilenceRow[]>`update alert_silences set expired_at = coalesce(expired_at, now())
      where id::text = ${id} returning *`;
    if (!rows[0]) return undefined;
    await recordAudit(tx, { actor, action: 'silence.expire', resourceType: 'silence', resourceId: id });
    return toSilence(rows[0], Date.now());
  });
}

/** The matcher sets of the silences active at `now`. */
export async function activeSilences(sql: Queryable, now: number): Promise<Matcher[][]> {
  const at = new Date(now);
  const rows = await sql<{ matchers: Matcher[] }[]>`select matchers from alert_silences
    where starts_at <= ${at} and ends_at > ${at} and (expired_at is null or expired_at > ${at})`;
  return rows.map((r) => r.matchers);
}

export function isSilenced(labels: Labels, silences: Matcher[][]): boolean {
  return silences.some((m) => matchesAll(labels, m));
}

export function describeSilence(s: Silence): string {
  return `{${s.matchers.map(formatMatcher).join(', ')}}`;
}

/** Matchers and time range of a silence request, or each problem naming its field. */
export function parseSilenceRequest(
  body: { matchers: string[]; starts_at?: number; ends_at?: number; duration?: string },
  now: number,
):
  | { matchers: Matcher[]; startsAt: Date; endsAt: Date }
  | { problems: { field: string; message: string }[] } {
  const fields: { field: string; message: string }[] = [];
  const matchers: Matcher[] = [];
  if (body.matchers.length === 0)
    fields.push({ field: 'matchers', message: 'give at least one matcher, e.g. template=checkout' });
  body.matchers.forEach((text, i) => {
    const m = parseMatcher(text);
    if ('error' in m) fields.push({ field: `matchers.${i}`, message: m.error });
    else matchers.push(m);
  });
  // As Alertmanager: a silence whose every matcher also matches an absent label would mute everything.
  if (matchers.length && matchers.every((m) => matches({}, m)))
    fields.push({
      field: 'matchers',
      message: 'at least one matcher must not match the empty string, or it silences every alert',
    });
  const startsAt = body.starts_at ?? now;
  let endsAt = body.ends_at;
  if (body.duration !== undefined) {
    const ms = parseDuration(body.duration);
    if (body.ends_at !== undefined)
      fields.push({ field: 'duration', message: 'give ends_at or duration, not both' });
    else if (!ms)
      fields.push({ field: 'duration', message: `'${body.duration}' is not a duration like 30m, 2h or 1d` });
    else if (startsAt + ms > LAST_INSTANT_MS)
      fields.push({
        field: 'duration',
        message: `'${body.duration}' would end the silence after 2262-04-11, the last time promptscope stores`,
      });
    else endsAt = startsAt + ms;
  }
  // (A duration that gave no end has its own problem above.)
  if (endsAt === undefined && body.duration === undefined)
    fields.push({ field: 'ends_at', message: 'give ends_at or duration' });
  else if (endsAt !== undefined && (endsAt <= startsAt || endsAt <= now))
    fields.push({ field: 'ends_at', message: 'must be later than starts_at and now' });
  if (fields.length) return { problems: fields };
  return { matchers, startsAt: new Date(startsAt), endsAt: new Date(endsAt!) };
}

/** A silence as the API and `alerts silence list --json` show it. */
export const silenceJson = (s: Silence) => ({
  id: s.id,
  matchers: s.matchers.map(formatMatcher),
  starts_at: s.startsAt.toISOString(),
  ends_at: (s.expiredAt && s.expiredAt < s.endsAt ? s.expiredAt : s.endsAt).toISOString(),
  status: s.status,
  comment: s.comment,
  created_by: s.createdBy,
  created_at: s.createdAt.toISOString(),
});
