// Ed25519 keys in the spec's encodings: 32-byte seed (base64) for CI, raw public key (base64) + sha256 key id for the
// registry.
import nacl from 'tweetnacl';
import { decodeBase64Strict, encodeBase64 } from '../util/base64.js';
import { sha256Hex } from '../util/digest.js';

export interface KeyPair {
  seed: Uint8Array;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  keyid: string;
}

export function keyIdOf(publicKey: Uint8Array): string {
  return sha256Hex(publicKey);
}

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  const kp = nacl.sign.keyPair.fromSeed(seed);
  return { seed, secretKey: kp.secretKey, publicKey: kp.publicKey, keyid: keyIdOf(kp.publicKey) };
}

export function generateKeyPair(): KeyPair {
  return keyPairFromSeed(nacl.randomBytes(32));
}

/** Parse a seed file's text (base64 of 32 bytes, surrounding whitespace allowed); null if it is not one. */
export function parseSeed(text: string): Uint8Array | null {
  const seed = decodeBase64Strict(text.trim());
  return seed !== null && seed.length === 32 ? seed : null;
}

export function encodeKey(bytes: Uint8Array): string {
  return encodeBase64(bytes);
}
