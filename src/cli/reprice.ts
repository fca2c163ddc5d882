import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { apiAccess } from './api-access.ts';
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
  const { base, key } = await apiAccess(config, values.url);
  if (!key) {
    process.stderr.write(
      `reprice works through the API and needs an admin key: set PROMPTSCOPE_API_KEY (no ${config.bootstrapKeyFile} either)\n`,
    );
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/admin/reprice`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        from: values.from,
        to: values.to,
        ...(values.model ? { model: values.model } : {}),
        ...(values.provider ? { provider: values.provider } : {}),
        dry_run: values['dry-run'],
      }),
    });
  } catch (error) {
    process.stderr.write(
      `cannot reach the promptscope API at ${base} (${(error as Error).message}): is it running? (--url)\n`,
    );
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown> & {
    error?: { message?: string; details?: { fields?: { field: string; message: string }[] } | null };
  };
  if (!res.ok) {
    const details = (body.error?.details?.fields ?? []).map((d) => `\n  ${d.field}: ${d.message}`).join('');
    process.stderr.write(`reprice: ${res.status} ${body.error?.message ?? res.statusText}${details}\n`);
    return res.status === 422 || res.status === 400 ? 2 : 1;
  }
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
