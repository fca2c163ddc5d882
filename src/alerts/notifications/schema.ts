import { z } from 'zod';

/**
 * The notification file's shape: Alertmanager's configuration, the parts promptscope implements, strictly (an unknown
 * key is an error naming it, never silently ignored), plus `alertmanagers` (Prometheus's `alerting.alertmanagers`).
 * Secrets and URLs are named as environment variables (`*_env`), never written in the file. The JSON Schema
 * published beside the shipped file (`alerts/notifications.schema.json`) is generated from this.
 */

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable')
  .describe('the name of the environment variable holding the value');
const duration = z
  .string()
  .regex(/^(?:\d+(?:ms|s|m|h|d|w))+$/, 'a duration like 30s, 5m or 1h30m')
  .describe('a duration: 30s, 5m, 4h, 1h30m');
const matcherList = z
  .array(z.string())
  .describe(
    'matchers as Alertmanager writes them: name="value", name!="value", name=~"regex", name!~"regex"',
  );
const labelMap = z.record(z.string(), z.string());

interface RouteShape {
  receiver?: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  matchers?: string[];
  match?: Record<string, string>;
  match_re?: Record<string, string>;
  continue?: boolean;
  mute_time_intervals?: string[];
  active_time_intervals?: string[];
  routes?: RouteShape[];
}

export const routeSchema: z.ZodType<RouteShape> = z.lazy(() =>
  z
    .strictObject({
      receiver: z.string().min(1).optional(),
      group_by: z.array(z.string()).optional().describe("label names, or ['...'] for every label"),
      group_wait: duration.optional(),
      group_interval: duration.optional(),
      repeat_interval: duration.optional(),
      matchers: matcherList.optional(),
      match: labelMap.optional().describe('older form: label = exact value'),
      match_re: labelMap.optional().describe('older form: label = regex'),
      continue: z.boolean().optional(),
      mute_time_intervals: z
        .array(z.string())
        .optional()
        .describe('names of time_intervals when nothing is sent'),
      active_time_intervals: z
        .array(z.string())
        .optional()
        .describe('names of time_intervals, the only times to send'),
      routes: z.array(routeSchema).optional(),
    })
    .describe('a node of the routing tree'),
);

const sendResolved = z.boolean().optional().describe('also notify when alerts resolve (default true)');

const receiverSchema = z.strictObject({
  name: z.string().min(1),
  webhook_configs: z
    .array(z.strictObject({ url_env: envName, secret_env: envName.optional(), send_resolved: sendResolved }))
    .optional()
    .describe(
      'Alertmanager webhook v4 body, signed per Standard Webhooks when secret_env names a whsec_ secret',
    ),
  slack_configs: z
    .array(z.strictObject({ url_env: envName, send_resolved: sendResolved }))
    .optional()
    .describe('Slack incoming webhook, Block Kit message'),
  pagerduty_configs: z
    .array(
      z.strictObject({ routing_key_env: envName, url_env: envName.optional(), send_resolved: sendResolved }),
    )
    .optional()
    .describe('PagerDuty Events API v2'),
});

const inhibitRuleSchema = z.strictObject({
  source_matchers: matcherList.optional(),
  target_matchers: matcherList.optional(),
  source_match: labelMap.optional(),
  source_match_re: labelMap.optional(),
  target_match: labelMap.optional(),
  target_match_re: labelMap.optional(),
  equal: z.array(z.string()).optional().describe('labels whose values source and target must share'),
});

const timeIntervalSchema = z.strictObject({
  name: z.string().min(1),
  time_intervals: z.array(
    z.strictObject({
      times: z.array(z.strictObject({ start_time: z.string(), end_time: z.string() })).optional(),
      weekdays: z.array(z.string()).optional().describe("e.g. 'monday:friday', 'saturday'"),
      days_of_month: z.array(z.string()).optional().describe("e.g. '1:5', '-1' (the last day)"),
      months: z.array(z.string()).optional().describe("e.g. 'january:march', '12'"),
      years: z.array(z.string()).optional().describe("e.g. '2026:2027'"),
      location: z.string().optional().describe('an IANA time zone, e.g. Europe/Berlin (default UTC)'),
    }),
  ),
});

export const notificationFileSchema = z
  .strictObject({
    route: routeSchema,
    receivers: z.array(receiverSchema),
    inhibit_rules: z.array(inhibitRuleSchema).optional(),
    time_intervals: z.array(timeIntervalSchema).optional(),
    mute_time_intervals: z
      .array(timeIntervalSchema)
      .optional()
      .describe('the older spelling of time_intervals'),
    alertmanagers: z
      .array(
        z.strictObject({
          url_env: envName.describe(
            "the variable holding the Alertmanager's base URL, with its --web.route-prefix if any (http://am:9093/am)",
          ),
          resend_delay: duration.optional().describe('send every active alert again this often (default 1m)'),
        }),
      )
      .optional()
      .describe(
        "Alertmanagers that get every active alert, as Prometheus's alerting.alertmanagers: outside the route tree",
      ),
  })
  .describe("promptscope's notification settings (Alertmanager's configuration shape)");

export type NotificationFile = z.infer<typeof notificationFileSchema>;
export type RouteFile = RouteShape;

/** The JSON Schema editors use to complete and check the file (yaml-language-server, VS Code). */
export function notificationJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'promptscope notifications',
    ...z.toJSONSchema(notificationFileSchema, { target: 'draft-2020-12', io: 'input' }),
  };
}
