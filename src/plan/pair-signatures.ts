// Pair signature files with artifacts: beside it (folder stores) or by the statement's subject (anaconda.org).
import type { StagedArtifact, StagedSignature } from '../ports/staging.js';
import { parseEnvelope } from '../statement/dsse.js';
import { BUNDLE_SUFFIX } from '../statement/keyless/bundle.js';
import { parseStatement } from '../statement/statement.js';
import { artifactKey } from './identity.js';

export interface Pairing {
  byArtifact: Map<string, StagedSignature[]>;
  strays: StagedSignature[];
}

export interface Claim {
  subdir: string;
  filename: string;
  feedstock: string;
  sha256: string;
}

// Observing, pairing and debris checks all ask; parse each signature once per run.
const claims = new WeakMap<StagedSignature, Claim | null>();

/** The subject a signature file claims, without trusting it: only used to find its artifact and its keys. */
export function claimedSubject(sig: StagedSignature): Claim | null {
  if (sig.kind === 'sigstore.json') return null;
  if (claims.has(sig)) return claims.get(sig)!;
  const env = parseEnvelope(sig.content);
  const st = env.ok ? parseStatement(env.envelope.payload) : null;
  const claim = st?.ok
    ? {
        subdir: st.statement.subdir,
        filename: st.statement.name,
        feedstock: st.statement.feedstock,
        sha256: st.statement.sha256,
      }
    : null;
  claims.set(sig, claim);
  return claim;
}

export function pairSignatures(artifacts: StagedArtifact[], signatures: StagedSignature[]): Pairing {
  const keys = new Set(artifacts.map((a) => artifactKey(a.subdir, a.filename)));
  const subdirsOf = new Map<string, string[]>();
  for (const a of artifacts) subdirsOf.set(a.filename, [...(subdirsOf.get(a.filename) ?? []), a.subdir]);
  /** A bundle uploaded without its subdir (`F.sigstore.json`) lies beside F when exactly one subdir holds F. */
  const onlyOne = (sig: StagedSignature) => {
    const filename = sig.filename.slice(0, -BUNDLE_SUFFIX.length);
    const subdirs = sig.filename.endsWith(BUNDLE_SUFFIX) ? (subdirsOf.get(filename) ?? []) : [];
    return subdirs.length === 1 ? { subdir: subdirs[0]!, filename } : null;
  };
  const byArtifact = new Map<string, StagedSignature[]>();
  const strays: StagedSignature[] = [];
  for (const sig of signatures) {
    // A bundle is paired only by where it lies (its statement names no subdir); a .sig also by its subject.
    const where = sig.besideArtifact ?? (sig.kind === 'sigstore.json' ? onlyOne(sig) : claimedSubject(sig));
    const key = where ? artifactKey(where.subdir, where.filename) : null;
    if (key === null || !keys.has(key)) {
      strays.push(sig);
      continue;
    }
    const list = byArtifact.get(key) ?? [];
    list.push(sig);
    byArtifact.set(key, list);
  }
  // Newest first: a re-signed upload wins over an older signature for the same file.
  for (const list of byArtifact.values())
    list.sort((a, b) => (b.uploadedAt ?? '').localeCompare(a.uploadedAt ?? '') || a.handle.localeCompare(b.handle));
  return { byArtifact, strays };
}
