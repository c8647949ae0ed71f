// Signing in and creating an account: the forms (also on a meeting page,
// for people who open a link signed out) and the sign-in page, which
// sends the person back where they were (?next=) and fills in an invite
// code from an invite link (?invite=). The server's registration switches
// decide what is offered: closed, invite only, or open.

import { useEffect, useState } from 'react';
import { Redirect, useSearch } from 'wouter';
import * as api from './api';
import { Form, type Field } from './forms';
import { useSession } from './session';
import { safeNext } from './session-util';
import { Loading } from './loading';

const EMAIL: Field = { name: 'email', label: 'Email', type: 'email', autoComplete: 'email' };

/**
 * The server's registration switches, read when the forms show (null
 * until then, or if the server cannot say: registration is offered, and
 * the server has the last word).
 */
function useAuthSettings(): api.AuthSettings | null {
  const [s, setS] = useState<api.AuthSettings | null>(null);
  useEffect(() => {
    let live = true;
    api.authSettings().then((x) => { if (live) setS(x); }, () => {});
    return () => { live = false; };
  }, []);
  return s;
}

export function AuthForms({ then, invite = '' }: { then?: () => void; invite?: string }) {
  const { reload } = useSession();
  const settings = useAuthSettings();
  const done = async () => { await reload(); then?.(); };
  const closed = settings?.registrationEnabled === false;
  const inviteOnly = settings?.tokenRegistrationOnly === true;
  return (
    <div className="cards">
      <Form id="login" title="Sign in" submit="Sign in"
            fields={[EMAIL,
                     { name: 'password', label: 'Password', type: 'password',
                       autoComplete: 'current-password' }]}
            onSubmit={async (v) => { await api.login(v.email, v.password); await done(); }} />
      {closed
        ? (
          <section id="register-closed" className="card">
            <h2>Create an account</h2>
            <p>This server does not take new accounts at the moment. Ask its administrator.</p>
          </section>
        )
        : (
          <Form id="register" title="Create an account" submit="Create account"
                fields={[{ name: 'name', label: 'Name', autoComplete: 'name', maxLength: 100 },
                         EMAIL,
                         { name: 'password', label: 'Password (12 characters or more)',
                           type: 'password', autoComplete: 'new-password', minLength: 12 },
                         ...(inviteOnly || invite
                           ? [{ name: 'inviteToken', defaultValue: invite, autoComplete: 'off',
                                required: inviteOnly,
                                label: inviteOnly ? 'Invite code (this server is invite only)'
                                  : 'Invite code' }]
                           : [])]}
                onSubmit={async (v) => {
                  await api.register(v.email, v.password, v.name, v.inviteToken);
                  await done();
                }} />
        )}
    </div>
  );
}

export function SignInPage() {
  const { user, loading, ended } = useSession();
  const query = new URLSearchParams(useSearch());
  const next = safeNext(query.get('next'));
  if (loading) return <Loading what="Loading…" />;
  if (user) return <Redirect to={`~${next}`} replace />;
  return (
    <section className="signin" data-testid="signin">
      <h1>Meetings end-to-end encrypted in your browser</h1>
      {ended
        ? (
          <p className="notice warn" role="alert" data-testid="session-ended">
            Your session has ended: it expired, or it was signed out (sign out everywhere,
            a password change). Sign in again
            {next !== '/' ? ' and you will be back where you were.' : '.'}
          </p>
        )
        : next !== '/' && (
          <p className="notice" data-testid="signin-needed">Sign in to open this page.</p>
        )}
      <AuthForms invite={query.get('invite') ?? ''} />
    </section>
  );
}
