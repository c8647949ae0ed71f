// Chat: LiveKit text streams on topic "chat". In an E2EE room the Room's
// `encryption` option encrypts them with the media key, so the server
// relays ciphertext; a participant with another key receives nothing.

import type { Room } from 'livekit-client';
import { el } from './ui';

const TOPIC = 'chat';
const MAX = 2000;

export function chatPanel(room: Room): HTMLElement {
  const log = el('ol', { id: 'chat-log', class: 'chat-log', 'aria-live': 'polite' });
  const input = el('input', { name: 'text', maxlength: String(MAX),
                              autocomplete: 'off', required: '' });
  const send = el('form', { id: 'chat', class: 'chat' },
                  input, el('button', { type: 'submit' }, 'Send'));

  const show = (who: string, text: string, mine: boolean) => {
    const li = el('li', mine ? { class: 'mine' } : {},
                  el('b', {}, who), ' ', text);
    log.append(li);
    li.scrollIntoView({ block: 'nearest' });
  };

  room.registerTextStreamHandler(TOPIC, (reader, from) => {
    void reader.readAll().then((text) => {
      const p = room.getParticipantByIdentity(from.identity);
      show(p?.name || from.identity, text.slice(0, MAX), false);
    }).catch(() => { /* a stream that broke off */ });
  });

  send.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    room.localParticipant.sendText(text, { topic: TOPIC })
      .then(() => show(room.localParticipant.name || 'me', text, true))
      .catch((e: Error) => show('!', `not sent: ${e.message}`, true));
  });

  return el('aside', { class: 'chat-panel' }, el('h2', {}, 'Chat'), log, send);
}
