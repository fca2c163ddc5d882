import { AsyncLocalStorage } from 'node:async_hooks';
import type { GuardrailRule, GuardrailVerdict } from './prompts/guardrails.ts';

/** What a span needs to know about the template behind a call. */
export interface PromptRef {
  name: string;
  version: string | undefined;
  label: string | undefined;
  contentHash: string | undefined;
  source: 'network' | 'cache' | 'fallback';
  variant?: string;
  guardrails: GuardrailRule[];
  /** Variable values: recorded only when content capture is on. */
  variables?: Record<string, unknown>;
}

export interface PromptScope {
  prompt: PromptRef;
  /** Input guardrail verdicts, to be recorded on the call's span. */
  inputVerdicts: GuardrailVerdict[];
}

/**
 * Our own async context, not OTel's: it must work whether or not the service registered an OTel context
 * manager, and it carries guardrail rules that are not span data.
 */
const storage = new AsyncLocalStorage<PromptScope>();

/** Runs fn with a template attached, so instrumented calls inside it (however deep) carry it. */
export function withPromptScope<T>(scope: PromptScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function activePromptScope(): PromptScope | undefined {
  return storage.getStore();
}
