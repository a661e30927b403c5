// The registry port: who owns which package name, and which keys and trusted publishers sign for which feedstock,
// read at one commit.

export interface RegistryKey {
  keyid: string;
  publicKey: string;
  addedAt?: string;
  notAfter?: string | null;
  revokedAt?: string | null;
  comment?: string;
}

/** A trusted publisher (keyless-v1): one GitHub Actions identity allowed to attest for its feedstock. */
export interface RegistryPublisher {
  id: string;
  kind: 'github';
  /** `owner/name` as GitHub spells it (compared without regard to case). */
  repository: string;
  repositoryId: string;
  ownerId: string;
  /** The caller workflow's path, `.github/workflows/<file>`. */
  workflow: string;
  /** Reusable workflows allowed to sign for the caller: `https://github.com/<owner>/<repo>/<path>@<ref>`. */
  signerWorkflows: string[];
  refs: string[];
  events: string[];
  environment: string | null;
  runner: 'github-hosted' | 'self-hosted' | null;
  addedAt?: string;
  notAfter: string | null;
  revokedAt: string | null;
  comment?: string;
}

/** Which evidence a feedstock accepts: `.sig` and `.sigstore.json` (any), or bundles only (sigstore). */
export type AcceptEvidence = 'any' | 'sigstore';

/** A keys file as the registry holds it: keys, trusted publishers and what evidence counts. */
export interface FeedstockFile {
  keys: RegistryKey[];
  publishers: RegistryPublisher[];
  accept: AcceptEvidence;
}

/** The registry's `sigstore` block: how a certificate's repository maps to a feedstock. */
export interface SigstoreRegistryConfig {
  issuer: string;
  ownerId: string | null;
  repoPattern: string;
}

export interface RegistryConfig {
  outputs_path: string;
  shard_level: number;
  shard_fill: string;
  auto_register_all: boolean;
  /** Absent: keyless evidence is disabled (every .sigstore.json is ignored). */
  sigstore?: SigstoreRegistryConfig;
}

/** One publisher somewhere in the registry, with the feedstock whose file lists it. */
export interface IndexedPublisher {
  feedstock: string;
  publisher: RegistryPublisher;
}

/** Everything one run needs from the registry, read at one commit. */
export interface RegistrySnapshot {
  /** The commit every read named; null for a plain folder that is not a git checkout. */
  commit: string | null;
  config: RegistryConfig;
  /** feedstock → fnmatch patterns. */
  allowlist: Record<string, string[]>;
  /** Output name → feedstocks allowed, or null when no output file exists. Holds every name asked for, and, when
   *  auto_register_all is on, every registered name in the same shard folder (for the confusable-name guard). */
  outputs: Map<string, string[] | null>;
  /** feedstock → its keys, or null when it has no key file (or an invalid one). */
  keys: Map<string, RegistryKey[] | null>;
  /** feedstock → its keys file as a whole, or null when it has none (or an invalid one). */
  files?: Map<string, FeedstockFile | null>;
  /** feedstock → why its keys file is invalid (it then has no keys and no publishers); only feedstocks asked for. */
  invalidKeyFiles?: Map<string, string>;
  /** repositoryId → every publisher the registry lists with it (keyless-v1 step 4, PUBLISHER_RENAMED); when asked. */
  publisherIndex?: Map<string, IndexedPublisher[]>;
  /**
   * A git checkout read at `commit` only: the output files (by name) and key files (by feedstock) this snapshot was
   * asked for whose working-tree copy differs from that commit: edited, added or deleted but not committed. A fact
   * about the checkout, never read as registry content (an edit counts once it is committed); a plan names it where
   * it explains a rejection.
   */
  uncommitted?: { outputs: Map<string, string>; keys: Map<string, string> };
}

export interface SnapshotRequest {
  names: string[];
  feedstocks: string[];
  /** Repositories (`owner/name`) that bundles' certificates name: their feedstocks' keys files are read too. */
  repositories?: string[];
  /** Also index every publisher of every keys file by repositoryId (when keyless evidence is staged). */
  publisherIndex?: boolean;
}

export type RegisterOutcome =
  | { kind: 'registered'; commit: string | null }
  /** Someone registered it to this feedstock meanwhile: fine. */
  | { kind: 'already'; commit: string | null }
  /** Someone registered it to other feedstocks meanwhile: must not publish. */
  | { kind: 'conflict'; owners: string[]; commit: string | null };

export interface RegistrySource {
  readonly description: string;
  /** Resolve the branch once and read everything the run needs at that commit. Throws FG_REGISTRY_UNAVAILABLE. */
  snapshot(request: SnapshotRequest): Promise<RegistrySnapshot>;
  /** Add `feedstock` to `name`'s output file, based on `basedOn`; re-read and retry when the branch moved. */
  register(name: string, feedstock: string, basedOn: string | null): Promise<RegisterOutcome>;
}
