import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { SHIPPED_ALERTS } from '../../config.ts';
import { formatMatcher, type Matcher, matchesAll, parseMatchers } from '../labels.ts';
import { matchRoutes } from '../notifications/routing.ts';
import { type NotificationConfig, parseNotificationConfig } from './config.ts';
import { notificationJsonSchema } from './schema.ts';
import { intervalActive } from './time-intervals.ts';

const RECEIVERS = `receivers:
  - name: on-call
  - name: team
`;

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseNotificationConfig('n.yaml', text, env);
const problems = (text: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    parse(text, env);
    return [];
  } catch (error) {
    return (error as Error).message.split('\n');
  }
};

describe('the notification file is read strictly, in Alertmanager’s grammar', () => {
  it.each([
    ['global:\n  resolve_timeout: 5m\n', 'n.yaml: global: unknown key (promptscope has no global settings'],
    [
      "templates: ['/etc/am/*.tmpl']\n",
      'n.yaml: templates: unknown key (notification templates are not supported',
    ],
    ['route:\n  receiver: on-call\n  group_wiat: 30s\n', 'n.yaml: route.group_wiat: unknown key'],
    [
      'route:\n  receiver: on-call\n  routes:\n    - receiver: team\n      matcher: [a="b"]\n',
      'n.yaml: route.routes[0].matcher: unknown key',
    ],
    [
      'route: { receiver: on-call }\nreceivers:\n  - name: x\n    alertmanager_configs: [{ url_env: AM }]\n',
      'n.yaml: receivers[0].alertmanager_configs: unknown key (Alertmanagers are not receivers: list them under the top-level alertmanagers',
    ],
    [
      'route: { receiver: on-call }\nreceivers:\n  - name: x\n    email_configs: [{ to: a@b.c }]\n',
      'n.yaml: receivers[0].email_configs: unknown key',
    ],
    ['route:\n  receiver: on-call\n  group_wait: soon\n', 'n.yaml: route.group_wait: a duration like 30s'],
  ])('refuses %j, naming the file and the path', (text, message) => {
    const withReceivers = text.includes('receivers:')
      ? text
      : `${text.includes('route') ? '' : 'route: { receiver: on-call }\n'}${text}${RECEIVERS}`;
    expect(problems(withReceivers).join('\n')).toContain(message);
  });

  const routed = (matchers: string) => {
    const config = parse(
      `route:\n  receiver: on-call\n  routes:\n    - receiver: team\n      ${matchers}\n${RECEIVERS}`,
    );
    return (labels: Record<string, string>) => matchRoutes(config.route, labels)[0]!.receiver;
  };

  it.each([
    [`matchers: ['severity="warning"']`, { severity: 'warning' }, { severity: 'page' }],
    [
      `matchers: ['{severity="warning", template=~"search.*"}']`,
      { severity: 'warning', template: 'search-v2' },
      { severity: 'warning', template: 'checkout' },
    ],
    [
      `matchers: ['severity="warning",template!="checkout"']`,
      { severity: 'warning', template: 'x' },
      { severity: 'warning', template: 'checkout' },
    ],
    [`matchers: ['template!~"check.*"']`, { template: 'search' }, { template: 'checkout' }],
    [`matchers: ['summary="say \\"hi\\""']`, { summary: 'say "hi"' }, { summary: 'say hi' }],
    [`matchers: [severity=warning]`, { severity: 'warning' }, { severity: 'page' }],
    ['match: { severity: warning }', { severity: 'warning' }, { severity: 'page' }],
    ['match_re: { template: "search|checkout" }', { template: 'checkout' }, { template: 'checkout-v2' }],
    [
      `match: { severity: warning }\n      match_re: { template: "s.*" }`,
      { severity: 'warning', template: 'search' },
      { severity: 'page', template: 'search' },
    ],
  ])('a child route with %s takes %j and not %j', (matchers, taken, left) => {
    const route = routed(matchers);
    expect(route(taken)).toBe('team');
    expect(route(left)).toBe('on-call');
  });

  it.each([
    [
      `matchers: ['severity']`,
      "route.routes[0].matchers[0]: 'severity': after 'severity' comes one of =, !=, =~, !~",
    ],
    [`matchers: ['a="x" b="y"']`, "expected a comma after the matcher on 'a'"],
    [`matchers: ['a="open']`, "the value of 'a' has no closing quote"],
    [`matchers: ['{a="x"']`, 'a list opened with { must end with }'],
    [`matchers: ['a=~"("']`, 'route.routes[0].matchers[0]'],
    ['match_re: { a: "(" }', 'route.routes[0].match_re.a'],
  ])('refuses %s: %s', (matchers, message) => {
    expect(
      problems(
        `route:\n  receiver: on-call\n  routes:\n    - receiver: team\n      ${matchers}\n${RECEIVERS}`,
      ).join('\n'),
    ).toContain(message);
  });

  it('property: a matcher printed as Alertmanager prints it parses back to itself', () => {
    const matcher = fc.record({
      name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
      op: fc.constantFrom('=', '!=') as fc.Arbitrary<Matcher['op']>,
      value: fc.string({ maxLength: 12 }),
    });
    fc.assert(
      fc.property(fc.array(matcher, { minLength: 1, maxLength: 4 }), (list) => {
        expect(parseMatchers(list.map(formatMatcher).join(', '))).toEqual(list);
        expect(parseMatchers(`{${list.map(formatMatcher).join(',')},}`)).toEqual(list);
      }),
      { numRuns: 300 },
    );
  });

  it('reads inhibit rules in both spellings, and time intervals (also the older mute_time_intervals)', () => {
    const config: NotificationConfig = parse(`
route:
  receiver: on-call
  routes:
    - { receiver: team, mute_time_intervals: [weekend], active_time_intervals: [business] }
${RECEIVERS}
inhibit_rules:
  - { source_matchers: ['severity="page"'], target_matchers: ['severity="warning"'], equal: [template] }
  - { source_match: { severity: page }, target_match_re: { severity: "warn.*" } }
time_intervals:
  - name: business
    time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '09:00', end_time: '17:00' }] }]
mute_time_intervals:
  - name: weekend
    time_intervals: [{ weekdays: [saturday, sunday] }]
`);
    expect(config.inhibitRules).toEqual([
      {
        source: [{ name: 'severity', op: '=', value: 'page' }],
        target: [{ name: 'severity', op: '=', value: 'warning' }],
        equal: ['template'],
      },
      {
        source: [{ name: 'severity', op: '=', value: 'page' }],
        target: [{ name: 'severity', op: '=~', value: 'warn.*' }],
        equal: [],
      },
    ]);
    expect(matchesAll({ severity: 'warning' }, config.inhibitRules[1]!.target)).toBe(true);
    expect([...config.timeIntervals.keys()]).toEqual(['business', 'weekend']);
    expect(config.route.routes[0]).toMatchObject({
      muteTimeIntervals: ['weekend'],
      activeTimeIntervals: ['business'],
    });
  });

  it.each([
    ['2026-01-05T08:59:00Z', false], // Monday, before 09:00
    ['2026-01-05T09:00:00Z', true],
    ['2026-01-09T16:59:00Z', true], // Friday
    ['2026-01-09T17:00:00Z', false], // end is exclusive
    ['2026-01-10T12:00:00Z', false], // Saturday
  ])('a weekday 09:00–17:00 interval (UTC) is active at %s: %s', (at, active) => {
    const config = parse(`route: { receiver: on-call }\n${RECEIVERS}time_intervals:
  - name: business
    time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '09:00', end_time: '17:00' }] }]
`);
    expect(intervalActive(config.timeIntervals.get('business')!, Date.parse(at))).toBe(active);
  });

  it.each([
    ['2026-01-31T12:00:00Z', true], // the last day of January
    ['2026-02-28T12:00:00Z', true], // the last of February
    ['2026-02-27T12:00:00Z', false],
    ['2026-03-31T22:30:00Z', false], // 00:30 on 1 April in Berlin
  ])('the last day of the month in Europe/Berlin (days_of_month -1) includes %s: %s', (at, active) => {
    const config = parse(`route: { receiver: on-call }\n${RECEIVERS}time_intervals:
  - name: month-end
    time_intervals: [{ days_of_month: ['-1'], location: Europe/Berlin }]
`);
    expect(intervalActive(config.timeIntervals.get('month-end')!, Date.parse(at))).toBe(active);
  });

  it.each([
    ["times: [{ start_time: '9am', end_time: '17:00' }]", "times[0].start_time: '9am' is not a time of day"],
    ["weekdays: ['mon:fri']", "weekdays: 'mon:fri' is not a weekday name"],
    ['location: Mars/Olympus', "location: 'Mars/Olympus' is not an IANA time zone"],
    ["days_of_month: ['0']", "days_of_month: '0' is not a day of the month"],
  ])('refuses a time interval with %s', (period, message) => {
    expect(
      problems(
        `route: { receiver: on-call }\n${RECEIVERS}time_intervals:\n  - name: t\n    time_intervals: [{ ${period} }]\n`,
      ).join('\n'),
    ).toContain(message);
  });

  it('refuses a route that names an unknown time interval, and a muted root route', () => {
    expect(
      problems(
        `route:\n  receiver: on-call\n  routes: [{ receiver: team, mute_time_intervals: [lunch] }]\n${RECEIVERS}`,
      ),
    ).toContain("n.yaml: route.routes[0].mute_time_intervals: no time interval named 'lunch'");
  });

  it.each([
    ['plain-text-secret', false],
    ['whsec_c2hvcnQ=', false], // 5 bytes
    ['whsec_not base64!', false],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', true], // 24 bytes
  ])('a webhook signing secret %s is %s as Standard Webhooks define it', (secret, ok) => {
    const text = `route: { receiver: on-call }\nreceivers:\n  - name: on-call\n    webhook_configs: [{ url_env: HOOK, secret_env: HOOK_SECRET }]\n`;
    const found = problems(text, { HOOK: 'http://127.0.0.1:9/hook', HOOK_SECRET: secret });
    if (ok) expect(found).toEqual([]);
    else
      expect(found).toEqual([
        "n.yaml: receivers[0].webhook_configs[0].secret_env: HOOK_SECRET must hold a Standard Webhooks secret: 'whsec_' and the base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))",
      ]);
  });

  it('the shipped file loads, and its published JSON Schema is the one the code generates', () => {
    const text = fs.readFileSync(SHIPPED_ALERTS.notifications, 'utf8');
    expect(() => parse(text)).not.toThrow();
    const published = JSON.parse(
      fs.readFileSync(SHIPPED_ALERTS.notifications.replace(/\.yaml$/, '.schema.json'), 'utf8'),
    );
    expect(published).toEqual(notificationJsonSchema());
    expect(text).toContain('# yaml-language-server: $schema=./notifications.schema.json');
    // The schema itself refuses what the code refuses: an unknown key at the top and in a receiver.
    expect(published.additionalProperties).toBe(false);
    expect(published.properties.receivers.items.additionalProperties).toBe(false);
    expect(Object.keys(parseDocument(text).toJS())).toEqual(
      expect.arrayContaining(
        Object.keys(published.properties).filter(
          (k) => k !== 'time_intervals' && k !== 'mute_time_intervals',
        ),
      ),
    );
  });
});
