import type { PriceCatalog } from '#sdk/pricing';
import { bucketsFromSemconv, computeCost } from '#sdk/pricing';
import { ATTR, LEGACY_ATTR } from '#sdk/semconv';
import { llmCallOf, looksLikeGenAi } from './llm-span.ts';
import type { SpanStage } from './pipeline.ts';

/** More tokens than any model takes in one call: a count past this is garbage, not a bill to compute. */
const MAX_TOKENS = 1_000_000_000;

function isTokenCount(value: string | undefined): boolean {
  return value === undefined || (/^\d{1,10}$/.test(value) && Number(value) <= MAX_TOKENS);
}

/**
 * Tokens an instrumentation counted in the total but in neither input nor output: OpenLLMetry's Vertex AI spans
 * leave Gemini's thinking tokens out of `completion_tokens` and only `llm.usage.total_tokens` has them. They are
 * output (Gemini bills thinking as output); the llm_calls view derives them the same way.
 */
export function unreportedOutput(input: number, output: number, total: number | undefined): number {
  return total !== undefined && total > input + output ? total - input - output : 0;
}

/**
 * An LLM span (of any instrumentation, see llm-span.ts) that arrives without an exact cost but with a priced model
 * gets one from the shared price catalog (marked `promptscope.cost.source=collector`, with the entry and catalog that
 * priced it); one whose model has no price is marked unpriced. A span that carries an exact cost
 * (`gen_ai.usage.cost.amount`, as our sdk writes it) is left exactly as sent. A cost another instrumentation computed
 * from its own table (OpenLIT's float `gen_ai.usage.cost`) is kept only where the catalog cannot price the call: the
 * catalog's exact price wins, and the span keeps the float it came with. A span that looks like GenAI but is not a
 * call is counted through `onUnclassified`.
 */
export function costEnrichment(catalog: PriceCatalog, onUnclassified: () => void = () => {}): SpanStage {
  return {
    name: 'cost',
    apply: (row, startNanos) => {
      const a = row.SpanAttributes;
      const call = llmCallOf(a);
      if (!call) {
        if (looksLikeGenAi(a)) onUnclassified();
        return;
      }
      if (a[ATTR.usageCostAmount]) return;
      if (call.input === undefined && call.output === undefined) return;
      const counts = [call.input, call.output, call.cacheRead, call.cacheWrite, call.reasoning, call.total];
      if (!counts.every(isTokenCount)) {
        if (!a[ATTR.costStatus] && !a[LEGACY_ATTR.cost]) {
          a[ATTR.costStatus] = 'unpriced';
          a[ATTR.costUnpricedReason] = `token counts must be whole numbers from 0 to ${MAX_TOKENS}`;
        }
        return;
      }
      const input = Number(call.input ?? 0);
      const output = Number(call.output ?? 0);
      const extra = unreportedOutput(
        input,
        output,
        call.total === undefined ? undefined : Number(call.total),
      );
      const usage = bucketsFromSemconv({
        inputTokens: input,
        outputTokens: output + extra,
        cacheReadTokens: Number(call.cacheRead ?? 0),
        cacheWriteTokens: Number(call.cacheWrite ?? 0),
        reasoningTokens: call.reasoning === undefined ? extra : Number(call.reasoning),
      });
      const cost = computeCost(catalog, {
        provider: call.provider,
        model: call.model,
        usage,
        at: Number(startNanos / 1_000_000n),
        serviceTier: call.serviceTier,
      });
      if (cost.status === 'priced') {
        a[ATTR.usageCostAmount] = cost.amount;
        a[ATTR.usageCostCurrency] = cost.currency;
        a[ATTR.costStatus] = 'priced';
        a[ATTR.costPriceId] = cost.priceId;
        a[ATTR.costCatalog] = cost.catalog;
        a[ATTR.costSource] = 'collector';
      } else if (!a[ATTR.costStatus] && !a[LEGACY_ATTR.cost]) {
        a[ATTR.costStatus] = 'unpriced';
        a[ATTR.costUnpricedReason] = cost.reason;
      }
    },
  };
}
