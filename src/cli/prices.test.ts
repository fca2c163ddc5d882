import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { prices } from './prices.ts';

async function run(argv: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  const code = await prices(loadConfig(env), argv, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

describe('promptscope prices', () => {
  it('lookup names the entry, the catalog, the source and the prices per 1M tokens of a dated snapshot', async () => {
    const { code, text } = await run(['lookup', 'gpt-4o-2024-08-06', '--provider', 'openai']);
    expect(code).toBe(0);
    expect(text).toMatch(/priced by {3}openai\/gpt-4o \(genai-prices@\d+\.\d+\.\d+\)/);
    expect(text).toContain('any prompt: input 2.5 · cache read 1.25 · output 10');
  });

  it('lookup --json at a past time gives the price in force then', async () => {
    const { code, text } = await run([
      'lookup',
      'o3',
      '--provider',
      'openai',
      '--at',
      '2025-05-01T00:00:00Z',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(text)).toMatchObject({
      priced: true,
      id: 'openai/o3',
      effective_from: null,
      tiers: [{ input: '10', output: '40' }],
    });
  });

  it('a deployment’s file wins, and lookup says it priced the call', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'prices-')), 'prices.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        catalog_version: '2026-12-01',
        prices: [
          {
            id: 'contract-gpt-4o',
            providers: ['openai', 'azure.ai.openai'],
            models: ['gpt-4o'],
            effective_from: '2026-01-01',
            tiers: [{ input: '2.00', cache_read: '1.00', output: '8.00' }],
            source: 'our enterprise agreement',
          },
        ],
      }),
    );
    const { text } = await run(['lookup', 'gpt-4o', '--provider', 'azure', '--json'], {
      PROMPTSCOPE_PRICES_FILE: file,
    });
    expect(JSON.parse(text)).toMatchObject({
      provider: 'azure.ai.openai',
      id: 'contract-gpt-4o',
      catalog: `${file}@2026-12-01`,
      source: 'our enterprise agreement',
    });
  });

  it('a model no catalog prices: exit 1 and the reason on stderr', async () => {
    expect((await run(['lookup', 'acme-1', '--provider', 'acme'])).code).toBe(1);
  });

  it('list filters by provider and text, in the order entries are searched', async () => {
    const { code, text } = await run(['list', '--provider', 'Anthropic', '--search', 'sonnet-4-5']);
    expect(code).toBe(0);
    const [header, ...rows] = text.split('\n');
    expect(header).toBe('ID\tCATALOG\tFROM\tUSD PER 1M TOKENS');
    expect(rows.map((r) => r.split('\t')[0])).toContain('anthropic/claude-sonnet-4-5');
    expect(rows.every((r) => r.split('\t')[0]!.startsWith('anthropic/'))).toBe(true);
  });

  it.each([[['lookup']], [['lookup', 'a', 'b']], [['list', 'extra']], [['nothing']], [[]]])(
    '%j is a usage error',
    async (argv) => {
      expect((await run(argv)).code).toBe(2);
    },
  );
});
