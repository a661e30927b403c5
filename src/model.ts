// The domain records every layer shares: the digests of a byte sequence, what verifying a package established, and
// which evidence a publication rests on.
import type { PackageContent } from './conda/package-content.js';
import type { ReasonCode } from './reasons.js';

/** Digests of one exact byte sequence: lowercase hex, size in bytes. */
export interface Digests {
  size: number;
  sha256: string;
  md5: string;
}

/** `info/index.json` fields forgegate relies on (the rest is kept verbatim for repodata). */
export interface IndexJson {
  name: string;
  version: string;
  build: string;
  build_number: number;
  subdir: string;
  depends?: string[];
  [key: string]: unknown;
}

/** What a full, successful verification of an artifact's bytes established. */
export interface ArtifactFacts extends Digests {
  format: 'conda' | 'tar.bz2';
  index: IndexJson;
  /** Every path the package installs, relative to the prefix, in archive order. */
  paths: string[];
  /** What an admin should know but is no reason to refuse (e.g. info/paths.json disagreeing with the payload). */
  notes: string[];
  /** What the package installs, when verification was asked to work it out (twins are compared by it). */
  content?: PackageContent;
  /** info/run_exports.json, where the package has one (CEP 16 shards list it; repodata.json does not). */
  runExports?: Record<string, unknown>;
}

export type ArtifactCheck =
  | { ok: true; facts: ArtifactFacts }
  | {
      ok: false;
      reason: 'ARTIFACT_INVALID' | 'ARTIFACT_UNSAFE';
      /** `<rule>: what broke it — fix: <the rule's fix>` (the detail is what plans, the ledger and reports keep). */
      detail: string;
      digests: Digests | null;
      /** The rule id (`tar.strings`, `index.subdir`, …) and its fix, where verification names one. */
      rule?: string;
      fix?: string;
    };

/** The two kinds of evidence: `F.sig` (upload-statement-v1) and `F.sigstore.json` (keyless-v1). */
export type EvidenceKind = 'sig' | 'sigstore.json';

export interface EvidenceWarning {
  code: ReasonCode;
  evidence: EvidenceKind;
  /** The evidence file's name. */
  file: string;
}

/** A piece of evidence that passed, and what it proves. */
export type PassedEvidence =
  | {
      evidence: 'sig';
      file: string;
      /** sha256 of the .sig file. */
      sha256: string;
      keyid: string;
    }
  | {
      evidence: 'sigstore.json';
      file: string;
      /** The registered publisher `id` the certificate matched. */
      publisher: string;
      /** The earliest verified signing time. */
      signingTime: string;
      /** The Rekor entries (log id, index) the bundle was verified with. */
      logs: { logId: string; logIndex: string }[];
      /** sha256 of the bundle file, and of the trusted root it verified under. */
      bundleSha256: string;
      trustedRootSha256: string;
    };
