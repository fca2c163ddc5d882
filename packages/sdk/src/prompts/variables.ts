export const VARIABLE_TYPES = ['string', 'number', 'boolean', 'json'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export interface VariableDefinition {
  name: string;
  type: VariableType;
  required: boolean;
  default?: unknown;
  description?: string;
}

/**
 * A declaration is a plain name (the seed's form: a required string) or the typed form; the API validates them
 * (names, types) before they get here, with defaults applied.
 */
export type VariableDeclaration =
  | string
  | { name: string; type?: VariableType; required?: boolean; default?: unknown; description?: string };
export type CheckedVariableDeclaration = string | VariableDefinition;

/** Normalises declarations to the typed form; reports duplicates and defaults of the wrong type. */
export function normaliseVariables(declarations: CheckedVariableDeclaration[]): {
  definitions: VariableDefinition[];
  problems: { path: string; message: string }[];
} {
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  const definitions = declarations.map((d, i) => {
    const def: VariableDefinition =
      typeof d === 'string' ? { name: d, type: 'string', required: true } : { ...d };
    if (seen.has(def.name))
      problems.push({ path: `variables[${i}]`, message: `'${def.name}' is declared twice` });
    seen.add(def.name);
    if (def.default !== undefined) {
      const wrong = typeProblem(def.type, def.default);
      if (wrong) problems.push({ path: `variables[${i}].default`, message: wrong });
    }
    return def;
  });
  return { definitions, problems };
}

export interface ValueProblems {
  missing: string[];
  unknown: string[];
  wrongType: { name: string; expected: VariableType; message: string }[];
}

export type ResolveResult = { ok: true; values: Record<string, string> } | ({ ok: false } & ValueProblems);

/**
 * Checks caller values against the declarations and turns them into the text that is inserted:
 * a missing required variable, an undeclared one or a wrong type is an error, never an empty string.
 */
export function resolveValues(
  definitions: VariableDefinition[],
  input: Record<string, unknown>,
): ResolveResult {
  const missing: string[] = [];
  const wrongType: ValueProblems['wrongType'] = [];
  // Null prototype and own properties only: a caller's `{"__proto__": …}` or a name like `constructor` is data.
  const values: Record<string, string> = Object.create(null);
  for (const def of definitions) {
    let value = Object.hasOwn(input, def.name) ? input[def.name] : undefined;
    if (value === undefined || value === null) {
      if (def.default !== undefined) value = def.default;
      else if (def.required) {
        missing.push(def.name);
        continue;
      } else {
        values[def.name] = '';
        continue;
      }
    }
    const wrong = typeProblem(def.type, value);
    if (wrong) {
      wrongType.push({ name: def.name, expected: def.type, message: wrong });
      continue;
    }
    values[def.name] = toText(def.type, value);
  }
  const declared = new Set(definitions.map((d) => d.name));
  const unknown = Object.keys(input).filter((k) => !declared.has(k));
  if (missing.length || unknown.length || wrongType.length) return { ok: false, missing, unknown, wrongType };
  return { ok: true, values };
}

function typeProblem(type: VariableType, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${describe(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `expected a number, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected a boolean, got ${describe(value)}`;
    case 'json':
      return undefined;
  }
}

function toText(type: VariableType, value: unknown): string {
  return type === 'json' ? JSON.stringify(value) : String(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
