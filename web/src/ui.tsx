// Small parts the dashboard, account and admin pages share: a modal
// dialog (the browser's own <dialog>: focus kept inside, Esc closes), a
// copy button with a visible confirmation, the E2EE badge and dot, and
// an error note. No inline styles (the CSP says style-src 'self').

import { ShieldCheck, ShieldOff } from 'lucide-react';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import './pages.css';
import { describeError } from './errors';

export function Dialog({ open, onClose, title, children, testid, wide }: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  testid?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className={wide ? 'dialog wide' : 'dialog'} aria-labelledby={titleId}
            data-testid={testid} onClose={() => { if (open) onClose(); }}>
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close"
                onClick={onClose}>×</button>
      </div>
      {open && children}
    </dialog>
  );
}

/** Copies `text`; says so (or how to copy by hand) for a few seconds. */
export function CopyButton({ text, label = 'Copy', testid, className }: {
  text: string; label?: string; testid?: string; className?: string;
}) {
  const [state, setState] = useState<'' | 'ok' | 'failed'>('');
  useEffect(() => {
    if (!state) return;
    const t = window.setTimeout(() => setState(''), 4000);
    return () => window.clearTimeout(t);
  }, [state]);
  return (
    <>
      <button type="button" className={className} data-testid={testid}
              onClick={() => {
                navigator.clipboard.writeText(text)
                  .then(() => setState('ok'), () => setState('failed'));
              }}>
        {label}
      </button>
      <span className="confirm" role="status" data-state={state}>
        {state === 'ok' && 'Copied'}
        {state === 'failed' && 'Could not copy: select the text and press Ctrl+C'}
      </span>
    </>
  );
}

/** The room's E2EE setting as a badge: "Encrypted" with a shield, or not. */
export function E2EEBadge({ on }: { on: boolean }) {
  return on
    ? <span className="pill e2ee" data-testid="e2ee-badge" data-state="on">
        <ShieldCheck aria-hidden size={14} />Encrypted
      </span>
    : <span className="pill plain" data-testid="e2ee-badge" data-state="off">
        <ShieldOff aria-hidden size={14} />Not encrypted
      </span>;
}

/** A green (E2EE on) or red (off) dot, with its meaning for screen readers. */
export function E2EEDot({ on }: { on: boolean }) {
  const label = on ? 'End-to-end encrypted' : 'Not end-to-end encrypted';
  return (
    <span className="dot" data-testid="e2ee-dot" data-state={on ? 'on' : 'off'}
          title={label}>
      <span className="sr-only">{label}</span>
    </span>
  );
}

/** An error in words, or nothing. */
export function ErrorNote({ error, testid }: { error: unknown; testid?: string }) {
  if (!error) return null;
  return <p className="error" role="alert" data-testid={testid}>{describeError(error)}</p>;
}

/** "3 people", "1 person". */
export const people = (n: number): string => `${n} ${n === 1 ? 'person' : 'people'}`;

/** A date and time of the server (RFC 3339, or Bedrud's "YYYY-MM-DD HH:MM:SS" UTC). */
export function when(stamp: string | null | undefined): string {
  if (!stamp) return '—';
  const iso = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(stamp) ? `${stamp.replace(' ', 'T')}Z` : stamp;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? stamp : d.toLocaleString(undefined, {
    dateStyle: 'medium', timeStyle: 'short',
  });
}
