// The server's settings: who may create an account (registration open,
// invite only) and the chat image limit, which this server acts on; the
// rest of Bedrud's record is stored for Bedrud's own clients and shown as
// unsupported (OAuth, passkeys, the mirrors of its config file are
// nginx's configuration here). Invite codes: create, copy the invite
// link, revoke.

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import * as admin from '../api-admin';
import { Form } from '../forms';
import { CopyButton, ErrorNote, when } from '../ui';

const ACTED_ON = ['registrationEnabled', 'tokenRegistrationOnly', 'chatUploadMaxBytes'];
const NOT_FIELDS = new Set(['id', 'updatedAt', 'supported']);

export function SettingsPage() {
  const settings = useQuery({ queryKey: ['admin', 'settings'], queryFn: admin.settings });
  return (
    <section data-testid="admin-settings">
      <ErrorNote error={settings.error} />
      {settings.isPending && <p className="loading" role="status">Loading the settings…</p>}
      {/* mounted once: a save updates the query's data, not the form's state */}
      {settings.data && <Switches s={settings.data} />}
      <Invites />
      {settings.data && <Unsupported s={settings.data} />}
    </section>
  );
}

function Switches({ s }: { s: admin.SystemSettings }) {
  const qc = useQueryClient();
  const [reg, setReg] = useState(s.registrationEnabled);
  const [invite, setInvite] = useState(s.tokenRegistrationOnly);
  const [max, setMax] = useState(s.chatUploadMaxBytes);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form id="admin-switches" className="card" onSubmit={(e) => {
      e.preventDefault();
      setError(null);
      setDone('');
      setBusy(true);
      admin.putSettings({ registrationEnabled: reg, tokenRegistrationOnly: invite,
                          chatUploadMaxBytes: max })
        .then((n) => {
          // what the server stored, shown as it answered
          setReg(n.registrationEnabled);
          setInvite(n.tokenRegistrationOnly);
          setMax(n.chatUploadMaxBytes);
          qc.setQueryData(['admin', 'settings'], n);
          setDone('Saved.');
        })
        .catch(setError)
        .finally(() => setBusy(false));
    }}>
      <h2>Accounts and uploads</h2>
      <label className="check">
        <input type="checkbox" name="registrationEnabled" checked={reg}
               onChange={(e) => setReg(e.target.checked)} />
        <span>Registration open: people may create accounts</span>
      </label>
      <label className="check">
        <input type="checkbox" name="tokenRegistrationOnly" checked={invite}
               onChange={(e) => setInvite(e.target.checked)} />
        <span>Invite only: creating an account needs an invite code</span>
      </label>
      <label>
        <span>Largest chat image in bytes (0: the server's own limit; rooms without
          end-to-end encryption only)</span>
        <input type="number" name="chatUploadMaxBytes" min={0} step={1} value={max}
               onChange={(e) => setMax(Math.max(0, Math.floor(Number(e.target.value) || 0)))} />
      </label>
      <p className="muted">Last changed: {when(s.updatedAt)}</p>
      <button type="submit" className="primary" disabled={busy}>Save</button>
      <ErrorNote error={error} />
      <p className="done" role="status">{done}</p>
    </form>
  );
}

function Invites() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['admin', 'invites'], queryFn: admin.invites });
  const [error, setError] = useState<unknown>(null);
  return (
    <section className="card" data-testid="invites">
      <h2>Invite codes</h2>
      <p className="muted">A code lets one person create an account while registration is
        invite only. The invite link opens the sign-up form with the code filled in.</p>
      <Form id="invite-create" className="inline-form" submit="Create invite"
            fields={[{ name: 'email', label: 'For (email, optional)', type: 'email',
                       required: false, autoComplete: 'off' },
                     { name: 'hours', label: 'Valid for (hours)', type: 'number',
                       defaultValue: '72' }]}
            onSubmit={async (v) => {
              await admin.createInvite({ email: v.email || undefined,
                                         expiresInHours: Number(v.hours) || 72 });
              await qc.invalidateQueries({ queryKey: ['admin', 'invites'] });
              return 'Invite created: copy its link below.';
            }} />
      <ErrorNote error={list.error ?? error} />
      {list.data && list.data.length === 0 && <p className="muted">No invite codes.</p>}
      {list.data && list.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr><th scope="col">Code</th><th scope="col">For</th><th scope="col">Expires</th>
                <th scope="col">State</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {list.data.map((i) => {
                const expired = new Date(i.expiresAt).getTime() < Date.now();
                return (
                  <tr key={i.id} data-testid="invite" data-token={i.token}>
                    <td><code className="wrap">{i.token}</code></td>
                    <td>{i.email || '—'}</td>
                    <td>{when(i.expiresAt)}</td>
                    <td>{i.used ? 'Used' : expired ? 'Expired' : 'Unused'}</td>
                    <td className="actions">
                      <CopyButton text={admin.inviteLink(location.origin, i.token)}
                                  label="Copy link" className="small" testid="invite-copy" />
                      <button type="button" className="small danger" data-testid="invite-revoke"
                              onClick={() => {
                                setError(null);
                                admin.deleteInvite(i.id)
                                  .then(() => qc.invalidateQueries({ queryKey: ['admin', 'invites'] }))
                                  .catch(setError);
                              }}>Revoke</button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function show(v: unknown): string {
  if (v === '' || v === null || v === undefined) return '—';
  return String(v);
}

/** Bedrud's fields this server does not act on: shown, marked, not edited. */
function Unsupported({ s }: { s: admin.SystemSettings }) {
  const fields = Object.keys(s).filter((k) => !NOT_FIELDS.has(k) && !ACTED_ON.includes(k)
                                              && s.supported?.[k] !== true);
  return (
    <details className="card" data-testid="unsupported">
      <summary>Not supported by this server ({fields.length} settings)</summary>
      <p className="muted">Kept for Bedrud's own clients, but this server does not act on them:
        OAuth and passkeys do not exist here, and the server, JWT, LiveKit, CORS and storage
        settings are nginx's configuration.</p>
      <dl className="facts-list">
        {fields.map((k) => (
          <div key={k} className="fact" data-testid="unsupported-setting" data-field={k}>
            <dt>{k}</dt>
            <dd>{show(s[k])} <span className="tag">unsupported</span></dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
