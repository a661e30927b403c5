import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Digests } from '../model.js';

/** sha256 + md5 + size over one pass of the bytes. */
export class DigestAccumulator {
  #sha256: Hash = createHash('sha256');
  #md5: Hash = createHash('md5');
  #size = 0;
  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#md5.update(chunk);
    this.#size += chunk.length;
  }
  digest(): Digests {
    return { size: this.#size, sha256: this.#sha256.digest('hex'), md5: this.#md5.digest('hex') };
  }
}

export async function digestStream(stream: Readable): Promise<Digests> {
  const acc = new DigestAccumulator();
  for await (const chunk of stream) acc.update(chunk as Uint8Array);
  return acc.digest();
}

export function digestBytes(bytes: Uint8Array): Digests {
  const acc = new DigestAccumulator();
  acc.update(bytes);
  return acc.digest();
}

export function digestFile(path: string): Promise<Digests> {
  return digestStream(createReadStream(path));
}

export function sameDigests(a: Digests, b: Digests): boolean {
  return a.size === b.size && a.sha256 === b.sha256 && a.md5 === b.md5;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
