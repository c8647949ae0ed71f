// A data packet's JSON object (the server's system messages, the key
// rotation's messages): strict UTF-8, at most `max` bytes, an object.

export function jsonObject(payload: Uint8Array, max: number): Record<string, unknown> | null {
  if (payload.length > max) return null;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  return v as Record<string, unknown>;
}
