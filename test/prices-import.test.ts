import fs from 'node:fs';
import type { Provider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import {
  installedReferenceCatalog,
  REFERENCE_FILE,
  referenceCatalog,
} from '../scripts/genai-prices-import.ts';

const provider = (models: Provider['models']): Provider => ({
  id: 'anthropic',
  name: 'Anthropic',
  api_pattern: 'x',
  pricing_urls: ['https://www.anthropic.com/pricing#api'],
  models,
});

describe('the reference catalog from @pydantic/genai-prices', () => {
  it('the committed prices-reference.json is what the installed package gives (run `npm run prices:import`)', async () => {
    const committed = JSON.parse(fs.readFileSync(REFERENCE_FILE, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(await installedReferenceCatalog())));
  });

  it('turns per-price tiers into prompt-size tiers, prices into exact decimal strings, and names what it leaves out', () => {
    const catalog = referenceCatalog(
      [
        provider([
          {
            id: 'claude-sonnet-4-5',
            match: { starts_with: 'claude-sonnet-4-5' },
            prices: {
              input_mtok: { base: 3, tiers: [{ start: 200_000, price: 6 }] },
              cache_read_mtok: 0.3,
              cache_write_mtok: { base: 3.75, tiers: [{ start: 200_000, price: 7.5 }] },
              output_mtok: { base: 15, tiers: [{ start: 200_000, price: 22.5 }] },
              web_searches_kcount: 10,
            } as never,
          },
          { id: 'with-fee', match: { equals: 'with-fee' }, prices: { input_mtok: 1, requests_kcount: 5 } },
          { id: 'float', match: { equals: 'float' }, prices: { input_mtok: 0.18000000000000002 } },
          {
            id: 'dated',
            match: { equals: 'dated' },
            prices: [
              { prices: { input_mtok: 10, output_mtok: 40 } },
              {
                constraint: { type: 'start_date', start_date: '2025-06-10' },
                prices: { input_mtok: 2, output_mtok: 8 },
              },
            ],
          },
        ]),
      ],
      'genai-prices@test',
    );
    expect(catalog.prices).toEqual([
      {
        id: 'anthropic/claude-sonnet-4-5',
        providers: ['anthropic'],
        match: { starts_with: 'claude-sonnet-4-5' },
        tiers: [
          { up_to_prompt_tokens: 200_000, input: '3', cache_read: '0.3', cache_write: '3.75', output: '15' },
          { input: '6', cache_read: '0.3', cache_write: '7.5', output: '22.5' },
        ],
        source: 'https://www.anthropic.com/pricing#api',
        not_priced: ['web_searches_kcount'],
      },
      expect.objectContaining({ id: 'anthropic/dated', tiers: [{ input: '10', output: '40' }] }),
      expect.objectContaining({
        id: 'anthropic/dated',
        effective_from: '2025-06-10',
        tiers: [{ input: '2', output: '8' }],
      }),
    ]);
    expect(catalog.left_out).toEqual([
      'anthropic/with-fee: charges requests_kcount, which a span does not report',
      'anthropic/float.input_mtok: 0.18000000000000002 is not a decimal with at most 6 places',
    ]);
  });
});
