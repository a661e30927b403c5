import { describe, expect, it } from 'vitest';
import type { ItemResult } from '../../src/apply/outcome.js';
import type { PlanItem } from '../../src/plan/types.js';
import { failureReports } from '../../src/reconcile/report-failures.js';
import type { ReasonCode } from '../../src/reasons.js';

const item: PlanItem = {
  subdir: 'noarch',
  filename: 'x-1-0.conda',
  feedstock: 'victim',
  decision: 'reject',
  reason: 'OUTPUT_NOT_ALLOWED',
  fix: 'f',
  detail: 'd',
  label: 'main',
  sha256: null,
  md5: null,
  size: null,
  register: false,
  deleteStaged: false,
  pastRetention: false,
  sourceCommit: 'a'.repeat(40),
  sourceRunUrl: 'https://ci/run/1',
  keyid: null,
  signatures: [],
  inspection: null,
  adminCause: null,
  twin: null,
  warnings: [],
  evidenceWarnings: [],
  passed: [],
};
const rejected = (reason: ReasonCode): ItemResult => ({
  item,
  outcome: { kind: 'rejected', reason, detail: 'd', deleted: false },
});

describe('failureReports', () => {
  it("groups verified failures by the statement's feedstock and commit", () => {
    expect(failureReports([rejected('OUTPUT_NOT_ALLOWED')])[0]).toMatchObject({
      feedstock: 'victim',
      commit: 'a'.repeat(40),
      runUrl: 'https://ci/run/1',
    });
  });

  it('never lets an unverified statement pick the commit, and sends KEY_UNKNOWN to the administrators', () => {
    expect(failureReports([rejected('SIGNATURE_INVALID')])[0]).toMatchObject({
      feedstock: 'victim',
      commit: null,
      runUrl: null,
    });
    expect(failureReports([rejected('KEY_UNKNOWN')])[0]).toMatchObject({ feedstock: null, commit: null });
  });

  it('reports only rejections', () => {
    expect(
      failureReports([
        { item, outcome: { kind: 'published', registered: false } },
        { item, outcome: { kind: 'failed', detail: 'x' } },
      ]),
    ).toEqual([]);
  });
});
