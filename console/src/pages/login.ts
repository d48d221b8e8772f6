/** Sign-in with a server-lite user (name and password as in its configuration). */
import { field, fill, h } from '../dom.js';
import { currentUser, type Me, signIn } from '../session.js';

export function renderLogin(main: HTMLElement, signedIn: (me: Me) => void): void {
  const name = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', tabindex: '-1' }, 'Sign in'),
    h('p', {}, 'Use your server-lite user. The console acts with your roles on the Management API.'),
    field('User name', name),
    field('Password', password),
    error,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    const problem = await signIn(name.value, password.value);
    submit.disabled = false;
    if (problem) {
      error.hidden = false;
      error.textContent = problem;
      password.select();
      return;
    }
    password.value = '';
    signedIn(currentUser());
  });
  fill(main, form);
  main.dataset.page = 'Sign in';
  name.focus();
}
