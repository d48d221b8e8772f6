/**
 * The console shell: sign-in, the navigation, and a hash router (`#/systems`, `#/recipes/7`, …) that
 * renders one page into `<main>`. A page may return a clean-up function (live views unsubscribe).
 */
import { fill, h } from './dom.js';
import { startLive, stopLive } from './live.js';
import { renderFleet } from './pages/fleet.js';
import { renderLogin } from './pages/login.js';
import { renderRecipe } from './pages/recipe.js';
import { renderRecipeForm } from './pages/recipe-form.js';
import { renderRecipes } from './pages/recipes.js';
import { renderSoftware } from './pages/software.js';
import { renderSystem } from './pages/system.js';
import { renderSystems } from './pages/systems.js';
import { type Me, resume, signOut } from './session.js';
import { errorBox } from './ui.js';

export type Cleanup = () => void;
type Render = (main: HTMLElement, params: string[]) => Promise<Cleanup | undefined> | Cleanup | undefined;

const ROUTES: { pattern: RegExp; title: string; render: Render }[] = [
  { pattern: /^systems$/, title: 'Systems', render: (m) => renderSystems(m) },
  { pattern: /^systems\/(.+)$/, title: 'System', render: (m, p) => renderSystem(m, p[0] as string) },
  { pattern: /^recipes$/, title: 'Recipes', render: (m) => renderRecipes(m) },
  { pattern: /^recipes\/new$/, title: 'New recipe', render: (m) => renderRecipeForm(m, null) },
  {
    pattern: /^recipes\/(\d+)\/edit$/,
    title: 'Edit recipe',
    render: (m, p) => renderRecipeForm(m, Number(p[0])),
  },
  { pattern: /^recipes\/(\d+)$/, title: 'Recipe', render: (m, p) => renderRecipe(m, Number(p[0])) },
  { pattern: /^software$/, title: 'Software', render: (m) => renderSoftware(m) },
  { pattern: /^fleet$/, title: 'Fleet picture', render: (m) => renderFleet(m) },
];

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const userBox = document.getElementById('user') as HTMLElement;
let cleanup: Cleanup | undefined;
let user: Me | null = null;
let navigated = false;

function showUser(): void {
  if (!user) {
    nav.hidden = true;
    userBox.replaceChildren();
    return;
  }
  nav.hidden = false;
  const out = h('button', { type: 'button', class: 'link' }, 'Sign out');
  out.addEventListener('click', () => {
    signOut();
    user = null;
    stopLive();
    location.hash = '#/systems';
    void route();
  });
  fill(userBox, h('span', { class: 'who' }, user.name, ' (', user.roles.join(', '), ')'), ' ', out);
}

async function route(): Promise<void> {
  cleanup?.();
  cleanup = undefined;
  if (!user) {
    showUser();
    document.title = 'Sign in · SOUP console';
    navigated = true;
    renderLogin(main, (me) => {
      user = me;
      startLive();
      void route();
    });
    return;
  }
  showUser();
  const path = location.hash.replace(/^#\/?/, '').split('?')[0] || 'systems';
  for (const a of nav.querySelectorAll('a')) {
    const target = a.getAttribute('href')?.slice(2) ?? '';
    if (path === target || path.startsWith(`${target}/`)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m !== null);
  if (!found) {
    fill(main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, `There is no page ${path}.`));
    return;
  }
  document.title = `${found.r.title} · SOUP console`;
  fill(main, h('p', { class: 'loading' }, 'Loading…'));
  const params = (found.m as RegExpExecArray).slice(1).map((p) => decodeURIComponent(p));
  try {
    cleanup = (await found.r.render(main, params)) ?? undefined;
  } catch (err) {
    fill(main, h('h1', { tabindex: '-1' }, found.r.title), errorBox(err));
  }
  main.dataset.page = found.r.title;
  // after a navigation within the console, focus goes to the new page's heading (not on first load)
  if (navigated) (main.querySelector('h1') as HTMLElement | null)?.focus({ preventScroll: true });
  navigated = true;
}

document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => void route());
window.addEventListener('soup:signed-out', () => {
  if (!user) return;
  signOut();
  user = null;
  stopLive();
  void route();
});

user = await resume();
if (user) startLive();
await route();
