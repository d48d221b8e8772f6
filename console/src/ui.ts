/** Shared pieces of the pages: notices, error boxes, headings that take focus, action buttons. */
import { ApiFailure } from './api.js';
import { type Child, h } from './dom.js';

/** A polite announcement in the page's status region (screen readers read it out). */
export function notify(message: string): void {
  const el = document.getElementById('notice');
  if (!el) return;
  el.textContent = message;
  el.classList.add('shown');
  window.setTimeout(() => {
    if (el.textContent === message) el.classList.remove('shown');
  }, 6000);
}

export function errorText(err: unknown): string {
  if (err instanceof ApiFailure) return `${err.message} (HTTP ${err.status})`;
  return err instanceof Error ? err.message : String(err);
}

/** An alert box for a failed request, announced at once. */
export function errorBox(err: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, errorText(err));
}

export function heading(text: Child, ...rest: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, text), ...rest);
}

/** A button that runs `work`, disabled while it runs; a failure lands in `errors` as an alert. */
export function actionButton(
  label: string,
  work: () => Promise<void>,
  errors: HTMLElement,
  attrs: Record<string, string> = {},
): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    errors.replaceChildren();
    try {
      await work();
    } catch (err) {
      errors.replaceChildren(errorBox(err));
    } finally {
      b.disabled = false;
    }
  });
  return b;
}
