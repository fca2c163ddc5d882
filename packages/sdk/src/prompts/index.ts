/**
 * `@promptscope/sdk/templates`: template bodies (`{{variable}}` text or chat messages), declared variables and
 * guardrails, checked and rendered the same way in a service and in the registry that stores them.
 */

export type { GuardrailAction, GuardrailRule, GuardrailVerdict, PiiKind } from './guardrails.ts';
export {
  evaluateGuardrails,
  GUARDRAIL_ACTIONS,
  GUARDRAIL_SCAN_LIMIT,
  PII_KINDS,
  re2Problem,
} from './guardrails.ts';
export type { ChatMessage, FieldProblem, PromptBody, RenderedBody, RenderResult } from './render.ts';
export { declarationMismatch, describeValueProblems, parseBody, renderParsed } from './render.ts';
export { VARIABLE_NAME, variableNameProblem } from './template-syntax.ts';
export type {
  CheckedVariableDeclaration,
  VariableDeclaration,
  VariableDefinition,
  VariableType,
} from './variables.ts';
export { normaliseVariables, VARIABLE_TYPES } from './variables.ts';
