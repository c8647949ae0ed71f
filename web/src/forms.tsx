// A form with labelled fields, a submit button and the error it ran into,
// shown in words (role=alert), never swallowed.

import { useState, type FormEvent, type ReactNode } from 'react';

export interface Field {
  name: string;
  label: string;
  type?: string;
  required?: boolean;
  autoComplete?: string;
  placeholder?: string;
  defaultValue?: string;
  maxLength?: number;
}

export function Form(props: {
  id: string;
  title?: string;
  fields: Field[];
  submit: string;
  onSubmit: (values: Record<string, string>, form: HTMLFormElement) => Promise<void>;
  children?: ReactNode;
  className?: string;
}) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const values: Record<string, string> = {};
    new FormData(form).forEach((v, k) => { values[k] = String(v); });
    setError('');
    setBusy(true);
    props.onSubmit(values, form)
      .catch((e: Error) => setError(e.message || String(e)))
      .finally(() => setBusy(false));
  };
  return (
    <form id={props.id} className={props.className ?? 'card'} onSubmit={submit}
          aria-busy={busy}>
      {props.title && <h2>{props.title}</h2>}
      {props.fields.map((f) => (
        <label key={f.name}>
          <span>{f.label}</span>
          <input name={f.name} type={f.type ?? 'text'}
                 required={f.required ?? true} autoComplete={f.autoComplete}
                 placeholder={f.placeholder} defaultValue={f.defaultValue}
                 maxLength={f.maxLength} />
        </label>
      ))}
      {props.children}
      <button type="submit" className="primary" disabled={busy}>{props.submit}</button>
      <p className="error" role="alert">{error}</p>
    </form>
  );
}
