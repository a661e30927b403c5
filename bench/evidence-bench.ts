// Benchmark (not part of `npm test`): what checking one artifact's evidence costs, steps 2-6 each, through the
// functions a run calls: a `.sig` (upload-statement-v1, Ed25519) next to a `.sigstore.json` (keyless-v1: strict
// bundle and CEP 27 parsing, X.509 chain, SCT, Rekor SET and inclusion proof, ECDSA signature, publisher matching).
// The inputs are the spec's own vectors (test/data/vectors), checked at their `now`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeedstockFile, parseRegistryConfig } from '../src/registry/layout.js';
import type { IndexedPublisher, RegistryKey } from '../src/ports/registry.js';
import { trustFromRootBytes } from '../src/statement/keyless/sigstore.js';
import { verifyBundleFile } from '../src/statement/keyless/verify-keyless.js';
import { verifySignatureFile } from '../src/statement/verify.js';
import { parseDuration, parseUtcTime } from '../src/util/time.js';
import { VECTORS_DIR } from '../test/helpers/paths.js';

function perSecond(fn: () => boolean, ms = 2000): { perSec: number; usPer: number } {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) if (!fn()) throw new Error('evidence did not verify');
    n += 10;
  }
  const took = performance.now() - start;
  return { perSec: Math.round(n / (took / 1000)), usPer: Math.round((took * 1000) / n) };
}

export function main(argv: string[]): Promise<void> {
  const read = (...p: string[]): string => readFileSync(join(VECTORS_DIR, ...p), 'utf8');
  interface V1 {
    context: { now: string; maxSignatureAge: string; clockSkew: string; targetChannel: string; labels: string[] };
    envelope: unknown;
  }
  const v1 = JSON.parse(read('valid-basic.json')) as V1 & { context: { keys: Record<string, RegistryKey[]> } };
  const sig = Buffer.from(JSON.stringify(v1.envelope));
  const sigCtx = {
    nowMs: parseUtcTime(v1.context.now)!,
    maxSignatureAgeMs: parseDuration(v1.context.maxSignatureAge)!,
    clockSkewMs: parseDuration(v1.context.clockSkew)!,
    targetChannel: v1.context.targetChannel,
    labels: v1.context.labels,
    keysFor: (f: string) => v1.context.keys[f] ?? null,
  };
  const kv = JSON.parse(read('keyless', 'valid-push-main.json')) as V1 & {
    artifact: { path: string; sha256: string };
    evidence: { 'sigstore.json': unknown };
  };
  const bundle = Buffer.from(JSON.stringify(kv.evidence['sigstore.json']));
  const config = parseRegistryConfig(read('keyless', 'registry', 'config.json'));
  const numpy = parseFeedstockFile(
    read('keyless', 'registry', 'keys', 'n', 'u', 'm', 'numpy.json'),
    'n',
    config.sigstore,
  );
  const byRepositoryId = new Map<string, IndexedPublisher[]>();
  for (const p of numpy.publishers)
    byRepositoryId.set(p.repositoryId, [
      ...(byRepositoryId.get(p.repositoryId) ?? []),
      { feedstock: 'numpy', publisher: p },
    ]);
  const trustStart = performance.now();
  const trust = trustFromRootBytes(readFileSync(join(VECTORS_DIR, 'keyless', 'trusted_root.json')));
  const trustMs = performance.now() - trustStart;
  const keylessCtx = {
    nowMs: parseUtcTime(kv.context.now)!,
    maxSignatureAgeMs: parseDuration(kv.context.maxSignatureAge)!,
    clockSkewMs: parseDuration(kv.context.clockSkew)!,
    targetChannel: kv.context.targetChannel,
    labels: kv.context.labels,
    sigstore: config.sigstore!,
    trust,
    publishersOf: (f: string) => (f === 'numpy' ? numpy.publishers : []),
    byRepositoryId,
  };
  const received = { filename: kv.artifact.path.split('/')[1]!, sha256: kv.artifact.sha256 };
  const ed = perSecond(() => verifySignatureFile(sig, sigCtx).ok);
  const kl = perSecond(() => verifyBundleFile(bundle, received, keylessCtx).ok);
  const results = {
    sigPerSec: ed.perSec,
    sigMicrosPerArtifact: ed.usPer,
    bundlePerSec: kl.perSec,
    bundleMicrosPerArtifact: kl.usPer,
    bundleToSigRatio: Math.round((kl.usPer / ed.usPer) * 10) / 10,
    trustedRootParseMs: Math.round(trustMs * 10) / 10,
  };
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return Promise.resolve();
  }
  const rows: [string, string][] = [
    ['.sig (Ed25519), steps 2-6', `${results.sigMicrosPerArtifact} µs per artifact (${results.sigPerSec}/s)`],
    [
      '.sigstore.json, steps 2-6',
      `${results.bundleMicrosPerArtifact} µs per artifact (${results.bundlePerSec}/s), ${results.bundleToSigRatio}x a .sig`,
    ],
    ['trusted root, once per run', `${results.trustedRootParseMs} ms to parse`],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
  return Promise.resolve();
}

if (process.argv[1]?.endsWith('evidence-bench.js')) await main(process.argv.slice(2));
