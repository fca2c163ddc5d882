import { AsyncLocalStorage } from 'node:async_hooks';
import { type Attributes, type Baggage, type Context, context, propagation } from '@opentelemetry/api';
import { ATTR } from './semconv.ts';

/** Who and what an LLM call is for: set once per request, copied onto every LLM span inside it. */
export interface Attribution {
  /** The end user (`user.id`). */
  userId?: string;
  /** The user's session (`session.id`). */
  sessionId?: string;
  /** The conversation (`gen_ai.conversation.id`). */
  conversationId?: string;
  /** The customer or tenant the call is billed to (`promptscope.tenant`). */
  tenant?: string;
  /** Anything else to slice cost by: feature, plan, experiment … (`promptscope.property.<name>`). */
  properties?: Record<string, string | number | boolean>;
}

/** Bounds: attribution travels in every outgoing request's `baggage` header, and lands on every LLM span. */
export const ATTRIBUTION_LIMITS = { properties: 20, nameLength: 64, valueLength: 256 } as const;
const PROPERTY_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * The attribution of the running request, kept by the sdk itself too: LLM spans get it even where no OpenTelemetry
 * context manager is registered (which would make `context.with` a no-op); the baggage is for propagation.
 */
const storage = new AsyncLocalStorage<Baggage>();

const KEYS = {
  userId: ATTR.userId,
  sessionId: ATTR.sessionId,
  conversationId: ATTR.conversationId,
  tenant: ATTR.tenant,
} as const;

/**
 * The baggage for an attribution, on top of what the context already carries (an inner call refines an outer one).
 * What is out of bounds (an empty or too long value, a property name that is not letters, digits, `_ . -`, more than
 * 20 properties) is left out and counted in `dropped`.
 */
export function attributionBaggage(
  base: Baggage | undefined,
  a: Attribution,
): { baggage: Baggage; dropped: number } {
  let baggage = base ?? propagation.createBaggage();
  let dropped = 0;
  const set = (key: string, value: unknown) => {
    const text = String(value);
    if (text === '' || text.length > ATTRIBUTION_LIMITS.valueLength) {
      dropped++;
      return;
    }
    baggage = baggage.setEntry(key, { value: text });
  };
  for (const [field, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][])
    if (a[field] !== undefined) set(key, a[field]);
  const properties = Object.entries(a.properties ?? {});
  const held = baggage.getAllEntries().filter(([k]) => k.startsWith(ATTR.propertyPrefix)).length;
  let room = ATTRIBUTION_LIMITS.properties - held;
  for (const [name, value] of properties) {
    const key = `${ATTR.propertyPrefix}${name}`;
    const replaces = baggage.getEntry(key) !== undefined;
    if (
      !PROPERTY_NAME.test(name) ||
      name.length > ATTRIBUTION_LIMITS.nameLength ||
      (!replaces && room <= 0)
    ) {
      dropped++;
      continue;
    }
    if (!replaces) room--;
    set(key, value);
  }
  return { baggage, dropped };
}

/** The attribution in the context's baggage, as span attributes (only the keys above, nothing else). */
export function attributionAttributes(active: Context): Attributes | undefined {
  const baggage = storage.getStore() ?? propagation.getBaggage(active);
  if (!baggage) return undefined;
  let attributes: Attributes | undefined;
  for (const [key, entry] of baggage.getAllEntries()) {
    if (
      key === ATTR.userId ||
      key === ATTR.sessionId ||
      key === ATTR.conversationId ||
      key === ATTR.tenant ||
      key.startsWith(ATTR.propertyPrefix)
    ) {
      attributes ??= {};
      attributes[key] = entry.value;
    }
  }
  return attributes;
}

/** Runs `fn` with the attribution in its context (OpenTelemetry baggage: it follows `await`s and outgoing HTTP). */
export function runWithAttribution<T>(a: Attribution, fn: () => T, onDropped?: (n: number) => void): T {
  const { baggage, dropped } = attributionBaggage(storage.getStore() ?? propagation.getActiveBaggage(), a);
  if (dropped > 0) onDropped?.(dropped);
  return storage.run(baggage, () => context.with(propagation.setBaggage(context.active(), baggage), fn));
}
