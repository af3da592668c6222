// Signs in with a password, fetches the user's own subject snapshot from tessera
// with the user's access token, and shows or hides each action by a decision made
// in the page. The snapshot holds nothing about any other user, and it expires:
// the poller fetches a fresh one ahead of time, and if none comes, every decision
// fails (ERR_SNAPSHOT_EXPIRED) and the page shows no action at all.
import { SnapshotPoller } from 'tessera-authz';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('config.json')).json();
let session; // { user, access, refresh, until }
let poller;

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.message ?? answer.error ?? `${path} answered ${response.status}`);
  return answer;
}

function keep(user, tokens) {
  session = { user, access: tokens.access_token, refresh: tokens.refresh_token, until: Date.now() + tokens.expires_in * 1000 };
}

/** The access token, refreshed when it has less than a minute left. */
async function accessToken() {
  if (session.until - Date.now() < 60_000) keep(session.user, await post('/session/refresh', { refresh_token: session.refresh }));
  return session.access;
}

const buttons = () => document.querySelectorAll('#actions button');
const showNothing = () => buttons().forEach((button) => { button.hidden = true; });

function render() {
  // A download in flight at sign-out may still report: there is no one to show.
  if (!session) return showNothing();
  const authz = poller?.authorizer;
  try {
    for (const button of buttons()) button.hidden = !authz?.check(session.user, button.dataset.permission).allowed;
    if (authz) {
      $('until').textContent = new Date(authz.info.expires_at * 1000).toISOString();
      $('status').textContent = '';
    }
  } catch (error) {
    // Fail closed: an expired snapshot (or any refusal) shows nothing.
    showNothing();
    $('status').textContent = error.code === 'ERR_SNAPSHOT_EXPIRED' ? 'Permissions expired; reconnecting…' : `${error.code}: ${error.message}`;
  }
}

$('signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  const user = $('username').value;
  try {
    keep(user, await post('/session', { username: user, password: $('password').value }));
    poller = new SnapshotPoller(`${config.tessera}/api/snapshot/subject`, {
      snapshotKeys: config.snapshotKeys,
      headers: async () => ({ authorization: `Bearer ${await accessToken()}` }),
      onUpdate: render,
      onError: render,
    });
    await poller.ready;
    $('password').value = '';
    $('who').textContent = user;
    $('signin').hidden = true;
    $('session').hidden = false;
    render();
  } catch (error) {
    poller?.stop();
    poller = undefined;
    $('status').textContent = `Sign-in failed: ${error.message}`;
  }
});

$('signout').addEventListener('click', async () => {
  poller?.stop();
  poller = undefined;
  const ending = session;
  session = undefined;
  showNothing();
  $('session').hidden = true;
  $('signin').hidden = false;
  $('status').textContent = 'Signed out.';
  await post('/session/end', { token: ending.refresh }).catch(() => {});
});

// Decisions are re-made every second, so an expiry shows even with nothing to fetch.
setInterval(render, 1000);
