// Chat: LiveKit text streams on topic "chat", images as byte streams on
// "chat-file". In an E2EE room both are encrypted with the room key by the
// Room's `encryption` option, so the server relays ciphertext and a
// participant with another key receives nothing. Images of an E2EE room
// never touch the server's upload route; in other rooms they are uploaded
// (POST /api/room/:roomId/chat/upload) and the message carries the URL.
//
// Not checked: whether a stream arrived encrypted. livekit-client 2.23
// reports Encryption_Type.NONE for decrypted streams too (its senders
// leave EncryptedPacket.encryptionType unset), so the flag cannot tell an
// unencrypted sender apart.

import { useRoomContext } from '@livekit/components-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import * as api from '../api';
import { ImageIcon } from './icons';

const TEXT_TOPIC = 'chat';
const FILE_TOPIC = 'chat-file';
const MAX_TEXT = 2000;
const MAX_IMAGE = 10 * 1024 * 1024;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export interface ChatMessage {
  id: string;
  from: string;
  name: string;
  mine: boolean;
  at: number;
  text?: string;
  image?: { url: string; name: string };
}

export interface ChatLog {
  messages: ChatMessage[];
  unread: number;
  markRead(): void;
  sendText(text: string): Promise<void>;
  sendImage(file: File): Promise<void>;
}

// an uploaded image's URL is ours (same origin) or a data: image
const safeImageUrl = (u: string) =>
  /^\/uploads\/chat\/[A-Za-z0-9._-]+$/.test(u) || /^data:image\/(png|jpeg|gif|webp);base64,/.test(u);

export function useChatLog(e2ee: boolean, roomId: string): ChatLog {
  const room = useRoomContext();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [unread, setUnread] = useState(0);
  const urls = useRef<string[]>([]);

  const add = useCallback((m: ChatMessage) => {
    setMessages((list) => [...list.slice(-499), m]);
    if (!m.mine) setUnread((n) => n + 1);
  }, []);

  useEffect(() => {
    const nameOf = (id: string) => {
      const p = room.getParticipantByIdentity(id);
      return p?.name || id;
    };
    room.registerTextStreamHandler(TEXT_TOPIC, (reader, from) => {
      void reader.readAll().then((text) => {
        const image = reader.info.attributes?.image;
        add({
          id: reader.info.id, from: from.identity, name: nameOf(from.identity),
          mine: false, at: Date.now(), text: text.slice(0, MAX_TEXT),
          ...(!e2ee && image && safeImageUrl(image)
            ? { image: { url: image, name: reader.info.attributes?.name ?? 'image' } } : {}),
        });
      }).catch(() => { /* a stream that broke off */ });
    });

    room.registerByteStreamHandler(FILE_TOPIC, (reader, from) => {
      const info = reader.info;
      if (!IMAGE_TYPES.includes(info.mimeType) || (info.size ?? 0) > MAX_IMAGE) return;
      void reader.readAll().then((chunks) => {
        const size = chunks.reduce((n, c) => n + c.length, 0);
        if (size > MAX_IMAGE) return;
        const url = URL.createObjectURL(new Blob(chunks as BlobPart[], { type: info.mimeType }));
        urls.current.push(url);
        add({ id: info.id, from: from.identity, name: nameOf(from.identity), mine: false,
              at: Date.now(), image: { url, name: info.name } });
      }).catch(() => {});
    });

    return () => {
      room.unregisterTextStreamHandler(TEXT_TOPIC);
      room.unregisterByteStreamHandler(FILE_TOPIC);
    };
  }, [room, e2ee, add]);

  useEffect(() => () => { urls.current.forEach((u) => URL.revokeObjectURL(u)); }, []);

  const me = () => room.localParticipant;
  const sendText = useCallback(async (text: string) => {
    const info = await me().sendText(text.slice(0, MAX_TEXT), { topic: TEXT_TOPIC });
    add({ id: info.id, from: me().identity, name: me().name || 'me', mine: true,
          at: Date.now(), text });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [room, add]);

  const sendImage = useCallback(async (file: File) => {
    if (!IMAGE_TYPES.includes(file.type)) throw new Error('Only PNG, JPEG, GIF and WebP images can be sent.');
    if (file.size > MAX_IMAGE) throw new Error('Images can be at most 10 MB.');
    if (e2ee) {
      // encrypted end to end like the media: the server never sees it
      const { id } = await me().sendFile(file, { topic: FILE_TOPIC, mimeType: file.type });
      const url = URL.createObjectURL(file);
      urls.current.push(url);
      add({ id, from: me().identity, name: me().name || 'me', mine: true, at: Date.now(),
            image: { url, name: file.name } });
      return;
    }
    const up = await api.uploadChatImage(roomId, file);
    if (!safeImageUrl(up.url)) throw new Error('The server answered an unexpected image address.');
    const info = await me().sendText('', {
      topic: TEXT_TOPIC, attributes: { image: up.url, name: file.name.slice(0, 200) },
    });
    add({ id: info.id, from: me().identity, name: me().name || 'me', mine: true, at: Date.now(),
          text: '', image: { url: up.url, name: file.name } });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [room, add, e2ee, roomId]);

  const markRead = useCallback(() => setUnread(0), []);
  return useMemo(() => ({ messages, unread, markRead, sendText, sendImage }),
                 [messages, unread, markRead, sendText, sendImage]);
}

export function ChatPanel({ chat }: { chat: ChatLog }) {
  const [error, setError] = useState('');
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => {
    chat.markRead();
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [chat.messages.length]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <section className="chat-panel" aria-labelledby="chat-h">
      <h2 id="chat-h">Chat</h2>
      <ol id="chat-log" className="chat-log" aria-live="polite" data-testid="chat-log">
        {chat.messages.map((m) => (
          <li key={m.id} className={m.mine ? 'mine' : undefined} data-testid="chat-message">
            <b>{m.name}</b>{' '}
            {m.text}
            {m.image && (
              <a href={m.image.url} target="_blank" rel="noopener noreferrer">
                <img src={m.image.url} alt={m.image.name} data-testid="chat-image" />
              </a>
            )}
          </li>
        ))}
        <li ref={end} className="end" aria-hidden="true" />
      </ol>
      <form id="chat" className="chat" onSubmit={(e) => {
        e.preventDefault();
        const input = e.currentTarget.elements.namedItem('text') as HTMLInputElement;
        const text = input.value.trim();
        if (!text) return;
        input.value = '';
        setError('');
        chat.sendText(text).catch((err: Error) => setError(`Not sent: ${err.message}`));
      }}>
        <label className="sr-only" htmlFor="chat-text">Message</label>
        <input id="chat-text" name="text" maxLength={MAX_TEXT} autoComplete="off"
               placeholder="Message" required />
        <label className="lk-button file" title="Send an image">
          <ImageIcon /><span className="sr-only">Send an image</span>
          <input type="file" accept={IMAGE_TYPES.join(',')} data-testid="chat-file"
                 className="sr-only" onChange={(e) => {
                   const f = e.currentTarget.files?.[0];
                   e.currentTarget.value = '';
                   if (!f) return;
                   setError('');
                   chat.sendImage(f).catch((err: Error) => setError(`Image not sent: ${err.message}`));
                 }} />
        </label>
        <button type="submit" className="primary">Send</button>
      </form>
      <p className="error" role="alert">{error}</p>
    </section>
  );
}

