// Pulls an input stream exactly once; every byte passes the digest on its way through.
import type { Readable } from 'node:stream';
import type { Digests } from '../model.js';
import { DigestAccumulator } from '../util/digest.js';

export class Truncated extends Error {}

export class ByteSource {
  #it: AsyncIterator<unknown>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;
  #digest = new DigestAccumulator();
  position = 0;

  constructor(stream: Readable) {
    this.#it = stream[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#it.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    this.#digest.update(chunk);
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    return true;
  }

  /** Exactly n bytes, or null at a clean end of input (nothing left). Throws Truncated on a partial read. */
  async exact(n: number): Promise<Buffer | null> {
    while (this.#buf.length < n) {
      if (!(await this.#fill())) {
        if (this.#buf.length === 0) return null;
        throw new Truncated(`unexpected end of file at byte ${this.position + this.#buf.length}`);
      }
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    this.position += n;
    return out;
  }

  /** Hand the next n bytes to `sink` in chunks of at most `slice` bytes. */
  async take(n: number, sink: (chunk: Buffer) => Promise<void> | void, slice = 64 * 1024): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.#buf.length === 0 && !(await this.#fill()))
        throw new Truncated(`unexpected end of file at byte ${this.position}`);
      const piece = this.#buf.subarray(0, Math.min(left, slice, this.#buf.length));
      this.#buf = this.#buf.subarray(piece.length);
      this.position += piece.length;
      left -= piece.length;
      await sink(piece);
    }
  }

  /** The next bytes of input (whatever is buffered, else the next chunk), or null at the end. */
  async chunk(): Promise<Buffer | null> {
    if (this.#buf.length === 0 && !(await this.#fill())) return null;
    const piece = this.#buf;
    this.#buf = Buffer.alloc(0);
    this.position += piece.length;
    return piece;
  }

  /** Read to the end (for the digests); returns how many bytes were left. */
  async drain(sink?: (chunk: Buffer) => Promise<void> | void): Promise<number> {
    let count = 0;
    for (;;) {
      if (this.#buf.length === 0 && !(await this.#fill())) return count;
      const piece = this.#buf;
      this.#buf = Buffer.alloc(0);
      this.position += piece.length;
      count += piece.length;
      if (sink) await sink(piece);
    }
  }

  digests(): Digests {
    return this.#digest.digest();
  }
}
