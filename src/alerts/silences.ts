import type { Queryable } from '../store/postgres.ts';
import { formatMatcher, type Labels, type Matcher, matchesAll } from './labels.ts';

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

export async function createSilence(
  sql: Queryable,
  s: { matchers: Matcher[]; startsAt: Date; endsAt: Date; comment: string; createdBy: string },
): Promise<Silence> {
  const [row] = await sql<
    SilenceRow[]
  >`insert into alert_silences (matchers, starts_at, ends_at, comment, created_by)
    values (${sql.json(s.matchers as never)}, ${s.startsAt}, ${s.endsAt}, ${s.comment}, ${s.createdBy}) returning *`;
  return toSilence(row!, Date.now());
}

export async function listSilences(sql: Queryable, now = Date.now()): Promise<Silence[]> {
  const rows = await sql<SilenceRow[]>`select * from alert_silences order by created_at desc limit 1000`;
  return rows.map((r) => toSilence(r, now));
}

export async function getSilence(sql: Queryable, id: string): Promise<Silence | undefined> {
  const rows = await sql<SilenceRow[]>`select * from alert_silences where id::text = ${id}`;
  return rows[0] ? toSilence(rows[0], Date.now()) : undefined;
}

/** Ends a silence now; undefined when there is none with this id. */
export async function expireSilence(sql: Queryable, id: string): Promise<Silence | undefined> {
  const rows = await sql<SilenceRow[]>`update alert_silences set expired_at = coalesce(expired_at, now())
    where id::text = ${id} returning *`;
  return rows[0] ? toSilence(rows[0], Date.now()) : undefined;
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
