import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SHIPPED_ALERTS } from '../src/config.ts';
import { startPromptscope } from '../src/testing/promptscope-process.ts';

/**
 * `npm run bench -- alerts`: the time from a burst of failing calls acknowledged by the collector to the firing
 * notification received by a local webhook. `promptscope start` as a user runs it, with the shipped notification
 * settings (group_wait 10s) and a rule with the shipped llm-calls group's timing (every 15 s, 10 s query offset) and
 * `for: 0`. Several bursts, each for a new template, land at different points of the evaluation cycle.
 */

const RUNS = Number(process.env.BENCH_ALERT_RUNS ?? 5);
const RULES = `groups:
  - name: llm-calls
    interval: 15s
    query_offset: 10s
    rules:
      - alert: BurstOfErrors
        figure: { name: error_rate, window: 1m, by: [template], min_calls: 20 }
        condition: '> 0.05'
        for: 0s
        labels: { severity: page }
        annotations: { summary: 'Error rate of {{ $labels.template }} is {{ $value | percent }}' }
`;

export async function run(): Promise<Record<string, unknown>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-alerts-'));
  await fs.chmod(dir, 0o755); // embedded Postgres runs as its own user when we are root
  await fs.writeFile(path.join(dir, 'rules.yaml'), RULES);
  const received = new Map<string, number>();
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const msg = JSON.parse(body) as { status: string; alerts: { labels: Record<string, string> }[] };
      for (const a of msg.alerts)
        if (msg.status === 'firing' && !received.has(a.labels.template!))
          received.set(a.labels.template!, Date.now());
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;

  const ps = await startPromptscope(path.join(dir, 'data'), {
    PROMPTSCOPE_ALERT_RULES: path.join(dir, 'rules.yaml'),
    PROMPTSCOPE_ALERT_NOTIFICATIONS: SHIPPED_ALERTS.notifications,
    PROMPTSCOPE_ALERT_WEBHOOK_URL: hookUrl,
  });
  const otlp = ps.otlp;
  try {
    const latencies: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const template = `bench-${i}-${randomBytes(3).toString('hex')}`;
      const res = await fetch(otlp, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(failingCalls(template, 50)),
      });
      if (!res.ok) throw new Error(`the collector answered ${res.status}: ${await res.text()}`);
      const acknowledged = Date.now();
      const deadline = acknowledged + 180_000;
      while (!received.has(template)) {
        if (Date.now() > deadline) throw new Error(`no firing notification for ${template} within 180 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      latencies.push((received.get(template)! - acknowledged) / 1000);
      // The next burst lands at a random point of the 15 s evaluation cycle.
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 15_000));
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      runs: RUNS,
      'ack → firing webhook, each (s)': latencies.map((l) => l.toFixed(1)).join(', '),
      'min (s)': sorted[0]!.toFixed(1),
      'median (s)': sorted[Math.floor(sorted.length / 2)]!.toFixed(1),
      'max (s)': sorted.at(-1)!.toFixed(1),
      'target (s)': '< 90',
      'worst case by the settings (s)': '10 offset + 15 interval + 10 group_wait + 1 outbox poll',
    };
  } finally {
    await ps.stop();
    hook.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** An OTLP/JSON request with `n` failed Gemini calls of one template, ending now. */
function failingCalls(template: string, n: number) {
  const now = Date.now();
  const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', 'bench-service')] },
        scopeSpans: [
          {
            scope: { name: 'bench' },
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: randomBytes(16).toString('hex'),
              spanId: randomBytes(8).toString('hex'),
              name: 'generate_content gemini-2.5-flash',
              kind: 3,
              startTimeUnixNano: String(BigInt(now - 1000 + i) * 1_000_000n),
              endTimeUnixNano: String(BigInt(now + i) * 1_000_000n),
              status: { code: 2, message: 'RESOURCE_EXHAUSTED' },
              attributes: [
                attr('gen_ai.operation.name', 'generate_content'),
                attr('gen_ai.provider.name', 'gcp.gemini'),
                attr('gen_ai.request.model', 'gemini-2.5-flash'),
                attr('gen_ai.prompt.name', template),
                attr('error.type', '429'),
              ],
            })),
          },
        ],
      },
    ],
  };
}
