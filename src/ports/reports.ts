// The reports port: failures to the feedstocks that own them, security alerts to the administrators.
import type { ReasonCode } from '../reasons.js';

export interface FailureReport {
  /** Registry feedstock name the report goes to; null when nothing could be attributed. */
  feedstock: string | null;
  /** Source commit from the statement, used to group reports; null when unknown. */
  commit: string | null;
  runUrl: string | null;
  subdir: string;
  filename: string;
  label: string | null;
  reason: ReasonCode;
  fix: string;
  detail: string;
}

export interface SecurityAlert {
  /** AUDIT_FINDING: `forgegate audit` found the channel differs from what the gate published (detail: evidence). */
  kind: 'TARGET_CONFIRMATION_MISMATCH' | 'REGISTRY_CONFLICT' | 'STAGING_CHANGED' | 'AUDIT_FINDING';
  subdir: string;
  filename: string;
  feedstock: string | null;
  detail: string;
}

export interface ReportSink {
  readonly kind: string;
  /**
   * Deliver failures. Implementations must not duplicate a (feedstock, commit, subdir/filename, reason) already
   * delivered.
   */
  sendFailures(reports: FailureReport[]): Promise<void>;
  sendAlert(alert: SecurityAlert): Promise<void>;
}
