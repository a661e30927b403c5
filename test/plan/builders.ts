// In-memory observations for planner tests: no disk, no network.
import type { Policy } from '../../src/config/types.js';
import { DEFAULT_POLICY } from '../../src/config/types.js';
import { KNOWN_SUBDIRS } from '../../src/conda/subdirs.js';
import type { RegistryKey, RegistrySnapshot } from '../../src/ports/registry.js';
import type { StagedArtifact, StagedFile, StagedSignature } from '../../src/ports/staging.js';
import type { TargetFile } from '../../src/ports/target.js';
import { sighting } from '../../src/plan/identity.js';
import type { Observation, PlanSettings } from '../../src/plan/types.js';
import { noLedgerFacts, type LedgerFacts } from '../../src/ports/ledger-facts.js';
import { DEFAULT_REGISTRY_CONFIG } from '../../src/registry/layout.js';
import { encodeKey, keyPairFromSeed, type KeyPair } from '../../src/statement/keys.js';
import { buildStatement, signEnvelope, type StatementInput } from '../../src/statement/sign.js';
import { toUtcString } from '../../src/util/time.js';

export const NOW = Date.parse('2026-11-24T18:00:00Z');
export const CHANNEL = 'https://conda.example.org/forge';
export const KEY: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(7));
export const OTHER_KEY: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(8));
export const DIGESTS = { size: 1234, sha256: 'c'.repeat(64), md5: 'd'.repeat(32) };

export function registryKey(k: KeyPair, extra: Partial<RegistryKey> = {}): RegistryKey {
  return { keyid: k.keyid, publicKey: encodeKey(k.publicKey), ...extra };
}

export class FakeWorld {
  artifacts: StagedArtifact[] = [];
  signatures: StagedSignature[] = [];
  others: StagedFile[] = [];
  target = new Map<string, TargetFile[]>();
  /** Names the channel lists as removed (conda-index's `removed`). */
  removed = new Set<string>();
  outputs = new Map<string, string[] | null>([
    ['demo-pkg', ['demo-pkg']],
    ['numpy', ['numpy']],
  ]);
  keys = new Map<string, RegistryKey[] | null>([['demo-pkg', [registryKey(KEY)]]]);
  allowlist: Record<string, string[]> = {};
  autoRegisterAll = false;
  ledger: LedgerFacts = noLedgerFacts();
  policy: Policy = { ...DEFAULT_POLICY };
  /** What a plan read: the staged bytes and the published twins (absent: applying). */
  inspections: Observation['inspections'];
  twinContents: Observation['twinContents'];

  /**
   * `ageMs`: an earlier run first saw it that long ago (null: never seen). `serverAgeMs`: the store's server says it
   * was uploaded that long ago (anaconda.org); absent for a folder.
   */
  stage(
    filename: string,
    opts: {
      subdir?: string;
      ageMs?: number | null;
      serverAgeMs?: number;
      size?: number;
      labels?: string[];
      sha256?: string;
    } = {},
  ): StagedArtifact {
    const subdir = opts.subdir ?? 'noarch';
    const a: StagedArtifact = {
      subdir,
      filename,
      size: opts.size ?? DIGESTS.size,
      handle: `${subdir}/${filename}`,
      ...(opts.serverAgeMs !== undefined ? { uploadedAt: toUtcString(NOW - opts.serverAgeMs) } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.sha256 ? { sha256: opts.sha256 } : {}),
    };
    const ageMs = opts.ageMs === undefined ? 60_000 : opts.ageMs;
    if (ageMs !== null) this.ledger.firstSeen.set(sighting.artifact(a), NOW - ageMs);
    this.artifacts.push(a);
    return a;
  }

  sign(
    a: StagedArtifact,
    tweak: (i: StatementInput) => StatementInput = (i) => i,
    keys: KeyPair[] = [KEY],
    ageMs = 60_000,
  ): StagedSignature {
    const input = tweak({
      filename: a.filename,
      digests: DIGESTS,
      feedstock: 'demo-pkg',
      targetChannel: CHANNEL,
      label: 'main',
      subdir: a.subdir,
      issuedAtMs: NOW - 3_600_000,
      source: { commit: 'a'.repeat(40) },
    });
    const s: StagedSignature = {
      filename: `${a.filename}.sig`,
      besideArtifact: { subdir: a.subdir, filename: a.filename },
      // As anaconda.org lists it: the server's upload time orders signatures and gives their age.
      uploadedAt: toUtcString(NOW - ageMs),
      size: 0,
      content: Buffer.from(signEnvelope(buildStatement(input), keys)),
      handle: `${a.subdir}/${a.filename}.sig`,
    };
    this.signatures.push(s);
    return s;
  }

  observation(): Observation {
    const names = new Set([
      ...this.outputs.keys(),
      ...this.artifacts.map((a) => a.filename.split('-').slice(0, -2).join('-')),
    ]);
    const outputs = new Map<string, string[] | null>([...names].map((n) => [n, this.outputs.get(n) ?? null]));
    const registry: RegistrySnapshot = {
      commit: 'f'.repeat(40),
      config: { ...DEFAULT_REGISTRY_CONFIG, auto_register_all: this.autoRegisterAll },
      allowlist: this.allowlist,
      outputs,
      keys: this.keys,
    };
    return {
      nowMs: NOW,
      observedAtMs: NOW,
      staging: { artifacts: this.artifacts, signatures: this.signatures, others: this.others },
      target: { files: this.target, removed: this.removed },
      registry,
      ledger: this.ledger,
      ...(this.inspections ? { inspections: this.inspections } : {}),
      ...(this.twinContents ? { twinContents: this.twinContents } : {}),
    };
  }

  settings(): PlanSettings {
    return { targetChannel: CHANNEL, labels: ['main', 'rc'], subdirs: KNOWN_SUBDIRS, policy: this.policy };
  }
}
