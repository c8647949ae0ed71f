// E2EE status, per participant and for the room. LiveKit says whether a
// participant's published tracks are encrypted (isEncrypted) and reports
// frames this key cannot decrypt (EncryptionError); the page shows both,
// always, in words.

import { useIsEncrypted } from '@livekit/components-react';
import type { Participant } from 'livekit-client';
import { useMeeting } from './context';
import { LockIcon, WarnIcon } from './icons';

export type ParticipantE2EE = 'encrypted' | 'unencrypted' | 'undecryptable' | 'outdated'
  | 'idle' | 'off';

export function useParticipantE2EE(p: Participant): ParticipantE2EE {
  const m = useMeeting();
  const encrypted = useIsEncrypted(p);
  if (!m.e2ee) return 'off';
  const problem = p.isLocal ? undefined : m.problems.get(p.identity);
  if (problem) return problem === 'outdated' ? 'outdated' : 'undecryptable';
  if (p.trackPublications.size === 0) return 'idle';
  return encrypted ? 'encrypted' : 'unencrypted';
}

const LABEL: Record<ParticipantE2EE, (name: string, local: boolean) => string> = {
  encrypted: () => 'Encrypted',
  unencrypted: (_n, local) => (local ? 'Your media is NOT encrypted' : 'Sending unencrypted media'),
  undecryptable: () => 'Cannot decrypt with this link\'s key',
  outdated: () => 'This link\'s key is out of date',
  idle: () => 'No media yet',
  off: () => 'Not end-to-end encrypted',
};

/** A participant's E2EE state, as a small labelled mark. */
export function E2EEMark({ participant }: { participant: Participant }) {
  const state = useParticipantE2EE(participant);
  if (state === 'off') return null;
  const name = participant.name || participant.identity;
  const label = LABEL[state](name, participant.isLocal);
  return (
    <span className="e2ee-mark" data-testid="e2ee-mark" data-state={state}
          title={`${name}: ${label}`}>
      {state === 'encrypted' ? <LockIcon /> : state === 'idle' ? null : <WarnIcon />}
      <span className={state === 'encrypted' || state === 'idle' ? 'sr-only' : ''}>{label}</span>
    </span>
  );
}
