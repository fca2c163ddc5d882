import { parseArgs } from 'node:util';

/** `promptscope gemini-server`: the local Gemini / Vertex AI wire-format server, for demos. */
export async function geminiServer(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '0' } } });
  const { startGeminiWireServer } = await import('../testing/gemini-wire-server.ts');
  const server = await startGeminiWireServer({ port: Number(values.port) });
  out(`Gemini wire-format server on ${server.url}
  Gemini API:  new GoogleGenAI({ apiKey: 'any', httpOptions: { baseUrl: '${server.url}' } })
  promptscope: PROMPTSCOPE_GEMINI_BASE_URL=${server.url} GEMINI_API_KEY=any npm start
Press Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}
