import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { type ApiAnswer, apiClient, refusal } from './api-access.ts';
import { usageError } from './usage.ts';

/**
 * `promptscope reprice --from T --to T [--model M] [--provider P] [--dry-run] [--json] [--url URL]`: re-prices stored
 * calls with the server's current catalog, through the API (POST /api/v1/admin/reprice, an admin key).
 */
export async function reprice(config: Config, argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      model: { type: 'string' },
      provider: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  if (positionals.length) return usageError(['reprice'], `unexpected argument '${positionals[0]}'`);
  if (!values.from || !values.to)
    return usageError(['reprice'], 'name the calls to re-price: --from and --to');
  const client = await apiClient(config, values.url, 'reprice', 'an admin key');
  if (!client) return 2;
  let answer: ApiAnswer;
  try {
    answer = await client.call('POST', '/api/v1/admin/reprice', {
      from: values.from,
      to: values.to,
      ...(values.model ? { model: values.model } : {}),
      ...(values.provider ? { provider: values.provider } : {}),
      dry_run: values['dry-run'],
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  if (!answer.ok) {
    process.stderr.write(`reprice: ${refusal(answer)}\n`);
    return answer.status === 422 || answer.status === 400 ? 2 : 1;
  }
  const body = answer.body;
  if (values.json) {
    out(JSON.stringify(body, null, 2));
    return 0;
  }
  const transitions = Object.entries(body.transitions as Record<string, number>)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  out(
    [
      `${body.dry_run ? 'would re-price' : 're-priced'} calls from ${body.from} to ${body.to}`,
      `  examined  ${body.examined} calls a catalog prices or left unpriced`,
      `  changed   ${body.changed}${transitions ? ` (${transitions})` : ''}`,
      `  cost      ${body.cost_before} → ${body.cost_after} USD (the changed calls)`,
      ...((body.catalogs as string[]).length
        ? [`  catalogs  ${(body.catalogs as string[]).join(', ')}`]
        : []),
    ].join('\n'),
  );
  return 0;
}
