import type { PriceCatalog } from '#sdk/pricing/catalog.ts';
import { computeCost } from '#sdk/pricing/cost.ts';
import { bucketsFromSemconv } from '#sdk/pricing/usage.ts';
import { ATTR, LEGACY_ATTR } from '#sdk/semconv.ts';
import type { SpanStage } from './pipeline.ts';

/** More tokens than any model takes in one call: a count past this is garbage, not a bill to compute. */
const MAX_TOKENS = 1_000_000_000;

function isTokenCount(value: string | undefined): boolean {
  return value === undefined || (/^\d{1,10}$/.test(value) && Number(value) <= MAX_TOKENS);
}

/**
 * An LLM span that arrives without a cost but with a priced model gets one from the shared price catalog (marked
 * `promptscope.cost.source=collector`); one whose model has no price is marked unpriced. Spans that carry a cost
 * are left exactly as sent.
 */
export function costEnrichment(catalog: PriceCatalog): SpanStage {
  return {
    name: 'cost',
    apply: (row, startNanos) => {
      const a = row.SpanAttributes;
      if (!a[ATTR.operationName] || a[ATTR.usageCostAmount] || a[LEGACY_ATTR.cost]) return;
      const provider = a[ATTR.providerName] || a[LEGACY_ATTR.system] || '';
      const model = a[ATTR.responseModel] || a[ATTR.requestModel] || '';
      const input = a[ATTR.usageInputTokens] ?? a[LEGACY_ATTR.promptTokens];
      const output = a[ATTR.usageOutputTokens] ?? a[LEGACY_ATTR.completionTokens];
      if (input === undefined && output === undefined) return;
      const counts = [input, output, a[ATTR.usageCacheReadInputTokens], a[ATTR.usageReasoningOutputTokens]];
      if (!counts.every(isTokenCount)) {
        if (!a[ATTR.costStatus]) {
          a[ATTR.costStatus] = 'unpriced';
          a[ATTR.costUnpricedReason] = `token counts must be whole numbers from 0 to ${MAX_TOKENS}`;
        }
        return;
      }
      const usage = bucketsFromSemconv({
        inputTokens: Number(input ?? 0),
        outputTokens: Number(output ?? 0),
        cacheReadTokens: Number(a[ATTR.usageCacheReadInputTokens] ?? 0),
        reasoningTokens: Number(a[ATTR.usageReasoningOutputTokens] ?? 0),
      });
      const cost = computeCost(catalog, { provider, model, usage, at: Number(startNanos / 1_000_000n) });
      if (cost.status === 'priced') {
        a[ATTR.usageCostAmount] = cost.amount;
        a[ATTR.usageCostCurrency] = cost.currency;
        a[ATTR.costStatus] = 'priced';
        a[ATTR.costPriceId] = cost.priceId;
        a[ATTR.costSource] = 'collector';
      } else if (!a[ATTR.costStatus]) {
        a[ATTR.costStatus] = 'unpriced';
        a[ATTR.costUnpricedReason] = cost.reason;
      }
    },
  };
}
