// Every account: active or deactivated (deactivating ends its sessions at
// once), superadmin or not (applies at the user's next token refresh: a
// reload of their page). A superadmin cannot deactivate or demote
// themselves here, so the console always has someone to run it.

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import * as admin from '../api-admin';
import { useSession } from '../session';
import { Dialog, ErrorNote, when } from '../ui';
import { Pager } from './Rooms';

const LIMIT = 25;

export function Users() {
  const { user: me } = useSession();
  const qc = useQueryClient();
  const [page, setPage] = useState(1);
  const [deactivating, setDeactivating] = useState<admin.AdminUser | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState('');
  const users = useQuery({ queryKey: ['admin', 'users', 'page', page],
                           queryFn: () => admin.users(page, LIMIT) });
  const pages = Math.max(1, Math.ceil((users.data?.total ?? 0) / LIMIT));

  const act = (u: admin.AdminUser, what: Promise<unknown>) => {
    setError(null);
    setBusy(u.id);
    what.then(() => qc.invalidateQueries({ queryKey: ['admin', 'users'] }))
      .catch(setError)
      .finally(() => setBusy(''));
  };

  return (
    <section data-testid="admin-users">
      <ErrorNote error={users.error ?? error} testid="users-error" />
      {users.isPending && <p className="loading" role="status">Loading the accounts…</p>}
      {users.data && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th><th scope="col">Email</th><th scope="col">Kind</th>
                <th scope="col">Status</th><th scope="col">Superadmin</th>
                <th scope="col">Since</th><th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((u) => {
                const self = u.id === me?.id;
                const su = u.accesses.includes('superadmin');
                return (
                  <tr key={u.id} data-testid="admin-user" data-email={u.email}
                      data-active={u.isActive} data-superadmin={su}>
                    <td>{u.name}{self && <span className="tag">you</span>}</td>
                    <td className="wrap">{u.email}</td>
                    <td>{u.provider}</td>
                    <td>
                      <span className={u.isActive ? 'pill ok' : 'pill bad'} data-testid="user-status">
                        {u.isActive ? 'Active' : 'Deactivated'}
                      </span>
                    </td>
                    <td>
                      <label className="check">
                        <input type="checkbox" checked={su} data-testid="user-superadmin"
                               disabled={self || busy === u.id}
                               aria-label={`${u.name} is a superadmin`}
                               onChange={(e) => act(u, admin.setAccesses(u.id,
                                 admin.withRole(u.accesses, 'superadmin', e.target.checked)))} />
                        <span className="sr-only">superadmin</span>
                      </label>
                    </td>
                    <td>{when(u.createdAt)}</td>
                    <td>
                      {u.isActive
                        ? <button type="button" className="small danger" data-testid="user-deactivate"
                                  disabled={self || busy === u.id}
                                  onClick={() => setDeactivating(u)}>Deactivate</button>
                        : <button type="button" className="small" data-testid="user-activate"
                                  disabled={busy === u.id}
                                  onClick={() => act(u, admin.setActive(u.id, true))}>Activate</button>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pages={pages} onPage={setPage} />
      <Dialog open={deactivating !== null} onClose={() => setDeactivating(null)}
              title={deactivating ? `Deactivate ${deactivating.name}?` : 'Deactivate'}
              testid="deactivate-dialog">
        {deactivating && (
          <div className="dialog-body">
            <p>{deactivating.name} ({deactivating.email}) is signed out everywhere at once and
              cannot sign in until the account is activated again. Their rooms stay.</p>
            <div className="row end">
              <button type="button" className="danger" data-testid="confirm-deactivate"
                      onClick={() => {
                        const u = deactivating;
                        setDeactivating(null);
                        act(u, admin.setActive(u.id, false));
                      }}>Deactivate</button>
              <button type="button" onClick={() => setDeactivating(null)}>Cancel</button>
            </div>
          </div>
        )}
      </Dialog>
    </section>
  );
}
