/**
 * base64url without padding (RFC 4648 §5), the form of a pass in a link and of the phone's public
 * key on screen. Written on atob/btoa because Uint8Array.fromBase64 is newer than many phones.
 */
export function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Undefined for anything that is not base64url (padding and surrounding spaces are forgiven: a pasted link has them). */
export function fromBase64url(text: string): Uint8Array | undefined {
  const t = text.trim().replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(t) || t.length % 4 === 1) return undefined;
  const binary = atob(t.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
