/** A few DOM helpers: elements by id (failing loudly when the page lacks one) and building nodes. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`console: no element #${id}`);
  return el as T;
}

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | boolean | number | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (typeof value === 'boolean') el.toggleAttribute(name, value);
    else el.setAttribute(name, String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

/** Says something to everyone: visible and read by screen readers (role=status). */
export function say(message: string, error = false): void {
  const status = $('status');
  status.textContent = message;
  status.classList.toggle('error', error);
}

export const usd = (value: unknown) => (typeof value === 'number' ? `$${value.toFixed(4)}` : '–');
