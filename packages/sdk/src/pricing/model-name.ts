/**
 * One spelling per model, so that `publishers/google/models/gemini-2.5-flash-001`, `models/gemini-2.5-flash`,
 * `google/gemini-2.5-flash` and `gemini-2.5-flash@001` all find the price of `gemini-2.5-flash`.
 */
export function normaliseModelName(model: string): string {
  let m = model.trim().toLowerCase();
  m = m.replace(/^projects\/[^/]+\/locations\/[^/]+\//, '');
  m = m.replace(/^publishers\/[^/]+\/models\//, '');
  m = m.replace(/^models\//, '');
  m = m.replace(/^(google|googleai|gemini|vertex_ai|vertexai)\//, '');
  m = m.replace(/@[a-z0-9._-]+$/, '');
  m = m.replace(/-\d{3}$/, '');
  return m;
}
