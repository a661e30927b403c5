// Streaming decompressors feeding a TarInspector: zstd (fzstd) for .conda parts, bzip2 for .tar.bz2.
import { once } from 'node:events';
import { Decompress } from 'fzstd';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { invalid } from './problem.js';
import type { TarInspector } from './tar-inspector.js';

const require = createRequire(import.meta.url);
const unbzip2 = require('unbzip2-stream') as () => Duplex;

/** Compressed input is fed in small slices: one slice can only inflate so far before we hand it on (zstd RLE bombs). */
export const DECODE_SLICE = 16 * 1024;

export interface Decoder {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

export function zstdDecoder(tar: TarInspector): Decoder {
  let out: Uint8Array[] = [];
  const z = new Decompress((chunk) => void out.push(chunk));
  const flush = async (): Promise<void> => {
    const pending = out;
    out = [];
    for (const c of pending) await tar.write(c);
  };
  return {
    async write(chunk) {
      if (tar.problem) return;
      try {
        z.push(chunk, false);
      } catch (e) {
        tar.problem ??= invalid(`bad zstd data: ${(e as Error).message}`);
        return;
      }
      await flush();
    },
    async end() {
      if (!tar.problem) {
        try {
          z.push(new Uint8Array(0), true);
        } catch (e) {
          tar.problem ??= invalid(`bad zstd data: ${(e as Error).message}`);
        }
        await flush();
      }
      await tar.end();
    },
  };
}

export function bzip2Decoder(tar: TarInspector): Decoder {
  const bz = unbzip2();
  let failed = false;
  let chain: Promise<void> = Promise.resolve();
  bz.on('data', (c: Buffer) => {
    chain = chain.then(() => tar.write(c));
  });
  bz.on('error', (e: Error) => {
    failed = true;
    tar.problem ??= invalid(`bad bzip2 data: ${e.message}`);
  });
  const ended = new Promise<void>((resolve) => {
    bz.on('end', resolve);
    bz.on('error', () => resolve());
  });
  return {
    async write(chunk) {
      if (failed || tar.problem) return;
      if (!bz.write(chunk)) await Promise.race([once(bz, 'drain'), ended]);
    },
    async end() {
      if (!failed) bz.end();
      await ended;
      await chain;
      await tar.end();
    },
  };
}
