// Pages: "/" signs in and creates or opens a room; "/r/<name>" is the
// meeting. An E2EE room's link carries its key after "#key=".

import * as api from './api';
import { keyFromFragment, newRoomKey } from './e2ee';
import { chatPanel } from './chat';
import { startMeeting, type StatusKind } from './meeting';
import { el, form, mount } from './ui';

function go(path: string): void {
  history.pushState(null, '', path);
  route();
}

async function showWho(): Promise<void> {
  const who = document.getElementById('who')!;
  who.replaceChildren();
  if (!api.signedIn()) return;
  try {
    const u = await api.me();
    const out = el('button', { type: 'button', class: 'link' }, 'Sign out');
    out.addEventListener('click', () => {
      api.logout().finally(() => go('/'));
    });
    who.append(`${u.name} `, out);
  } catch {
    /* signed out meanwhile */
  }
}

function authForms(then: () => void): Node[] {
  return [
    form('login', 'Sign in', [['email', 'Email', 'email'],
                              ['password', 'Password', 'password']],
         'Sign in', async (v) => {
      await api.login(v.email, v.password);
      then();
    }),
    form('register', 'Create an account', [['name', 'Name', 'text'],
                                           ['email', 'Email', 'email'],
                                           ['password', 'Password', 'password']],
         'Create account', async (v) => {
      await api.register(v.email, v.password, v.name);
      then();
    }),
  ];
}

function lobby(): void {
  const e2ee = el('input', { type: 'checkbox', name: 'e2ee', checked: '' });
  const guests = el('input', { type: 'checkbox', name: 'guests' });
  mount(
    form('create', 'New meeting', [['room', 'Room name (empty: generated)', 'text']],
         'Create and join', async (v) => {
      const room = await api.createRoom(v.room ?? '', e2ee.checked,
                                        guests.checked);
      const path = `/r/${encodeURIComponent(room.name)}`;
      // the key is made here and only ever lives in the link
      go(room.settings.e2ee ? `${path}#key=${newRoomKey()}` : path);
    }, [el('label', { class: 'check' }, e2ee,
           'End-to-end encrypted (the key stays in the link)'),
        el('label', { class: 'check' }, guests,
           'Guests may join with the link, without an account')]),
    form('open', 'Join a meeting', [['link', 'Meeting link or room name', 'text']],
         'Join', async (v) => {
      const s = v.link.trim();
      const m = /\/r\/([^/#?]+)(#.*)?$/.exec(s);
      go(m ? `/r/${m[1]}${m[2] ?? ''}` : `/r/${encodeURIComponent(s)}`);
    }),
  );
}

// a guest's way in: the room's name and a display name, no account
function guestForm(name: string): Node {
  return form('guest', 'Join as a guest', [['guestName', 'Your name', 'text']],
              'Join', async (v) => {
    const join = await api.guestJoin(name, v.guestName);
    void meeting(name, async () => join);
  });
}

async function meeting(name: string,
                       join: () => Promise<api.Join>): Promise<void> {
  const statusLine = el('p', { id: 'status', class: 'status' }, 'Joining…');
  const grid = el('section', { id: 'grid', class: 'grid' });
  const status = (text: string, kind: StatusKind = 'info') => {
    statusLine.textContent = text;
    statusLine.dataset.kind = kind;
  };
  const share = el('input', { id: 'share', readonly: '', value: location.href });
  const leave = el('button', { type: 'button', id: 'leave' }, 'Leave');
  const controls = el('div', { class: 'controls' }, leave);
  mount(el('h1', {}, name), statusLine,
        el('label', { class: 'share' }, 'Link to share ', share), controls, grid);

  try {
    const j = await join();
    if (j.settings.e2ee) {
      document.body.dataset.e2ee = 'true';
    }
    const room = await startMeeting(j, keyFromFragment(location.hash),
                                    { grid, controls, status });
    if (j.settings.allowChat) grid.after(chatPanel(room));
    leave.addEventListener('click', () => {
      room.disconnect().finally(() => go('/'));
    });
    window.addEventListener('popstate', () => room.disconnect(), { once: true });
  } catch (e) {
    status((e as Error).message, 'error');
    leave.addEventListener('click', () => go('/'));
  }
}

function route(): void {
  void showWho();
  const m = /^\/r\/([^/]+)$/.exec(location.pathname);
  let name: string | null = null;
  try {
    name = m ? decodeURIComponent(m[1]) : null;
  } catch {
    /* a malformed %-escape: not a room */
  }
  if (name && api.signedIn()) {
    const room = name;
    void meeting(room, () => api.joinRoom(room));
  } else if (name) {
    mount(guestForm(name), ...authForms(route));
  } else if (api.signedIn()) {
    lobby();
  } else {
    mount(...authForms(route));
  }
}

window.addEventListener('popstate', route);
route();
