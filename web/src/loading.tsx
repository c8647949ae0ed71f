// "Loading…", said to screen readers too (role=status). Its own module:
// the first page's chunk needs it, not the rest of ui.tsx (icons).

export function Loading({ what }: { what: string }) {
  return <p className="loading" role="status">{what}</p>;
}
