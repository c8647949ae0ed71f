// Small DOM helpers: no framework, no innerHTML with data.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function form(id: string, title: string,
                     fields: [string, string, string][], submit: string,
                     onSubmit: (values: Record<string, string>) => Promise<void>,
                     extra: Node[] = []): HTMLFormElement {
  const f = el('form', { id, class: 'card' }, el('h2', {}, title));
  for (const [name, label, type] of fields) {
    const input = el('input', { name, type, required: '' });
    if (type === 'text' && name === 'room') input.removeAttribute('required');
    f.append(el('label', {}, label, input));
  }
  f.append(...extra);
  const err = el('p', { class: 'error', role: 'alert' });
  f.append(el('button', { type: 'submit' }, submit), err);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const values: Record<string, string> = {};
    new FormData(f).forEach((v, k) => { values[k] = String(v); });
    err.textContent = '';
    onSubmit(values).catch((e: Error) => { err.textContent = e.message; });
  });
  return f;
}

export function mount(...nodes: Node[]): void {
  document.getElementById('app')!.replaceChildren(...nodes);
}
