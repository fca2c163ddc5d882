import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { type ApiAnswer, apiClient, refusal } from './api-access.ts';
import { usageError } from './usage.ts';

interface RolloutAnswer {
  id: string;
  template: string;
  label: string;
  control: string;
  candidate: string;
  state: string;
  step: number;
  steps: { weight: number; hold: string }[];
  candidate_weight: number;
  reason: string;
  verdict:
    | { figure: string; outcome: string; candidate: number | null; control: number | null; limit: string }[]
    | null;
  created_by: string;
  updated_at: string;
}

/** A rollout as a few lines: where it stands, and what its guards last said. */
export function describeRollout(r: RolloutAnswer): string {
  const lines = [
    `rollout ${r.id}: ${r.template} (${r.label}) ${r.control} → ${r.candidate}: ${r.state.replace('_', ' ')}` +
      (r.state === 'running' || r.state === 'paused'
        ? `, step ${r.step} of ${r.steps.length} (${r.candidate_weight}% on ${r.candidate})`
        : ''),
  ];
  if (r.reason) lines.push(`  ${r.reason}`);
  for (const g of r.verdict ?? [])
    lines.push(
      `  ${g.figure.padEnd(14)} ${g.outcome.replaceAll('_', ' ').padEnd(16)} ${g.candidate} vs ${g.control} (limit ${g.limit})`,
    );
  return lines.join('\n');
}

/**
 * `promptscope rollout start|status|pause|resume|abort`, through the API (an admin key for changes; status reads
 * with any key that may read templates).
 */
export async function rollout(config: Config, argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      label: { type: 'string' },
      step: { type: 'string', multiple: true },
      guard: { type: 'string', multiple: true },
      window: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  const client = await apiClient(config, values.url, 'rollout', 'a key');
  if (!client) return 2;
  const call = client.call;
  const show = (answer: ApiAnswer, ok: number) => {
    if (answer.status !== ok) {
      process.stderr.write(`rollout: ${refusal(answer)}\n`);
      return answer.status === 422 ? 2 : 1;
    }
    out(
      values.json
        ? JSON.stringify(answer.body, null, 2)
        : describeRollout(answer.body as unknown as RolloutAnswer),
    );
    return 0;
  };
  try {
    if (sub === 'start') {
      const [template, candidate, ...extra] = positionals;
      if (!template || !candidate || extra.length)
        return usageError(['rollout', 'start'], 'name the template and the candidate version');
      const steps = values.step?.map((s) => {
        const [weight, hold] = s.split(':');
        return { weight: Number(weight), hold: hold ?? '5m' };
      });
      const guards = values.guard?.map((g) => {
        // error_rate:+0.02, p95_ms:x1.5, cost_per_call:x1.2:min=50
        const [figure, limit = '', ...opts] = g.split(':');
        const guard: Record<string, unknown> = { figure };
        if (limit.startsWith('+')) guard.max_increase = Number(limit.slice(1));
        else if (limit.startsWith('x')) guard.max_ratio = Number(limit.slice(1));
        for (const o of opts) if (o.startsWith('min=')) guard.min_calls = Number(o.slice(4));
        return guard;
      });
      return show(
        await call('POST', '/api/v1/admin/rollouts', {
          template,
          candidate,
          ...(values.label ? { label: values.label } : {}),
          ...(steps ? { steps } : {}),
          ...(guards ? { guards } : {}),
          ...(values.window ? { window: values.window } : {}),
          ...(values.reason ? { reason: values.reason } : {}),
        }),
        201,
      );
    }
    if (sub === 'status') {
      const [id, ...extra] = positionals;
      if (extra.length) return usageError(['rollout', 'status'], `unexpected argument '${extra[0]}'`);
      if (id) return show(await call('GET', `/api/v1/rollouts/${encodeURIComponent(id)}`), 200);
      const list = await call('GET', '/api/v1/rollouts?limit=20');
      if (list.status !== 200) return show(list, 200);
      const rollouts = list.body.rollouts as RolloutAnswer[];
      if (values.json) out(JSON.stringify(rollouts, null, 2));
      else out(rollouts.length ? rollouts.map(describeRollout).join('\n') : 'no rollouts');
      return 0;
    }
    if (sub === 'pause' || sub === 'resume' || sub === 'abort') {
      const [id, ...extra] = positionals;
      if (!id || extra.length) return usageError(['rollout', sub], 'name the rollout (see rollout status)');
      return show(
        await call('POST', `/api/v1/admin/rollouts/${encodeURIComponent(id)}/${sub}`, {
          reason: values.reason ?? '',
        }),
        200,
      );
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  return usageError(['rollout'], sub ? `unknown subcommand '${sub}'` : 'name a subcommand');
}
