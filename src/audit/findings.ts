// What an audit finds: one stable code per kind, its severity, and the evidence (what the channel shows against
// what the gate's log or the baseline expected).

export const AUDIT_FORMAT_VERSION = 1;

export type Severity = 'critical' | 'high' | 'warning';

export const FINDINGS = {
  /** In the channel, but neither the gate's log nor the baseline knows it: an upload that went around the gate. */
  AUDIT_UNKNOWN_FILE: 'critical',
  /** A known file whose sha256, md5 or size (indexed or stored) is not what was published. */
  AUDIT_REPLACED: 'critical',
  /** A known file whose upload time differs from the one read back right after publishing, even with equal bytes. */
  AUDIT_REUPLOADED: 'high',
  /** A known file under other labels than the log says (e.g. `rc` promoted to `main`) with no admin's record. */
  AUDIT_LABELS_CHANGED: 'high',
  /** A known file whose served attestations (`attestations_sha256`, `F.sigs`) are not the ones the gate served. */
  AUDIT_ATTESTATIONS_CHANGED: 'high',
  /** A file the gate published (or the baseline held) is in no label any more; an admin-recorded move is fine. */
  AUDIT_GONE: 'warning',
} as const satisfies Record<string, Severity>;

export type FindingCode = keyof typeof FINDINGS;

/** One side of the evidence: labels, digests and upload times, as far as known. */
export interface FileState {
  labels: string[];
  sha256: string | null;
  md5: string | null;
  size: number | null;
  /** label → upload time. */
  uploadedAt: Record<string, string | null>;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  subdir: string;
  filename: string;
  detail: string;
  /** What the gate's log (seq and hash of the last entry) or the baseline says; null for an unknown file. */
  expected: (FileState & { source: string }) | null;
  /** What the channel shows; null for a file that is gone. */
  observed: (FileState & { notes: string[] }) | null;
}

export function finding(
  code: FindingCode,
  subdir: string,
  filename: string,
  detail: string,
  expected: Finding['expected'],
  observed: Finding['observed'],
): Finding {
  return { code, severity: FINDINGS[code], subdir, filename, detail, expected, observed };
}
