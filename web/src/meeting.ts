// A meeting: LiveKit's Room, with frame encryption when the room is E2EE,
// and a tile per participant. What the page shows about encryption comes
// from LiveKit's own events, not from what we hoped to have configured.

import {
  DisconnectReason,
  Participant,
  RemoteParticipant,
  RemoteTrack,
  RemoteTrackPublication,
  Room,
  RoomEvent,
  Track,
  TrackPublication,
} from 'livekit-client';
import type { Join } from './api';
import { keyProvider, supported } from './e2ee';
import { el } from './ui';

export type StatusKind = 'info' | 'ok' | 'error';

export interface MeetingView {
  grid: HTMLElement;
  controls: HTMLElement;
  status(text: string, kind?: StatusKind): void;
}

// one tile per participant, by identity (identities are not CSS-safe ids)
const tiles = new Map<string, HTMLElement>();

function tile(view: MeetingView, p: Participant): HTMLElement {
  let t = tiles.get(p.identity);
  if (!t) {
    t = el('figure', { class: 'tile', 'data-identity': p.identity });
    t.append(el('figcaption', {}, p.name || p.identity));
    tiles.set(p.identity, t);
    view.grid.append(t);
  }
  return t;
}

function drop(p: Participant): void {
  tiles.get(p.identity)?.remove();
  tiles.delete(p.identity);
}

function attach(view: MeetingView, track: Track, p: Participant): void {
  const t = tile(view, p);
  const media = track.attach();
  media.dataset.source = track.source;
  if (track.kind === Track.Kind.Video) t.prepend(media);
  else t.append(media);
}

// an on/off button; aria-pressed says "on"
function toggle(id: string, label: string,
                set: (on: boolean) => Promise<unknown>): HTMLButtonElement {
  const b = el('button', { type: 'button', id, 'aria-pressed': 'true' },
               `${label} on`);
  b.addEventListener('click', () => {
    const on = b.getAttribute('aria-pressed') !== 'true';
    b.disabled = true;
    set(on).then(() => {
      b.setAttribute('aria-pressed', String(on));
      b.textContent = `${label} ${on ? 'on' : 'off'}`;
    }).finally(() => { b.disabled = false; });
  });
  return b;
}

export async function startMeeting(join: Join, key: Uint8Array | null,
                                   view: MeetingView): Promise<Room> {
  const e2ee = join.settings.e2ee;
  if (e2ee && !key) {
    throw new Error('This link has no room key (#key=...). Ask for the full link.');
  }
  if (e2ee && !supported()) {
    throw new Error('This browser cannot encrypt media end to end.');
  }

  tiles.clear();
  const room = new Room({
    adaptiveStream: true,
    dynacast: true,
    ...(e2ee && key ? { encryption: await keyProvider(key) } : {}),
  });

  room
    .on(RoomEvent.TrackSubscribed,
        (track: RemoteTrack, _pub: RemoteTrackPublication,
         p: RemoteParticipant) => attach(view, track, p))
    .on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => {
      track.detach().forEach((m) => m.remove());
    })
    .on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => drop(p))
    .on(RoomEvent.ParticipantEncryptionStatusChanged,
        (enabled: boolean, p?: Participant) => {
      if (!p) return;
      const t = tile(view, p);
      t.dataset.encrypted = String(enabled);
      if (e2ee && !enabled && p !== room.localParticipant) {
        view.status(`${p.name || p.identity} is not encrypting`, 'error');
      }
    })
    .on(RoomEvent.TrackMuted, (pub: TrackPublication, p: Participant) => {
      tile(view, p).dataset[pub.source === Track.Source.Camera ? 'camera' : 'mic'] = 'off';
    })
    .on(RoomEvent.TrackUnmuted, (pub: TrackPublication, p: Participant) => {
      tile(view, p).dataset[pub.source === Track.Source.Camera ? 'camera' : 'mic'] = 'on';
    })
    .on(RoomEvent.EncryptionError, (err: Error, p?: Participant) => {
      if (p) tile(view, p).dataset.decryptError = 'true';
      view.status(`Cannot decrypt ${p ? p.name || p.identity : 'media'}: `
                  + `a different room key? (${err.message})`, 'error');
    })
    .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
      view.status(reason === DisconnectReason.PARTICIPANT_REMOVED
                  ? 'The server removed you from this room.'
                  : 'Disconnected.', 'error');
    });

  if (e2ee) await room.setE2EEEnabled(true);

  // livekitHost is http(s)://...; the SDK turns it into ws(s)://
  await room.connect(join.livekitHost, join.token);
  await room.localParticipant.enableCameraAndMicrophone();
  view.controls.append(toggle('mic', 'Microphone',
                              (on) => room.localParticipant.setMicrophoneEnabled(on)),
                       toggle('camera', 'Camera',
                              (on) => room.localParticipant.setCameraEnabled(on)));

  for (const pub of room.localParticipant.trackPublications.values()) {
    if (pub.track && pub.kind === Track.Kind.Video) {
      attach(view, pub.track, room.localParticipant);
    }
  }
  tile(view, room.localParticipant).classList.add('local');

  view.status(e2ee
    ? 'Connected. Media is encrypted end to end with the key in this link.'
    : 'Connected. This room is not end-to-end encrypted.', 'ok');
  return room;
}
