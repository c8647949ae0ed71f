// A form with labelled fields, a submit button and the error it ran into,
// shown in words (role=alert, errors.ts), never swallowed; and, when
// given, what it did (role=status).

import { useState, type FormEvent, type ReactNode } from 'react';
import { describeError } from './errors';

export interface Field {
  name: string;
  label: string;
  type?: string;
  required?: boolean;
  autoComplete?: string;
  placeholder?: string;
  defaultValue?: string;
  maxLength?: number;
  minLength?: number;
}

export function Form(props: {
  id: string;
  title?: string;
  fields: Field[];
  submit: string;
  /** throws to show an error; a string it returns is shown as done */
  onSubmit: (values: Record<string, string>, form: HTMLFormElement)
    => Promise<void | string>;
  children?: ReactNode;
  className?: string;
  /** submit buttons' class (default "primary") */
  submitClass?: string;
}) {
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const values: Record<string, string> = {};
    new FormData(form).forEach((v, k) => { values[k] = String(v); });
    setError('');
    setDone('');
    setBusy(true);
    props.onSubmit(values, form)
      .then((d) => { if (typeof d === 'string') setDone(d); })
      .catch((e: unknown) => setError(describeError(e)))
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
                 maxLength={f.maxLength} minLength={f.minLength} />
        </label>
      ))}
      {props.children}
      <button type="submit" className={props.submitClass ?? 'primary'} disabled={busy}>
        {props.submit}
      </button>
      <p className="error" role="alert">{error}</p>
      <p className="done" role="status">{done}</p>
    </form>
  );
}
