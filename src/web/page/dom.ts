/** Small DOM helpers shared by every view. */

export const main = document.getElementById('main') as HTMLElement;

type Attributes = Record<string, string | EventListener>;
type Child = Node | string | number | null | undefined;

/** An element with attributes (`class`, `on…` listeners, the rest as attributes) and children (text or nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}
