// Benchmark (not part of `npm test`): full verification of a 400 MB artifact — peak RSS and throughput, next to
// sha256sum on the same file — and Ed25519 verifications per second, tweetnacl next to node:crypto.
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nacl from 'tweetnacl';
import { writeBigConda } from './big-artifact.js';

const MB = 1024 * 1024;

function opsPerSecond(fn: () => boolean, ms = 2000): number {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) if (!fn()) throw new Error('verification failed');
    n += 50;
  }
  return n / (ms / 1000);
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const sizeArg = argv.indexOf('--size-mb');
  const sizeMb = sizeArg >= 0 ? Number(argv[sizeArg + 1]) : 400;
  const dir = await mkdtemp(join(tmpdir(), 'fg-bench-'));
  try {
    const big = await writeBigConda(dir, sizeMb * MB);
    const child = join(dirname(fileURLToPath(import.meta.url)), 'verify-child.js');
    const run = spawnSync(process.execPath, [child, big.path], { encoding: 'utf8' });
    const verify = JSON.parse(run.stdout) as { ok: boolean; detail: string | null; ms: number; maxRssKiB: number };
    if (!verify.ok) throw new Error(`the benchmark artifact did not verify: ${verify.detail}`);
    let shaMs: number | null = null;
    try {
      const t = performance.now();
      execFileSync('sha256sum', [big.path]);
      shaMs = performance.now() - t;
    } catch {
      shaMs = null;
    }
    const seed = new Uint8Array(32).fill(3);
    const kp = nacl.sign.keyPair.fromSeed(seed);
    const msg = new Uint8Array(1024).fill(7);
    const sig = nacl.sign.detached(msg, kp.secretKey);
    const priv = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const pub = createPublicKey(priv);
    const nodeSig = cryptoSign(null, msg, priv);
    const results = {
      artifactBytes: big.size,
      verifyMs: Math.round(verify.ms),
      verifyMBps: Math.round((big.size / MB / (verify.ms / 1000)) * 10) / 10,
      verifyPeakRssMiB: Math.round(verify.maxRssKiB / 1024),
      peakRssGoalMiB: 150,
      sha256sumMBps: shaMs === null ? null : Math.round((big.size / MB / (shaMs / 1000)) * 10) / 10,
      tweetnaclVerifiesPerSec: Math.round(opsPerSecond(() => nacl.sign.detached.verify(msg, sig, kp.publicKey))),
      nodeCryptoVerifiesPerSec: Math.round(opsPerSecond(() => cryptoVerify(null, msg, pub, nodeSig))),
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      return;
    }
    const rows: [string, string][] = [
      ['artifact', `${(results.artifactBytes / MB).toFixed(0)} MiB .conda (random payload, zstd raw blocks)`],
      [
        'full verification',
        `${results.verifyMs} ms, ${results.verifyMBps} MB/s (sha256+md5+zip+zstd+tar+paths in one pass)`,
      ],
      ['peak RSS of verification', `${results.verifyPeakRssMiB} MiB (goal < ${results.peakRssGoalMiB} MiB)`],
      [
        'sha256sum on the same file',
        results.sha256sumMBps === null ? 'sha256sum not found' : `${results.sha256sumMBps} MB/s`,
      ],
      ['Ed25519 verify, tweetnacl', `${results.tweetnaclVerifiesPerSec}/s`],
      ['Ed25519 verify, node:crypto', `${results.nodeCryptoVerifiesPerSec}/s`],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
