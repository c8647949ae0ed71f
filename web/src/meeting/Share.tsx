// Inviting people: the meeting link (with the room key in its fragment for
// an E2EE room), Copy with a visible confirmation, the system's Share sheet
// where the browser has one, and a QR code of the link drawn here (the
// qrcode package, on a canvas: nothing leaves the page).

import QRCode from 'qrcode';
import { useEffect, useRef, useState } from 'react';
import { useMeeting } from './context';

export function SharePanel() {
  const m = useMeeting();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [copied, setCopied] = useState<'' | 'ok' | 'failed'>('');
  const [qrError, setQrError] = useState('');
  const canShare = typeof navigator.share === 'function'
    && (navigator.canShare?.({ url: m.link }) ?? true);

  useEffect(() => {
    if (!canvas.current) return;
    QRCode.toCanvas(canvas.current, m.link, {
      errorCorrectionLevel: 'M', margin: 4, width: 240,
      color: { dark: '#000000', light: '#ffffff' },
    }).catch((e: Error) => setQrError(e.message));
  }, [m.link]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(m.link);
      setCopied('ok');
    } catch {
      // no clipboard permission: select the text so Ctrl+C works
      const input = document.getElementById('share-link') as HTMLInputElement | null;
      input?.select();
      setCopied('failed');
    }
    window.setTimeout(() => setCopied(''), 4000);
  };

  return (
    <section className="share" aria-labelledby="share-h">
      <h2 id="share-h">Invite people</h2>
      <label htmlFor="share-link">Meeting link</label>
      <div className="row">
        <input id="share-link" data-testid="share-link" readOnly value={m.link}
               onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="primary" data-testid="copy-link" onClick={() => { void copy(); }}>
          Copy link
        </button>
        {canShare && (
          <button type="button" data-testid="share-link-native"
                  onClick={() => { void navigator.share({ title: `Meeting ${m.join.name}`, url: m.link }).catch(() => {}); }}>
            Share…
          </button>
        )}
      </div>
      <p className="confirm" role="status" data-testid="copy-status" data-state={copied}>
        {copied === 'ok' && '✓ Link copied to the clipboard'}
        {copied === 'failed' && 'Could not copy: the link is selected, press Ctrl+C'}
      </p>
      <canvas ref={canvas} className="qr" data-testid="share-qr" role="img"
              aria-label="QR code of the meeting link" />
      {qrError && <p className="error" role="alert">QR code: {qrError}</p>}
      {m.e2ee
        ? (
          <p className="hint">
            The part after <code>#key=</code> is the room key. Anyone with this link can join
            and decrypt the meeting, so send it only to the people you invite, over a channel
            you trust. It is never sent to the server.
          </p>
        )
        : <p className="hint">This meeting is not end-to-end encrypted.</p>}
    </section>
  );
}
