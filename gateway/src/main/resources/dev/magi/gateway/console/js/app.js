// The console's shell: the login form, the navigation, and one page at a time (its module under pages/).
// A page is {mount(root) → stop}: it fills root and returns a function that stops its timers and streams.

import { adminToken, onUnauthorized, profiles } from './api.js';
import { fill, h, problem } from './dom.js';
import overview from './pages/overview.js';
import models from './pages/models.js';
import profilesPage from './pages/profiles.js';
import requests from './pages/requests.js';
import playground from './pages/playground.js';
import stores from './pages/stores.js';
import cluster from './pages/cluster.js';

const PAGES = { overview, models, profiles: profilesPage, requests, playground, stores, cluster };
const root = document.getElementById('page');
const login = document.getElementById('login');
let stopPage = () => {};

function currentPage() {
  const name = location.hash.replace(/^#\/?/, '').split('/')[0];
  return PAGES[name] ? name : 'overview';
}

function show() {
  stopPage();
  stopPage = () => {};
  login.hidden = true;
  root.hidden = false;
  const name = currentPage();
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('current', link.dataset.page === name);
  }
  document.title = `${PAGES[name].title} · Magi console`;
  fill(root, h('h1', {}, PAGES[name].title));
  const body = h('div', { class: 'page', 'data-page': name });
  root.append(body);
  try {
    stopPage = PAGES[name].mount(body) || (() => {});
  } catch (error) {
    body.append(problem(error));
  }
}

function askForToken(error) {
  stopPage();
  stopPage = () => {};
  root.hidden = true;
  login.hidden = false;
  document.getElementById('login-error').textContent =
    error && adminToken.get() ? 'That token was refused.' : '';
  adminToken.clear();
  document.getElementById('logout').hidden = true;
  document.getElementById('token').focus();
}

onUnauthorized(askForToken);

document.getElementById('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const field = document.getElementById('token');
  adminToken.set(field.value);
  try {
    await profiles();
  } catch (error) {
    if (error.status === 401) return; // askForToken has said it was refused
  }
  field.value = '';
  document.getElementById('logout').hidden = false;
  show();
});

document.getElementById('logout').addEventListener('click', () => askForToken(null));
document.getElementById('logout').hidden = !adminToken.get();
window.addEventListener('hashchange', show);
show();
