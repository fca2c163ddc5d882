// The built-in dashboards: the same figures as the API and the Grafana panels (it reads them from the API). Each view
// is a module of its own; this one signs in, picks the view from the URL's #fragment and draws it.
import { abView } from './ab-view.ts';
import { alertsView } from './alerts-view.ts';
import { budgetsView } from './budgets-view.ts';
import { el, main } from './dom.ts';
import { overview } from './overview.ts';
import { rolloutsView } from './rollouts-view.ts';
import { KEY, signIn } from './session.ts';
import { sessionsView } from './sessions-view.ts';
import { page } from './state.ts';
import { templateAdminView } from './template-admin-view.ts';
import { templateView } from './template-view.ts';
import { templatesView } from './templates-view.ts';

const VIEWS: Record<string, (argument: string) => Promise<void>> = {
  overview,
  template: templateView,
  ab: abView,
  // #templates lists them, #templates/<name> opens one.
  templates: (name) => (name ? templateAdminView(name) : templatesView()),
  sessions: sessionsView,
  budgets: budgetsView,
  rollouts: rolloutsView,
  alerts: alertsView,
};

async function render(): Promise<void> {
  const signedIn = Boolean(sessionStorage.getItem(KEY));
  signOut.hidden = !signedIn;
  if (!signedIn) return signIn();
  const [wanted = '', ...rest] = location.hash.slice(1).split('/');
  const view = Object.hasOwn(VIEWS, wanted) ? wanted : 'overview';
  let argument = rest.join('/');
  try {
    argument = decodeURIComponent(argument);
  } catch {
    // A hand-typed '%' that is no escape: the text as it is.
  }
  for (const a of document.querySelectorAll<HTMLElement>('header a'))
    a.classList.toggle('active', a.dataset.view === view);
  main.replaceChildren(el('p', {}, 'Loading…'));
  try {
    await VIEWS[view]!(argument);
    main.dataset.ready = view;
  } catch (error) {
    main.replaceChildren(el('p', { class: 'error' }, (error as Error).message));
    main.dataset.ready = 'error';
  }
}

const signOut = document.getElementById('signout') as HTMLButtonElement;
page.rerender = () => void render();
signOut.addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  void render();
});
window.addEventListener('hashchange', () => void render());
void render();
