// The sliver of DER (ITU-T X.690) keyless evidence needs: reading a certificate's extensions exactly, and writing the
// certificates of a throwaway test instance. Definite lengths only, as DER requires; anything else is refused.

export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  /** The contents octets. */
  value: Uint8Array;
  /** The whole element, identifier and length included. */
  raw: Uint8Array;
}

export class DerError extends Error {}

/** One element at `at`; throws DerError on anything DER does not allow (long tags, indefinite or padded lengths). */
export function readTlv(bytes: Uint8Array, at = 0): Tlv {
  if (at + 2 > bytes.length) throw new DerError('truncated element');
  const tag = bytes[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here');
  let len = bytes[at + 1]!;
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized length');
    if (at + 2 + n > bytes.length) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[at + 2 + i]!;
    if (len < 0x80 || bytes[at + 2] === 0) throw new DerError('length not in its shortest form');
    head += n;
  }
  const end = at + head + len;
  if (end > bytes.length) throw new DerError('element runs past its parent');
  return { tag, value: bytes.subarray(at + head, end), raw: bytes.subarray(at, end) };
}

/** The elements inside a constructed element's contents, which they must fill exactly. */
export function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length;) {
    const t = readTlv(value, at);
    out.push(t);
    at += t.raw.length;
  }
  return out;
}

/** `bytes` must be exactly one element. */
export function readOne(bytes: Uint8Array): Tlv {
  const t = readTlv(bytes, 0);
  if (t.raw.length !== bytes.length) throw new DerError('trailing bytes after the element');
  return t;
}

/** Dotted decimal of an OBJECT IDENTIFIER's contents. */
export function decodeOid(value: Uint8Array): string {
  const arcs: number[] = [];
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (n === 0 && b === 0x80) throw new DerError('OID arc not in its shortest form');
    n = n * 128 + (b & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    } else if (i === value.length - 1) throw new DerError('OID ends inside an arc');
  }
  if (arcs.length === 0) throw new DerError('empty OID');
  return arcs.join('.');
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

// Writing (the test instance's certificates).

function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(contents);
  return Buffer.concat([Uint8Array.of(tag), lengthOctets(body.length), body]);
}

export const seq = (...items: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...items);
export const set = (...items: Uint8Array[]): Uint8Array => tlv(TAG.SET, ...items);
export const octets = (bytes: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, bytes);
export const utf8 = (text: string): Uint8Array => tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
export const bool = (v: boolean): Uint8Array => tlv(TAG.BOOLEAN, Uint8Array.of(v ? 0xff : 0));
export const bits = (bytes: Uint8Array): Uint8Array => tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);
/** A context-specific tag: [n] constructed (explicit) or primitive (implicit). */
export const ctx = (n: number, constructed: boolean, ...contents: Uint8Array[]): Uint8Array =>
  tlv(0x80 | (constructed ? 0x20 : 0) | n, ...contents);

export function int(value: bigint | number): Uint8Array {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Uint8Array.of(0), bytes]);
  return tlv(TAG.INTEGER, bytes);
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (n: number): void => {
    const groups: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
export function time(ms: number): Uint8Array {
  const iso = new Date(ms).toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return new Date(ms).getUTCFullYear() < 2050
    ? tlv(TAG.UTC_TIME, Buffer.from(`${digits.slice(2)}Z`))
    : tlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`));
}
