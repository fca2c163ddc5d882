import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { parseNotificationConfig } from '../alerts/notifications/config.ts';
import { parseRuleFile } from '../alerts/rules.ts';
import { USAGE_FIGURE_NAMES } from '../analytics/figures.ts';
import { HELP, helpFor } from '../cli/usage.ts';

/**
 * Names from strangers are looked up in tables (figures, help texts, hints): `constructor`, `__proto__`,
 * `toString` … exist on every object, so a plain lookup finds a function where the table has nothing (and a figure's
 * SQL became that function's source text). Every such lookup is an own-property check.
 */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
const names = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/),
);

describe('names from input are looked up as own properties only', () => {
  let api: TestApi;
  beforeAll(async () => {
    await migrateClickHouse((await testClickHouse()).client);
    api = await createTestApi();
  });
  afterAll(() => api.close());

  it.each(PROTOTYPE_NAMES)('GET /api/v1/analytics/usage?figures=%s is a 422 naming figures', async (name) => {
    const res = await api.call('GET', `/api/v1/analytics/usage?figures=${encodeURIComponent(name)}`, {
      key: api.keys.telemetry,
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.error.details)).toContain('figures');
  });

  it('property: a figure name is known exactly when it is one of the figures (rule files and the API agree)', async () => {
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        const known = (USAGE_FIGURE_NAMES as string[]).includes(name);
        const res = await api.call('GET', `/api/v1/analytics/usage?figures=${encodeURIComponent(name)}`, {
          key: api.keys.telemetry,
        });
        expect(res.status).toBe(known ? 200 : 422);
        const rule = parseRuleFile(
          'r.yaml',
          `groups:\n  - name: g\n    rules:\n      - alert: A\n        figure: { name: ${JSON.stringify(name)}, window: 5m }\n        condition: '> 1'\n`,
        );
        if (known) expect('groups' in rule).toBe(true);
        else expect('problems' in rule && rule.problems.map((p) => p.field)).toEqual(['figure.name']);
      }),
      { numRuns: 150 },
    );
  });

  it('property: the CLI has help for its commands only, and the notification file names an unknown key as such', () => {
    fc.assert(
      fc.property(names, (name) => {
        const help = helpFor([name, '--help']);
        expect(help === undefined || Object.hasOwn(HELP, name)).toBe(true);
        if (help !== undefined) expect(typeof help).toBe('string');
        let message = '';
        try {
          parseNotificationConfig(
            'n.yaml',
            `route: { receiver: r }\nreceivers: [{ name: r }]\n${JSON.stringify(name)}: 1\n`,
            {},
          );
        } catch (error) {
          message = (error as Error).message;
        }
        const known = [
          'route',
          'receivers',
          'inhibit_rules',
          'time_intervals',
          'mute_time_intervals',
          'alertmanagers',
        ];
        if (!known.includes(name)) {
          expect(message).toContain(`n.yaml: ${name}: unknown key`);
          expect(message).not.toContain('function');
          expect(message).not.toContain('[native code]');
        }
      }),
      { numRuns: 300 },
    );
  });
});
