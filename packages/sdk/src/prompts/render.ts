import { parseTemplate, renderSegments, type Segment, variableNames } from './template-syntax.ts';
import { resolveValues, type ValueProblems, type VariableDefinition } from './variables.ts';

export interface ChatMessage {
  role: string;
  content: string;
}

/** What a version holds to be rendered: plain text or a chat message list. */
export type PromptBody =
  | { template_text: string; messages?: undefined }
  | { messages: ChatMessage[]; template_text?: undefined };

export type RenderedBody =
  | { text: string; messages?: undefined }
  | { messages: ChatMessage[]; text?: undefined };

export interface FieldProblem {
  path: string;
  message: string;
}

interface ParsedBody {
  parts: { path: string; role?: string; segments: Segment[] }[];
  variables: string[];
}

/** Parses every part of a body; problems name the field (`template_text`, `messages[1].content`). */
export function parseBody(
  body: PromptBody,
): { ok: true; parsed: ParsedBody } | { ok: false; problems: FieldProblem[] } {
  const sources =
    body.template_text !== undefined
      ? [{ path: 'template_text', role: undefined as string | undefined, text: body.template_text }]
      : body.messages.map((m, i) => ({ path: `messages[${i}].content`, role: m.role, text: m.content }));
  const problems: FieldProblem[] = [];
  const parts: ParsedBody['parts'] = [];
  for (const s of sources) {
    const result = parseTemplate(s.text);
    if (!result.ok) {
      for (const p of result.problems)
        problems.push({ path: s.path, message: `at character ${p.position}: ${p.message}` });
    } else parts.push({ path: s.path, role: s.role, segments: result.segments });
  }
  if (problems.length > 0) return { ok: false, problems };
  const variables = [...new Set(parts.flatMap((p) => variableNames(p.segments)))];
  return { ok: true, parsed: { parts, variables } };
}

/** Variables the text uses but does not declare, and declared ones it never uses. */
export function declarationMismatch(used: string[], definitions: VariableDefinition[]) {
  const declared = new Set(definitions.map((d) => d.name));
  const usedSet = new Set(used);
  return {
    undeclared: used.filter((v) => !declared.has(v)),
    unused: definitions.map((d) => d.name).filter((v) => !usedSet.has(v)),
  };
}

export type RenderResult = { ok: true; rendered: RenderedBody } | ({ ok: false } & ValueProblems);

/** Renders a parsed body with strict variable checking. */
export function renderParsed(
  parsed: ParsedBody,
  isMessages: boolean,
  definitions: VariableDefinition[],
  input: Record<string, unknown>,
): RenderResult {
  const resolved = resolveValues(definitions, input);
  if (!resolved.ok) return resolved;
  if (!isMessages)
    return { ok: true, rendered: { text: renderSegments(parsed.parts[0]?.segments ?? [], resolved.values) } };
  return {
    ok: true,
    rendered: {
      messages: parsed.parts.map((p) => ({
        role: p.role ?? 'user',
        content: renderSegments(p.segments, resolved.values),
      })),
    },
  };
}

/** Describes value problems in one sentence a caller can act on. */
export function describeValueProblems(p: ValueProblems): string {
  const parts: string[] = [];
  if (p.missing.length) parts.push(`missing required variable(s): ${p.missing.join(', ')}`);
  if (p.unknown.length) parts.push(`unknown variable(s): ${p.unknown.join(', ')}`);
  for (const w of p.wrongType) parts.push(`variable '${w.name}': ${w.message}`);
  return parts.join('; ');
}
