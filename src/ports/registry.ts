// The registry port: who owns which package name, and which keys sign for which feedstock, read at one commit.

export interface RegistryKey {
  keyid: string;
  publicKey: string;
  addedAt?: string;
  notAfter?: string | null;
  revokedAt?: string | null;
  comment?: string;
}

export interface RegistryConfig {
  outputs_path: string;
  shard_level: number;
  shard_fill: string;
  auto_register_all: boolean;
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
  /** feedstock → its keys, or null when it has no key file. */
  keys: Map<string, RegistryKey[] | null>;
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
