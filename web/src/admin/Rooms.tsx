// Every room: E2EE dot (green on, red off), owner, people in it now (from
// LiveKit), active or closed, and closing it (the record stays, the
// meeting ends). Paged, newest first.

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import * as api from '../api';
import * as admin from '../api-admin';
import { describeError } from '../errors';
import { Dialog, E2EEDot, ErrorNote, when } from '../ui';

const LIMIT = 20;
const POLL_MS = 5000;

/** Owners' names by user id (the first 100 accounts; others by id). */
export function useOwners() {
  const users = useQuery({ queryKey: ['admin', 'users', 1], queryFn: () => admin.users(1, 100) });
  return (id: string | undefined) => {
    const u = users.data?.users.find((x) => x.id === id);
    return u ? u.name : id ? `${id.slice(0, 8)}…` : '—';
  };
}

export function Rooms() {
  const [page, setPage] = useState(1);
  const [closing, setClosing] = useState<api.Room | null>(null);
  const rooms = useQuery({ queryKey: ['admin', 'rooms', 'page', page],
                           queryFn: () => admin.rooms(page, LIMIT), refetchInterval: POLL_MS });
  const lk = useQuery({ queryKey: ['admin', 'livekit'], queryFn: admin.livekitStats,
                        refetchInterval: POLL_MS });
  const owner = useOwners();
  const now = (name: string) => lk.data?.rooms.find((r) => r.name === name)?.numParticipants ?? 0;
  const pages = Math.max(1, Math.ceil((rooms.data?.total ?? 0) / LIMIT));

  return (
    <section data-testid="admin-rooms">
      <ErrorNote error={rooms.error} />
      {lk.isError && (
        <p className="notice warn" data-testid="livekit-error">
          People in the meetings are unknown: {describeError(lk.error)}
        </p>
      )}
      {rooms.isPending && <p className="loading" role="status">Loading the rooms…</p>}
      {rooms.data && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col"><span className="sr-only">End-to-end encryption</span>E2EE</th>
                <th scope="col">Room</th><th scope="col">Owner</th>
                <th scope="col">People now</th><th scope="col">State</th>
                <th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {rooms.data.rooms.length === 0 && (
                <tr><td colSpan={7} className="muted">No rooms yet.</td></tr>
              )}
              {rooms.data.rooms.map((r) => (
                <tr key={r.id} data-testid="admin-room" data-room={r.name}>
                  <td><E2EEDot on={r.settings.e2ee} /></td>
                  <td><Link href={`/rooms/${r.id}`} data-testid="admin-room-link">{r.name}</Link></td>
                  <td>{owner(r.adminId || r.createdBy)}</td>
                  <td data-testid="admin-room-now">{lk.isSuccess ? now(r.name) : '—'}</td>
                  <td>{r.isActive ? 'Active' : <span className="muted">Closed</span>}</td>
                  <td>{when(r.createdAt)}</td>
                  <td>
                    <button type="button" className="danger small" data-testid="admin-room-close"
                            disabled={!r.isActive} onClick={() => setClosing(r)}>Close</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pages={pages} onPage={setPage} />
      <CloseRoomDialog room={closing} onClose={() => setClosing(null)} />
    </section>
  );
}

export function Pager({ page, pages, onPage }: {
  page: number; pages: number; onPage: (p: number) => void;
}) {
  if (pages <= 1) return null;
  return (
    <div className="row pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous</button>
      <span>Page {page} of {pages}</span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>Next</button>
    </div>
  );
}

/** Closing ends the meeting for everyone; a join by an account reopens it. */
export function CloseRoomDialog({ room, onClose }: { room: api.Room | null; onClose: () => void }) {
  const qc = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const close = () => { setError(null); onClose(); };
  return (
    <Dialog open={room !== null} onClose={close} title={room ? `Close ${room.name}?` : 'Close'}
            testid="close-dialog">
      {room && (
        <div className="dialog-body">
          <p>The meeting ends for everyone in it now. The room stays (closed); its owner or any
            account holder joining it opens it again.</p>
          <ErrorNote error={error} />
          <div className="row end">
            <button type="button" className="danger" data-testid="confirm-close" disabled={busy}
                    onClick={() => {
                      setBusy(true);
                      admin.closeRoom(room.id)
                        .then(() => { void qc.invalidateQueries({ queryKey: ['admin'] }); close(); })
                        .catch(setError)
                        .finally(() => setBusy(false));
                    }}>Close the room</button>
            <button type="button" onClick={close}>Cancel</button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
