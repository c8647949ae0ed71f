// The rooms dashboard ("/", signed in): the person's rooms as cards,
// newest first, with their E2EE badge, who may join, the capacity and who
// is in the meeting now (the server's presence, re-read every few
// seconds); a new room, a room's settings and its deletion in dialogs;
// joining any meeting by its link or name.

import { useQuery } from '@tanstack/react-query';
import {
  Globe, Lock, MessageSquareOff, MicOff, Plus, Settings, Trash2, Users, VideoOff,
} from 'lucide-react';
import { useState } from 'react';
import * as api from './api';
import { Form } from './forms';
import { loadKey, newRoomKey, parsePasted, toFragment } from './keys';
import { navigate } from './nav';
import { QueryRoot } from './queries';
import { CreateRoomDialog, DeleteRoomDialog, RoomSettingsDialog } from './RoomDialogs';
import { useSession } from './session';
import { E2EEBadge, ErrorNote, people } from './ui';

const POLL_MS = 5000;

// the room as it was when the dialog opened, followed while it is listed
type Open = { kind: 'create' } | { kind: 'settings' | 'delete'; room: api.OwnRoom } | null;

/** The page (a chunk of its own). */
export default function DashboardPage() {
  return <QueryRoot><Dashboard /></QueryRoot>;
}

function Dashboard() {
  const { user } = useSession();
  const [open, setOpen] = useState<Open>(null);
  const rooms = useQuery({
    queryKey: ['rooms', user?.id],
    queryFn: api.listRooms,
    refetchInterval: POLL_MS,
  });
  const list = rooms.data ?? [];
  const live = (r: api.OwnRoom) => list.find((x) => x.id === r.id) ?? r;
  const close = () => setOpen(null);

  return (
    <div className="dashboard" data-testid="dashboard">
      <div className="page-head">
        <h1>Your rooms</h1>
        <button type="button" className="primary" data-testid="new-room"
                onClick={() => setOpen({ kind: 'create' })}>
          <Plus aria-hidden size={16} /> New room
        </button>
      </div>

      <Form id="open" className="join-bar" submit="Join" submitClass=""
            fields={[{ name: 'link', label: 'Join a meeting by its link or room name',
                       placeholder: 'https://…/r/room-name#key=…  or  room-name',
                       autoComplete: 'off' }]}
            onSubmit={async (v) => {
              const p = parsePasted(v.link);
              if (!p) throw new Error('That is not a meeting link or a room name.');
              navigate(`/r/${encodeURIComponent(p.room)}${p.hash}`);
            }} />

      <section aria-labelledby="rooms-h" aria-busy={rooms.isPending}
               data-testid="rooms" data-state={rooms.isPending ? 'loading'
                 : rooms.isError && !rooms.data ? 'error' : list.length ? 'list' : 'empty'}>
        <h2 id="rooms-h" className="sr-only">Rooms</h2>
        {rooms.isPending && (
          <div className="room-grid" data-testid="rooms-loading">
            <p className="sr-only" role="status">Loading your rooms…</p>
            {[0, 1, 2].map((i) => <div key={i} className="room-card skeleton" aria-hidden />)}
          </div>
        )}
        {rooms.isError && (
          <div className="notice error" data-testid="rooms-error">
            <ErrorNote error={rooms.error} />
            <button type="button" disabled={rooms.isFetching}
                    onClick={() => { void rooms.refetch(); }}>
              {rooms.isFetching ? 'Trying again…' : 'Try again'}
            </button>
          </div>
        )}
        {rooms.isSuccess && list.length === 0 && (
          <div className="empty card" data-testid="rooms-empty">
            <h2>No rooms yet</h2>
            <p>Create a room to start a meeting. It is end-to-end encrypted unless you say
              otherwise, and it stays here for your next meetings.</p>
            <button type="button" className="primary" onClick={() => setOpen({ kind: 'create' })}>
              Create your first room
            </button>
          </div>
        )}
        {list.length > 0 && (
          <ul className="room-grid">
            {list.map((r) => (
              <RoomCard key={r.id} room={r}
                        onSettings={() => setOpen({ kind: 'settings', room: r })}
                        onDelete={() => setOpen({ kind: 'delete', room: r })} />
            ))}
          </ul>
        )}
      </section>

      <CreateRoomDialog open={open?.kind === 'create'} onClose={close} />
      <RoomSettingsDialog room={open?.kind === 'settings' ? live(open.room) : null} onClose={close} />
      <DeleteRoomDialog room={open?.kind === 'delete' ? live(open.room) : null} onClose={close} />
    </div>
  );
}

function RoomCard({ room, onSettings, onDelete }: {
  room: api.OwnRoom; onSettings: () => void; onDelete: () => void;
}) {
  const s = room.settings;
  const max = room.maxParticipants ?? 0;
  const path = `/r/${encodeURIComponent(room.name)}`;
  // an E2EE room's key is not on the server: this tab may hold it
  const hasKey = s.e2ee && loadKey(sessionStorage, room.name) !== null;
  const live = room.activeNow > 0;
  return (
    <li className="room-card" data-testid="room-card" data-room={room.name}
        data-e2ee={s.e2ee} data-active={room.activeNow}>
      <div className="room-card-head">
        <h3>{room.name}</h3>
        <E2EEBadge on={s.e2ee} />
      </div>
      <ul className="facts">
        <li data-testid="room-live" data-state={live ? 'live' : 'idle'}>
          <span className={live ? 'live-dot on' : 'live-dot'} aria-hidden />
          {live ? `${people(room.activeNow)} in the meeting now` : 'Nobody in the meeting now'}
        </li>
        <li data-testid="room-access">
          {room.isPublic
            ? <><Globe aria-hidden size={14} /> Guests may join with the link</>
            : <><Lock aria-hidden size={14} /> Account holders only</>}
        </li>
        <li data-testid="room-capacity">
          <Users aria-hidden size={14} /> {max > 0 ? `Up to ${people(max)}` : 'No limit on people'}
        </li>
        {(!s.allowAudio || !s.allowVideo || !s.allowChat) && (
          <li className="off">
            {!s.allowAudio && <span><MicOff aria-hidden size={14} /> no audio</span>}
            {!s.allowVideo && <span><VideoOff aria-hidden size={14} /> no video</span>}
            {!s.allowChat && <span><MessageSquareOff aria-hidden size={14} /> no chat</span>}
          </li>
        )}
      </ul>
      {s.e2ee && !hasKey && (
        <p className="hint" data-testid="room-keynote">
          The key is only in the meeting link. Join with the link, or start with a new link
          {live ? ' once nobody is in the meeting' : ''}.
        </p>
      )}
      <div className="row">
        <button type="button" className="primary" data-testid="room-join"
                onClick={() => navigate(path)}>Join</button>
        {s.e2ee && !hasKey && (
          <button type="button" data-testid="room-new-link" disabled={live}
                  title={live ? 'People are in the meeting with the current key' : undefined}
                  onClick={() => navigate(`${path}#${toFragment(newRoomKey())}`, { created: true })}>
            New link
          </button>
        )}
        <span className="spacer" />
        <button type="button" className="icon-button" data-testid="room-settings"
                aria-label={`Settings of ${room.name}`} onClick={onSettings}>
          <Settings aria-hidden size={18} />
        </button>
        <button type="button" className="icon-button danger" data-testid="room-delete"
                aria-label={`Delete ${room.name}`} onClick={onDelete}>
          <Trash2 aria-hidden size={18} />
        </button>
      </div>
    </li>
  );
}
