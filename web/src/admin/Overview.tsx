// What is live now: people connected (the server's presence), LiveKit's
// media rooms and their people, and how many rooms and accounts exist.
// Re-read every few seconds.

import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import * as admin from '../api-admin';
import { E2EEDot, ErrorNote, people } from '../ui';

const POLL_MS = 5000;

function Stat({ label, value, testid }: { label: string; value: number | undefined; testid: string }) {
  return (
    <div className="stat" data-testid={testid}>
      <span className="stat-value">{value ?? '—'}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

export function Overview() {
  // asked together: one refresh serves them all if the token is stale
  const online = useQuery({ queryKey: ['admin', 'online'], queryFn: admin.onlineCount,
                            refetchInterval: POLL_MS });
  const lk = useQuery({ queryKey: ['admin', 'livekit'], queryFn: admin.livekitStats,
                        refetchInterval: POLL_MS });
  const rooms = useQuery({ queryKey: ['admin', 'rooms', 1], queryFn: () => admin.rooms(1, 100),
                           refetchInterval: POLL_MS });
  const users = useQuery({ queryKey: ['admin', 'users', 1], queryFn: () => admin.users(1, 100) });
  const roomOf = (name: string) => rooms.data?.rooms.find((r) => r.name === name);
  const live = (lk.data?.rooms ?? []).filter((r) => r.numParticipants > 0)
    .sort((a, b) => b.numParticipants - a.numParticipants);

  return (
    <section data-testid="admin-overview">
      <div className="stats">
        <Stat label="people connected now" value={online.data} testid="stat-online" />
        <Stat label="rooms active now" value={lk.data?.activeRooms} testid="stat-active-rooms" />
        <Stat label="publishing media" value={lk.data?.totalPublishers} testid="stat-publishers" />
        <Stat label="rooms in all" value={rooms.data?.total} testid="stat-rooms" />
        <Stat label="accounts" value={users.data?.total} testid="stat-users" />
      </div>
      <ErrorNote error={online.error} />
      <ErrorNote error={lk.error} testid="livekit-error" />
      <ErrorNote error={rooms.error ?? users.error} />
      <h2>Meetings going on</h2>
      {lk.isSuccess && live.length === 0 && <p className="muted">No meeting is going on.</p>}
      {live.length > 0 && (
        <ul className="live-rooms" data-testid="live-rooms">
          {live.map((r) => {
            const room = roomOf(r.name);
            return (
              <li key={r.name} data-room={r.name}>
                {room && <E2EEDot on={room.settings.e2ee} />}
                {room ? <Link href={`/rooms/${room.id}`}>{r.name}</Link> : <span>{r.name}</span>}
                <span className="muted">
                  {room && (room.settings.e2ee ? 'encrypted, ' : 'not encrypted, ')}
                  {people(r.numParticipants)}, {r.numPublishers} publishing
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
