// The account ("/account"): the display name, the password (changing it
// ends every other session; this one stays), signing out here or on every
// device (POST /api/auth/logout {"all": true}).

import { useState } from 'react';
import * as api from './api';
import { describeError } from './errors';
import { Form } from './forms';
import { navigate } from './nav';
import { useSession } from './session';
import { Dialog, when } from './ui';

export default function Account() {
  const { user, reload, signOut } = useSession();
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  if (!user) return null;
  const guest = user.provider === 'guest';

  return (
    <div className="account" data-testid="account">
      <h1>Your account</h1>
      <dl className="facts-list">
        <dt>Email</dt><dd data-testid="account-email">{guest ? 'none (guest account)' : user.email}</dd>
        <dt>Roles</dt><dd>{(user.accesses ?? []).join(', ') || '—'}</dd>
        <dt>Since</dt><dd>{when(user.createdAt)}</dd>
      </dl>
      <div className="cards">
        <Form id="profile" title="Profile" submit="Save name"
              fields={[{ name: 'name', label: 'Display name (shown in meetings)',
                         defaultValue: user.name, autoComplete: 'name', maxLength: 100 }]}
              onSubmit={async (v) => {
                await api.rename(v.name.trim());
                // the meetings take the name from the access token: a fresh one
                await api.refresh().catch(() => false);
                await reload();
                return 'Saved. Meetings you join from now on show this name.';
              }} />
        {guest
          ? (
            <section className="card" id="password">
              <h2>Password</h2>
              <p>A guest account has no password.</p>
            </section>
          )
          : (
            <Form id="password" title="Change the password" submit="Change password"
                  fields={[{ name: 'current', label: 'Current password', type: 'password',
                             autoComplete: 'current-password' },
                           { name: 'next', label: 'New password (12 characters or more)',
                             type: 'password', autoComplete: 'new-password', minLength: 12 },
                           { name: 'again', label: 'New password again', type: 'password',
                             autoComplete: 'new-password', minLength: 12 }]}
                  onSubmit={async (v, form) => {
                    if (v.next !== v.again) throw new Error('The two new passwords differ.');
                    await api.changePassword(v.current, v.next);
                    form.reset();
                    return 'Password changed. Every other session of this account was '
                      + 'signed out; this one stays signed in.';
                  }} />
          )}
        <section className="card" id="sessions">
          <h2>Sessions</h2>
          <p>Sign out of this browser, or of every browser and device where this account is
            signed in (lost phone, shared computer).</p>
          <div className="row">
            <button type="button" data-testid="account-sign-out"
                    onClick={() => { void signOut().then(() => navigate('/')); }}>
              Sign out
            </button>
            <button type="button" className="danger" data-testid="sign-out-everywhere"
                    onClick={() => { setError(''); setConfirm(true); }}>
              Sign out everywhere
            </button>
          </div>
          <p className="error" role="alert">{!confirm && error}</p>
        </section>
      </div>
      <Dialog open={confirm} onClose={() => setConfirm(false)} title="Sign out everywhere?"
              testid="everywhere-dialog">
        <div className="dialog-body">
          <p>Every session of this account ends now, on every browser and device, this one
            included. Meetings in progress go on; rejoining needs signing in again.</p>
          <p className="error" role="alert">{error}</p>
          <div className="row end">
            <button type="button" className="danger" data-testid="confirm-everywhere"
                    disabled={busy}
                    onClick={() => {
                      setBusy(true);
                      signOut(true)
                        .then(() => { setConfirm(false); navigate('/'); })
                        .catch((e: unknown) => setError(describeError(e)))
                        .finally(() => setBusy(false));
                    }}>
              Sign out everywhere
            </button>
            <button type="button" onClick={() => setConfirm(false)}>Cancel</button>
          </div>
        </div>
      </Dialog>
    </div>
  );
}
