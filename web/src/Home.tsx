// Signed out: sign in or create an account. Signed in: a new meeting
// (end-to-end encrypted by default: the key is made here and travels only
// in the link) or open one by its link.

import { useState } from 'react';
import * as api from './api';
import { Form } from './forms';
import { newRoomKey, parsePasted, toFragment } from './keys';
import { navigate } from './nav';
import { useSession } from './session';

export function AuthForms({ then }: { then?: () => void }) {
  const { reload } = useSession();
  const done = async () => { await reload(); then?.(); };
  return (
    <div className="cards">
      <Form id="login" title="Sign in" submit="Sign in"
            fields={[{ name: 'email', label: 'Email', type: 'email', autoComplete: 'email' },
                     { name: 'password', label: 'Password', type: 'password',
                       autoComplete: 'current-password' }]}
            onSubmit={async (v) => { await api.login(v.email, v.password); await done(); }} />
      <Form id="register" title="Create an account" submit="Create account"
            fields={[{ name: 'name', label: 'Name', autoComplete: 'name' },
                     { name: 'email', label: 'Email', type: 'email', autoComplete: 'email' },
                     { name: 'password', label: 'Password', type: 'password',
                       autoComplete: 'new-password' }]}
            onSubmit={async (v) => {
              await api.register(v.email, v.password, v.name);
              await done();
            }} />
    </div>
  );
}

function Lobby() {
  const [e2ee, setE2ee] = useState(true);
  const [guests, setGuests] = useState(false);
  return (
    <div className="cards">
      <Form id="create" title="New meeting" submit="Create and join"
            fields={[{ name: 'room', label: 'Room name (empty: generated)', required: false,
                       maxLength: 64 }]}
            onSubmit={async (v) => {
              const room = await api.createRoom(v.room ?? '', e2ee, guests);
              const path = `/r/${encodeURIComponent(room.name)}`;
              // the key is made here and only ever lives in the link
              navigate(room.settings.e2ee ? `${path}#${toFragment(newRoomKey())}` : path,
                       { created: true });
            }}>
        <label className="check">
          <input type="checkbox" name="e2ee" checked={e2ee}
                 onChange={(e) => setE2ee(e.target.checked)} />
          <span>End-to-end encrypted (the key stays in the link)</span>
        </label>
        <label className="check">
          <input type="checkbox" name="guests" checked={guests}
                 onChange={(e) => setGuests(e.target.checked)} />
          <span>Guests may join with the link, without an account</span>
        </label>
      </Form>
      <Form id="open" title="Join a meeting" submit="Join"
            fields={[{ name: 'link', label: 'Meeting link or room name' }]}
            onSubmit={async (v) => {
              const p = parsePasted(v.link);
              if (!p) throw new Error('That is not a meeting link or a room name.');
              navigate(`/r/${encodeURIComponent(p.room)}${p.hash}`);
            }} />
    </div>
  );
}

export function Home() {
  const { user, loading } = useSession();
  if (loading) return <p className="loading" role="status">Loading…</p>;
  return user ? <Lobby /> : <AuthForms />;
}
