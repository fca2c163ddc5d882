import { context, createContextKey } from '@opentelemetry/api';
import type { GuardrailRule, GuardrailVerdict } from '../prompts/guardrails.ts';

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

const KEY = createContextKey('promptscope.prompt');

/** Runs fn with a template attached to the active context, so instrumented calls inside it carry it. */
export function withPromptScope<T>(scope: PromptScope, fn: () => T): T {
  return context.with(context.active().setValue(KEY, scope), fn);
}

export function activePromptScope(): PromptScope | undefined {
  return context.active().getValue(KEY) as PromptScope | undefined;
}
