/**
 * `npm run demo`: promptscope telling its own story in a few minutes, on the embedded defaults. It starts promptscope
 * (data in .promptscope, so `npm start` shows it afterwards), publishes two templates, runs a sample service with the
 * real sdk and @google/genai against the local Gemini wire server (no credentials) for a few users of two tenants,
 * then publishes a candidate version that errs and is slower and starts a guarded rollout of it. The guard rolls it
 * back; an alert fires to a local webhook and resolves. Everything is printed as it happens. `--keep-running` keeps
 * the traffic and promptscope going until Ctrl+C.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startPromptscope } from '../src/testing/promptscope-process.ts';
import { startSampleService } from '../src/testing/sample-service.ts';

const { values } = parseArgs({
  options: {
    'keep-running': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    port: { type: 'string', default: '8080' },
    'otlp-port': { type: 'string', default: '4318' },
    'time-limit': { type: 'string', default: '300' },
  },
});
const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const say = (text: string) => process.stdout.write(`${clock()}  ${text}\n`);
const limitMs = Number(values['time-limit']) * 1000;

const heard: { status: string; alertname: string; summary: string }[] = [];
const hook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const msg = JSON.parse(body) as {
      status: string;
      alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
    };
    for (const a of msg.alerts) {
      heard.push({ status: a.status, alertname: a.labels.alertname!, summary: a.annotations.summary ?? '' });
      say(`webhook: ${a.status.toUpperCase()} ${a.labels.alertname}: ${a.annotations.summary ?? ''}`);
    }
    res.end('ok');
  });
});
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));

const dataDir = path.resolve(values['data-dir'] ?? '.promptscope');
say(`starting promptscope (data in ${dataDir})`);
const ps = await startPromptscope(dataDir, {
  PORT: values.port!,
  PROMPTSCOPE_OTLP_PORT: values['otlp-port']!,
  PROMPTSCOPE_ALERT_RULES: path.resolve(import.meta.dirname, 'rules.yaml'),
  PROMPTSCOPE_ALERT_NOTIFICATIONS: path.resolve(import.meta.dirname, 'notifications.yaml'),
  PROMPTSCOPE_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
});
const call = ps.call;
say(
  `promptscope is up: the page ${ps.api}/dashboards (key: ${ps.adminKey}), the API reference ${ps.api}/docs`,
);

let exitCode = 0;
const services: Awaited<ReturnType<typeof startSampleService>>[] = [];
try {
  // Two templates; re-running the demo publishes new versions of them (versions are immutable).
  const publish = async (name: string, text: string, active: boolean) => {
    const res = await call('POST', '/api/v1/admin/prompts', {
      name,
      template_text: text,
      variables: ['question'],
      is_active: active,
      model_config: { provider: 'gcp.gemini', model_name: 'gemini-2.5-flash' },
    });
    if (res.status !== 201) throw new Error(`publishing ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return String(res.body.version);
  };
  const control = await publish(
    'support-answer',
    'Answer the customer kindly: {{question}} [v=control]',
    true,
  );
  await publish('search-summary', 'Summarise the search results for {{question}} [v=control]', true);
  say(`published support-answer ${control} and search-summary, both labelled production`);

  const behaviour = (v: string) =>
    v === 'candidate' ? { errorShare: 0.35, delayMs: 250 } : { errorShare: 0.01, delayMs: 60 };
  const common = { api: ps.api, apiKey: ps.adminKey, otlp: ps.otlp, cacheTtlSeconds: 2 };
  // One OpenTelemetry setup per process: one service calls both templates, in turn.
  const service = await startSampleService({
    ...common,
    serviceName: 'support-bot',
    template: ['support-answer', 'search-summary'],
    callsPerSecond: 20,
    behaviour: (marker) => behaviour(marker),
  });
  services.push(service);
  say(
    'a sample service (the real sdk + @google/genai, Gemini played locally) sends 20 calls a second for 5 users of 2 tenants',
  );
  await new Promise((r) => setTimeout(r, 20_000));

  const candidate = await publish('support-answer', 'Answer the customer: {{question}} [v=candidate]', false);
  say(`published support-answer ${candidate}: it fails a third of its calls and is four times slower`);
  const rollout = await call('POST', '/api/v1/admin/rollouts', {
    template: 'support-answer',
    candidate,
    reason: 'npm run demo',
  });
  if (rollout.status !== 201)
    throw new Error(`starting the rollout: ${rollout.status} ${JSON.stringify(rollout.body)}`);
  const id = String(rollout.body.id);
  say(
    `rollout ${id} started: ${rollout.body.candidate_weight}% of production on ${candidate}, guarded (error rate, p95 latency)`,
  );

  let last = '';
  let rolledBackAt: number | undefined;
  while (Date.now() - started < limitMs) {
    const r = (await call('GET', `/api/v1/admin/rollouts/${id}`)).body;
    const now = `${r.state} at step ${r.step} (${r.candidate_weight}% on ${candidate})`;
    if (now !== last) {
      say(`rollout ${id}: ${now}${r.state === 'rolled_back' ? ` — ${r.reason}` : ''}`);
      last = now;
    }
    if (r.state === 'rolled_back') rolledBackAt ??= Date.now();
    if (r.state !== 'running' && r.state !== 'rolled_back')
      throw new Error(`the rollout ended ${r.state}: ${r.reason}`);
    const fired = heard.some((h) => h.status === 'firing' && h.alertname === 'VersionErrorRate');
    const resolved = heard.some((h) => h.status === 'resolved' && h.alertname === 'VersionErrorRate');
    if (rolledBackAt && fired && resolved) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const ok =
    rolledBackAt !== undefined &&
    heard.some((h) => h.status === 'firing' && h.alertname === 'VersionErrorRate') &&
    heard.some((h) => h.status === 'resolved' && h.alertname === 'VersionErrorRate');
  if (!ok) {
    exitCode = 1;
    say(
      `not everything happened within ${limitMs / 1000} s: rolled back ${rolledBackAt !== undefined}, alerts heard ${JSON.stringify(heard)}`,
    );
  } else {
    say('done: the guard rolled the candidate back, on-call heard it, and the alert resolved');
  }
  const stats = [...service.stats()]
    .map(([k, s]) => `${k}: ${s.calls} calls, ${s.failures} failed`)
    .join('; ');
  say(`the service made ${stats}`);
  say(`see it: ${ps.api}/dashboards (Overview, Template support-answer, A/B, Sessions, Budgets, Alerts) and`);
  say(`  PROMPTSCOPE_API_KEY=${ps.adminKey} npm run promptscope -- report --url ${ps.api}`);
  if (values['keep-running']) {
    say('--keep-running: traffic goes on; Ctrl+C to stop');
    await new Promise<void>((r) => process.once('SIGINT', () => r()));
  } else say('the data stays in place: `npm start` shows it on the page');
} catch (error) {
  exitCode = 1;
  say(`the demo failed: ${(error as Error).message}`);
} finally {
  for (const s of services) await s.stop();
  await ps.stop();
  hook.close();
}
process.exit(exitCode);
