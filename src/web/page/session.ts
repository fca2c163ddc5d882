import { el, main } from './dom.ts';
import { page } from './state.ts';

/** The API key lives in this tab's session storage and goes out as a header, never in a URL. */
export const KEY = 'promptscope.key';

/** Why the last key was refused, shown on the sign-in form until the next attempt. */
let signInProblem = '';

interface ErrorBody {
  error?: { message?: string };
}

/** GET an API path with the key; a refused key signs out and says why on the sign-in form. */
export async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` } });
  const body = (await res.json().catch(() => ({}))) as T & ErrorBody;
  if (res.status === 401) {
    sessionStorage.removeItem(KEY);
    signInProblem = `That key was refused: ${body.error?.message ?? 'unauthorized'}.`;
    page.rerender();
    throw new Error('the API key was refused');
  }
  if (!res.ok) throw new Error(body.error?.message ?? `${res.status}`);
  return body;
}

/**
 * A change through the API with the key (POST, PUT…): the answer's status and body, so a form can show the API's own
 * message for a refused change (a 403 for a key that may only read, a 409, a 422 naming the field).
 */
export async function send<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ ok: boolean; status: number; body: T & ErrorBody }> {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(KEY)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await res.json().catch(() => ({}))) as T & ErrorBody;
  return { ok: res.ok, status: res.status, body: parsed };
}

/** What the signed-in key may do, as GET /api/v1/me says: asked once per view. */
export async function scopesOfKey(): Promise<{
  admin: boolean;
  write: boolean;
  promote: boolean;
  name: string;
}> {
  const me = await api<{ name: string; scopes: string[] }>('/api/v1/me');
  const has = (...s: string[]) => me.scopes.some((g) => g === 'admin' || s.includes(g));
  return {
    admin: has(),
    write: has('prompts:write', 'prompts:promote'),
    promote: has('prompts:promote'),
    name: me.name,
  };
}

/** Whether the signed-in key may change things (an admin key): asked once per view. */
export async function canAdminister(): Promise<boolean> {
  return (await scopesOfKey()).admin;
}

export function signIn(): void {
  const input = el('input', { type: 'password', id: 'key', autocomplete: 'off', placeholder: 'psk_…' });
  const form = el(
    'form',
    { class: 'signin', id: 'signin' },
    el('h2', {}, 'Sign in'),
    el(
      'p',
      {},
      'An API key: telemetry:read for the figures, prompts:read to see templates, prompts:write or admin to change them.',
    ),
    ...(signInProblem ? [el('p', { class: 'error', role: 'alert' }, signInProblem)] : []),
    input,
    el('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    signInProblem = '';
    sessionStorage.setItem(KEY, input.value.trim());
    page.rerender();
  });
  main.replaceChildren(form);
}
