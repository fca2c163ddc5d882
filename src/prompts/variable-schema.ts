import { z } from 'zod';
import { type CheckedVariableDeclaration, VARIABLE_TYPES, variableNameProblem } from '#sdk/templates';

const variableName = z.string().superRefine((name, ctx) => {
  const problem = variableNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The API's schema of a variable declaration: a plain name (the seed's form: a required string) or the typed form. */
export const variableDeclarationSchema = z.union([
  variableName,
  z
    .object({
      name: variableName,
      type: z.enum(VARIABLE_TYPES).default('string'),
      required: z.boolean().default(true),
      default: z.unknown().optional(),
      description: z.string().max(2000).optional(),
    })
    .strict(),
]);

// What the schema lets through is what the sdk's normaliseVariables takes.
const _sameShape: (d: z.output<typeof variableDeclarationSchema>) => CheckedVariableDeclaration = (d) => d;
