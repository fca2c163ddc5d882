import { recordAudit } from '../audit.ts';
import { DomainError, notFound } from '../domain-error.ts';
import { formatDuration, parseDuration } from '../platform/duration.ts';
import { type LabelSplit, recordedLabelMove } from '../prompts/store/labels.ts';
import { requireTemplate } from '../prompts/store/templates.ts';
import type { Queryable, Sql } from '../store/postgres.ts';
import type { Guard, GuardResult } from './guards.ts';
import { guardsOf, type RolloutRequest, stepsOf } from './spec.ts';
import { MANUAL, type RolloutState, type Step } from './state-machine.ts';

/** A rollout as stored, with its template, label and versions by name. */
export interface Rollout {
  id: string;
  templateId: string;
  template: string;
  label: string;
  controlVersionId: string;
  control: string;
  candidateVersionId: string;
  candidate: string;
  steps: Step[];
  guards: Guard[];
  windowMs: number;
  state: RolloutState;
  step: number;
  stepStartedAt: number;
  reason: string;
  verdict: GuardResult[] | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
}

interface Row {
  id: string;
  template_id: string;
  template: string;
  label: string;
  control_version_id: string;
  control: string;
  candidate_version_id: string;
  candidate: string;
  steps: Step[];
  guards: Guard[];
  window_ms: number;
  state: RolloutState;
  step: number;
  step_started_at: Date;
  reason: string;
  verdict: GuardResult[] | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
}

const SELECT = (sql: Queryable) => sql`
  select r.*, t.name as template, c.version as control, k.version as candidate
  from rollouts r
  join templates t on t.id = r.template_id
  join template_versions c on c.id = r.control_version_id
  join template_versions k on k.id = r.candidate_version_id`;

function toRollout(r: Row): Rollout {
  return {
    id: String(r.id),
    templateId: r.template_id,
    template: r.template,
    label: r.label,
    controlVersionId: r.control_version_id,
    control: r.control,
    candidateVersionId: r.candidate_version_id,
    candidate: r.candidate,
    steps: r.steps,
    guards: r.guards,
    windowMs: r.window_ms,
    state: r.state,
    step: r.step,
    stepStartedAt: r.step_started_at.getTime(),
    reason: r.reason,
    verdict: r.verdict,
    createdBy: r.created_by,
    createdAt: r.created_at.getTime(),
    updatedAt: r.updated_at.getTime(),
    endedAt: r.ended_at ? r.ended_at.getTime() : null,
  };
}

/** The rollout as the API shows it. */
export function rolloutJson(r: Rollout) {
  const step = r.steps[r.step];
  const weight =
    r.state === 'promoted' ? 100 : r.state === 'running' || r.state === 'paused' ? (step?.weight ?? 100) : 0;
  return {
    id: r.id,
    template: r.template,
    label: r.label,
    control: r.control,
    candidate: r.candidate,
    state: r.state,
    step: r.step + 1,
    steps: r.steps.map((s) => ({ weight: s.weight, hold: formatDuration(s.holdMs) })),
    candidate_weight: weight,
    step_started_at: new Date(r.stepStartedAt).toISOString(),
    guards: r.guards.map((g) => ({
      figure: g.figure,
      max_increase: g.maxIncrease ?? null,
      max_ratio: g.maxRatio ?? null,
      min_calls: g.minCalls,
      significance: g.significance,
    })),
    window: formatDuration(r.windowMs),
    reason: r.reason,
    verdict: r.verdict,
    created_by: r.createdBy,
    created_at: new Date(r.createdAt).toISOString(),
    updated_at: new Date(r.updatedAt).toISOString(),
    ended_at: r.endedAt === null ? null : new Date(r.endedAt).toISOString(),
  };
}

export async function getRollout(sql: Queryable, id: string): Promise<Rollout> {
  if (!/^\d{1,18}$/.test(id)) throw notFound(`rollout '${id.slice(0, 40)}'`);
  const [row] = await sql<Row[]>`${SELECT(sql)} where r.id = ${id}`;
  if (!row) throw notFound(`rollout '${id}'`);
  return toRollout(row);
}

export async function listRollouts(
  sql: Queryable,
  filter: { template?: string; state?: RolloutState; limit: number },
): Promise<Rollout[]> {
  const rows = await sql<Row[]>`${SELECT(sql)}
    where (${filter.template ?? null}::text is null or t.name = ${filter.template ?? null})
      and (${filter.state ?? null}::text is null or r.state = ${filter.state ?? null})
    order by r.id desc limit ${filter.limit}`;
  return rows.map(toRollout);
}

/** The rollouts the job advances. */
export async function runningRollouts(sql: Queryable): Promise<Rollout[]> {
  const rows = await sql<Row[]>`${SELECT(sql)} where r.state = 'running' order by r.id`;
  return rows.map(toRollout);
}

/** The split a step puts on the label: the control first (the label's plain target), the candidate's share second. */
export function stepSplit(
  r: Pick<Rollout, 'controlVersionId' | 'control' | 'candidateVersionId' | 'candidate'>,
  weight: number,
): LabelSplit {
  return [
    { version_id: r.controlVersionId, version: r.control, weight: 100 - weight },
    { version_id: r.candidateVersionId, version: r.candidate, weight },
  ];
}

export const actorOf = (id: string) => `rollout:${id}`;

/** Moves the label for a rollout (actor `rollout:<id>`), recorded as every label move is. */
async function moveFor(
  tx: Queryable,
  r: Pick<Rollout, 'id' | 'templateId' | 'template' | 'label'>,
  target: { versionId: string; split?: LabelSplit },
  reason: string,
  details: Record<string, unknown>,
) {
  await recordedLabelMove(
    tx,
    { id: r.templateId, name: r.template },
    r.label,
    target,
    actorOf(r.id),
    reason,
    details,
  );
}

/**
 * Starts a rollout: the label must point at one version (the control) and the candidate must be another version of
 * the template; the label moves to the first step's split at once.
 */
export async function startRollout(
  sql: Sql,
  req: RolloutRequest,
  actor: string,
  now = Date.now(),
): Promise<Rollout> {
  const id = await sql.begin(async (tx) => {
    const template = await requireTemplate(tx, req.template);
    if (template.archived_at)
      throw new DomainError('conflict', `template '${req.template}' is archived; unarchive it first`);
    const [label] = await tx<{ version_id: string; version: string; split: LabelSplit | null }[]>`
      select l.version_id, v.version, l.split from template_labels l join template_versions v on v.id = l.version_id
      where l.template_id = ${template.id} and l.label = ${req.label} for update of l`;
    if (!label)
      throw new DomainError(
        'conflict',
        `label '${req.label}' of '${req.template}' serves no version: point it at the control first`,
      );
    if (label.split)
      throw new DomainError(
        'conflict',
        `label '${req.label}' of '${req.template}' is split between versions: a rollout starts from one (move the label to it first)`,
      );
    const [candidate] = await tx<{ id: string }[]>`
      select id from template_versions where template_id = ${template.id} and version = ${req.candidate}`;
    if (!candidate) throw notFound(`version '${req.candidate}' of template '${req.template}'`);
    if (candidate.id === label.version_id)
      throw new DomainError(
        'conflict',
        `label '${req.label}' already serves ${req.candidate}: nothing to roll out`,
      );
    const steps = stepsOf(req);
    let row: { id: string } | undefined;
    try {
      [row] = await tx<{ id: string }[]>`insert into rollouts
        (template_id, label, control_version_id, candidate_version_id, steps, guards, window_ms, state, step,
         step_started_at, reason, created_by)
        values (${template.id}, ${req.label}, ${label.version_id}, ${candidate.id}, ${tx.json(steps as never)},
          ${tx.json(guardsOf(req) as never)}, ${parseDuration(req.window)!}, 'running', 0, ${new Date(now)},
          ${req.reason}, ${actor})
        returning id`;
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new DomainError(
          'conflict',
          `label '${req.label}' of '${req.template}' already has a rollout running or paused`,
        );
      throw error;
    }
    const id = String(row!.id);
    const r = {
      id,
      templateId: template.id,
      template: req.template,
      label: req.label,
      controlVersionId: label.version_id,
      control: label.version,
      candidateVersionId: candidate.id,
      candidate: req.candidate,
    };
    await recordAudit(tx, {
      actor,
      action: 'rollout.start',
      resourceType: 'template',
      resourceId: req.template,
      details: {
        rollout: id,
        label: req.label,
        control: label.version,
        candidate: req.candidate,
        steps: req.steps,
      },
    });
    await moveFor(
      tx,
      r,
      { versionId: label.version_id, split: stepSplit(r, steps[0]!.weight) },
      `rollout ${id}: step 1, ${steps[0]!.weight}% on ${req.candidate}`,
      {
        rollout: id,
      },
    );
    return id;
  });
  return getRollout(sql, id);
}

/** What the job decided, applied if the rollout is still running (a person may have paused it meanwhile). */
export async function applyDecision(
  sql: Sql,
  id: string,
  decision:
    | { kind: 'wait' | 'none' }
    | { kind: 'step'; step: number; weight: number }
    | { kind: 'promote' }
    | { kind: 'rollback'; summary: string },
  verdict: GuardResult[],
  now: number,
  onRollback?: (tx: Queryable, r: Rollout, summary: string) => Promise<void>,
): Promise<Rollout | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx<Row[]>`${SELECT(tx)} where r.id = ${id} for update of r`;
    if (row?.state !== 'running') return undefined;
    const r = toRollout(row);
    const at = new Date(now);
    if (decision.kind === 'step') {
      await moveFor(
        tx,
        r,
        { versionId: r.controlVersionId, split: stepSplit(r, decision.weight) },
        `rollout ${id}: step ${decision.step + 1}, ${decision.weight}% on ${r.candidate}`,
        { rollout: id, verdict },
      );
      await tx`update rollouts set step = ${decision.step}, step_started_at = ${at}, verdict = ${tx.json(verdict as never)},
        updated_at = ${at} where id = ${id}`;
    } else if (decision.kind === 'promote') {
      await moveFor(tx, r, { versionId: r.candidateVersionId }, `rollout ${id}: promoted ${r.candidate}`, {
        rollout: id,
        verdict,
      });
      await tx`update rollouts set state = 'promoted', step = ${r.steps.length}, verdict = ${tx.json(verdict as never)},
        reason = ${'every step held'}, updated_at = ${at}, ended_at = ${at} where id = ${id}`;
    } else if (decision.kind === 'rollback') {
      await moveFor(
        tx,
        r,
        { versionId: r.controlVersionId },
        `rollout ${id}: rolled back to ${r.control}: ${decision.summary}`,
        { rollout: id, verdict },
      );
      await tx`update rollouts set state = 'rolled_back', verdict = ${tx.json(verdict as never)},
        reason = ${decision.summary}, updated_at = ${at}, ended_at = ${at} where id = ${id}`;
      await recordAudit(tx, {
        actor: actorOf(id),
        action: 'rollout.rollback',
        resourceType: 'template',
        resourceId: r.template,
        details: { rollout: id, label: r.label, control: r.control, candidate: r.candidate, verdict },
      });
      await onRollback?.(tx, r, decision.summary);
    } else {
      await tx`update rollouts set verdict = ${tx.json(verdict as never)}, updated_at = ${at} where id = ${id}`;
    }
    const [after] = await tx<Row[]>`${SELECT(tx)} where r.id = ${id}`;
    return toRollout(after!);
  });
}

/** Pause, resume or abort by hand. Resuming puts the label back on the current step's split and restarts its hold. */
export async function manualAction(
  sql: Sql,
  id: string,
  action: 'pause' | 'resume' | 'abort',
  actor: string,
  reason: string,
  now = Date.now(),
): Promise<Rollout> {
  await sql.begin(async (tx) => {
    const [row] = await tx<Row[]>`${SELECT(tx)} where r.id = ${id} for update of r`;
    if (!row) throw notFound(`rollout '${id}'`);
    const r = toRollout(row);
    if (!MANUAL[action].includes(r.state))
      throw new DomainError('conflict', `rollout ${id} is ${r.state.replace('_', ' ')}: it cannot ${action}`);
    const at = new Date(now);
    const why = reason || `${action} by ${actor}`;
    if (action === 'pause')
      await tx`update rollouts set state = 'paused', reason = ${why}, updated_at = ${at} where id = ${id}`;
    if (action === 'resume') {
      const weight = r.steps[r.step]!.weight;
      await moveFor(
        tx,
        r,
        { versionId: r.controlVersionId, split: stepSplit(r, weight) },
        `rollout ${id}: resumed at step ${r.step + 1}, ${weight}% on ${r.candidate}`,
        { rollout: id },
      );
      await tx`update rollouts set state = 'running', reason = ${why}, step_started_at = ${at}, updated_at = ${at} where id = ${id}`;
    }
    if (action === 'abort') {
      await moveFor(
        tx,
        r,
        { versionId: r.controlVersionId },
        `rollout ${id}: aborted, back to ${r.control}`,
        { rollout: id },
      );
      await tx`update rollouts set state = 'aborted', reason = ${why}, updated_at = ${at}, ended_at = ${at} where id = ${id}`;
    }
    await recordAudit(tx, {
      actor,
      action: `rollout.${action}`,
      resourceType: 'template',
      resourceId: r.template,
      details: { rollout: id, label: r.label, reason: why },
    });
  });
  return getRollout(sql, id);
}
