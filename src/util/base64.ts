// Strict standard base64 (RFC 4648 §4, with padding). Buffer.from(x, 'base64') silently skips junk; never use it on
// hostile input.
const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decoded bytes, or null when `text` is not canonical standard base64. */
export function decodeBase64Strict(text: unknown): Uint8Array | null {
  if (typeof text !== 'string' || !STD_B64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Non-canonical trailing bits ("QQ=" style variants) decode the same; reject them by round-tripping.
  if (bytes.toString('base64') !== text) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}
