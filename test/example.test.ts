import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, serveTestApi, type TestApi } from './support/api.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '../examples/gemini-service.ts');

describe('the README example service (examples/gemini-service.ts)', () => {
  let api: TestApi;
  let served: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    api = await createTestApi();
    served = await serveTestApi(api);
    await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name: 'search-answer',
        version: '1.0.0',
        template_text: 'Answer the user question: {{query}}',
        variables: ['query'],
        is_active: true,
        model_config: { provider: 'vertex_ai', model_name: 'gemini-2.5-flash', temperature: 0.7 },
      },
    });
  });
  afterAll(async () => {
    await served.close();
    await api.close();
  });

  it('fetches its template, calls Gemini through @google/genai and reads back a priced span', async () => {
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [EXAMPLE, 'What is OTel?'], {
        env: {
          ...process.env,
          PROMPTSCOPE_URL: served.url,
          PROMPTSCOPE_API_KEY: api.keys.reader,
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        },
      });
      let text = '';
      child.stdout.on('data', (d) => {
        text += d;
      });
      child.once('exit', (c) => resolve({ code: c, out: text }));
    });
    expect(code).toBe(0);
    expect(out).toContain(
      'template search-answer v1.0.0 (network) → OpenTelemetry is a vendor-neutral framework',
    );
    expect(out).toMatch(
      /span "generate_content gemini-2\.5-flash": prompt=search-answer@1\.0\.0 source=network tokens in=\d+ out=\d+ \(thinking 24\) cost=0\.\d+ USD/,
    );
  });
});
