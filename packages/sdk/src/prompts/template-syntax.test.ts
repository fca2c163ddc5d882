import { describe, expect, it } from 'vitest';
import { parseTemplate, renderSegments, variableNames } from './template-syntax.ts';

const render = (text: string, values: Record<string, string>) => {
  const parsed = parseTemplate(text);
  if (!parsed.ok) throw new Error(parsed.problems[0]!.message);
  return renderSegments(parsed.segments, values);
};

describe('template syntax', () => {
  it.each([
    ['Hello {{name}}!', { name: 'Ada' }, 'Hello Ada!'],
    ['Hello {{ name }} and {{  name}}', { name: 'Ada' }, 'Hello Ada and Ada'],
    ['no variables', {}, 'no variables'],
    ['literal \\{{name}} stays', {}, 'literal {{name}} stays'],
    ['{{a}}{{b}}', { a: '1', b: '2' }, '12'],
    ['a value with braces: {{v}}', { v: '{{x}}' }, 'a value with braces: {{x}}'],
  ])('renders %j', (text, values, expected) => {
    expect(render(text, values)).toBe(expected);
  });

  it('lists variables once each, in order of first use', () => {
    const parsed = parseTemplate('{{b}} {{a}} {{b}}');
    expect(parsed.ok && variableNames(parsed.segments)).toEqual(['b', 'a']);
  });

  it.each([
    ['Hi {{name', "'{{' is never closed"],
    ['Hi {{first name}}', 'is not a variable'],
    ['Hi {{1st}}', 'is not a variable'],
    ['Hi {{}}', 'is not a variable'],
    ['{{ user.name }}', 'is not a variable'],
    ['{{#if admin}}x{{/if}}', 'is not a variable'],
  ])('rejects %j naming the problem', (text, message) => {
    const parsed = parseTemplate(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems[0]!.message).toContain(message);
  });
});
