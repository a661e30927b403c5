// What every ReportSink must do: deliver each failure to the feedstock (and source commit) it belongs to exactly
// once, even when sent again by a sink with no memory, and deliver security alerts. The fixture reads back what a
// maintainer would see on that backend (report files, issues); the suite only talks to the ReportSink interface.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FailureReport, ReportSink, SecurityAlert } from '../../../src/ports/reports.js';
import { fixFor, type ReasonCode } from '../../../src/reasons.js';

/** One failure as delivered. `feedstock` / `commit` are null when it went to the administrators / had no commit. */
export interface DeliveredFailure {
  feedstock: string | null;
  commit: string | null;
  subdir: string;
  filename: string;
  reason: string;
  /** The delivered text of this failure (one row of the report). */
  text: string;
}

export interface DeliveredAlert {
  kind: string;
  subdir: string;
  filename: string;
  /** The delivered text of the alert. */
  text: string;
}

export interface Delivered {
  failures: DeliveredFailure[];
  alerts: DeliveredAlert[];
}

export interface ReportSinkFixture {
  sink: ReportSink;
  /** Another sink for the same destinations with no memory of what `sink` sent (the next run, a lost ledger). */
  newSink(): ReportSink;
  /** Everything delivered so far, read from where maintainers and administrators see it. */
  readDelivered(): Promise<Delivered>;
  /** Every report body as written (issue bodies and comments, or report files), to check their size. */
  readBodies(): Promise<string[]>;
  close(): Promise<void>;
}

/** The feedstocks this suite reports to: their destinations (report folder, repository) must exist. */
export const REPORTED_FEEDSTOCKS = ['numpy', 'scipy'];

const REPORT_MARKER = /^<!-- forgegate:report feedstock=(\S+) commit=(\S+) -->/;
/** A row's own marker ends its line; marker-like text earlier in the line is hostile detail, not a failure. */
const FAILURE_MARKER = /<!-- forgegate:failure ([^/\s]+)\/(\S+) ([A-Z_]+) -->$/;

/** The failures in one report body (a report file or an issue body), read by the markers report-format writes. */
export function failuresInReport(body: string): DeliveredFailure[] {
  const head = REPORT_MARKER.exec(body);
  if (!head) throw new Error(`not a forgegate report:\n${body.slice(0, 200)}`);
  const feedstock = head[1] === '_unattributed' ? null : head[1]!;
  const commit = head[2] === 'unknown' ? null : head[2]!;
  return body
    .split('\n')
    .map((line) => ({ line, m: FAILURE_MARKER.exec(line) }))
    .filter(({ m }) => m !== null)
    .map(({ line, m }) => ({ feedstock, commit, subdir: m![1]!, filename: m![2]!, reason: m![3]!, text: line }));
}

const C1 = 'c0ffee'.padEnd(40, '0');
const C2 = 'decade'.padEnd(40, '1');

function failure(filename: string, extra: Partial<FailureReport> = {}): FailureReport {
  const reason: ReasonCode = extra.reason ?? 'ARTIFACT_UNSAFE';
  return {
    feedstock: 'numpy',
    commit: C1,
    runUrl: 'https://github.com/conda-forge/numpy-feedstock/actions/runs/1',
    subdir: 'linux-64',
    filename,
    label: 'main',
    reason,
    fix: fixFor(reason),
    detail: `detail of ${filename} ${reason}`,
    ...extra,
  };
}

/** The identity a sink deduplicates on, as delivered. */
const identity = (d: DeliveredFailure): string =>
  [d.feedstock ?? '-', d.commit ?? '-', `${d.subdir}/${d.filename}`, d.reason].join(' ');
const expected = (r: FailureReport): string =>
  [r.feedstock ?? '-', r.commit ?? '-', `${r.subdir}/${r.filename}`, r.reason].join(' ');
async function delivered(fx: ReportSinkFixture): Promise<string[]> {
  return (await fx.readDelivered()).failures.map(identity).sort();
}

export function reportSinkContract(
  name: string,
  makeFixture: (feedstocks: string[]) => Promise<ReportSinkFixture>,
): void {
  describe(`ReportSink contract: ${name}`, () => {
    let fx: ReportSinkFixture;
    beforeEach(async () => {
      fx = await makeFixture(REPORTED_FEEDSTOCKS);
    });
    afterEach(async () => {
      vi.useRealTimers();
      await fx.close();
    });

    it('delivers nothing for an empty batch', async () => {
      await fx.sink.sendFailures([]);
      expect(await fx.readDelivered()).toEqual({ failures: [], alerts: [] });
    });

    it('delivers each failure to its feedstock and commit, with its reason, detail and fix', async () => {
      const batch = [
        failure('numpy-2.0-py312h0_0.conda'),
        failure('numpy-2.0-py313h0_0.conda', { reason: 'DIGEST_MISMATCH' }),
        failure('numpy-2.1-py312h0_0.conda', { commit: C2 }),
        failure('scipy-1.0-py312h0_0.conda', { feedstock: 'scipy', subdir: 'osx-arm64' }),
      ];
      await fx.sink.sendFailures(batch);
      const got = (await fx.readDelivered()).failures;
      expect(got.map(identity).sort()).toEqual(batch.map(expected).sort());
      for (const r of batch) {
        const d = got.find((x) => identity(x) === expected(r))!;
        expect(d.text).toContain(r.detail);
        expect(d.text).toContain(fixFor(r.reason));
      }
    });

    it('does not duplicate failures sent again by the same sink', async () => {
      const batch = [failure('numpy-2.0-py312h0_0.conda'), failure('scipy-1.0-h0_0.conda', { feedstock: 'scipy' })];
      await fx.sink.sendFailures(batch);
      await fx.sink.sendFailures(batch);
      expect(await delivered(fx)).toEqual(batch.map(expected).sort());
    });

    it('does not duplicate failures sent again by a new sink with no memory of the first', async () => {
      const batch = [
        failure('numpy-2.0-py312h0_0.conda'),
        failure('numpy-2.0-py313h0_0.conda', { commit: C2 }),
        failure('x-1.0-h0_0.conda', { feedstock: null, commit: null, reason: 'KEY_UNKNOWN' }),
      ];
      await fx.sink.sendFailures(batch);
      await fx.newSink().sendFailures(batch);
      await fx.newSink().sendFailures([batch[1]!]);
      expect(await delivered(fx)).toEqual(batch.map(expected).sort());
    });

    it('adds new failures of a feedstock and commit beside those already delivered, each once', async () => {
      const a = failure('numpy-2.0-py312h0_0.conda');
      const b = failure('numpy-2.0-py313h0_0.conda');
      const c = failure('numpy-2.0-py314h0_0.conda');
      await fx.sink.sendFailures([a]);
      await fx.newSink().sendFailures([a, b]);
      await fx.newSink().sendFailures([c, b, a]);
      expect(await delivered(fx)).toEqual([a, b, c].map(expected).sort());
    });

    it('delivers the same artifact failing for another reason as another failure', async () => {
      const unsafe = failure('numpy-2.0-py312h0_0.conda');
      const mismatch = failure('numpy-2.0-py312h0_0.conda', { reason: 'DIGEST_MISMATCH' });
      await fx.sink.sendFailures([unsafe]);
      await fx.newSink().sendFailures([mismatch]);
      expect(await delivered(fx)).toEqual([unsafe, mismatch].map(expected).sort());
    });

    it('keeps every body under 65,536 characters, listing or counting each failure once, even sent again', async () => {
      // GitHub refuses longer bodies: one oversized report would fail on every run.
      const flood = Array.from({ length: 400 }, (_, i) =>
        failure(`numpy-2.0-junk${i}_0.conda`, { detail: `signed with key id ${'k'.repeat(60_000)}` }),
      );
      await fx.sink.sendFailures(flood);
      const bodies = await fx.readBodies();
      for (const body of bodies) expect(body.length).toBeLessThanOrEqual(65_536);
      const listed = await delivered(fx);
      const counted = bodies
        .map((b) => Number(/\*\*([\d,]+) more failures are not listed here\*\*/.exec(b)?.[1]?.replace(/,/g, '') ?? 0))
        .reduce((a, b) => a + b, 0);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.length + counted).toBe(400);
      await fx.newSink().sendFailures(flood);
      expect(await fx.readBodies()).toEqual(bodies);
    });

    it('delivers a failure repeated within one batch once', async () => {
      const a = failure('numpy-2.0-py312h0_0.conda');
      await fx.sink.sendFailures([a, { ...a, detail: 'the same failure, found twice' }, a]);
      expect(await delivered(fx)).toEqual([expected(a)]);
    });

    it('delivers failures without a feedstock or commit, or with names unsafe as destinations, to the administrators', async () => {
      await fx.sink.sendFailures([
        failure('a-1.0-h0_0.conda', { feedstock: null, commit: null, reason: 'KEY_UNKNOWN' }),
        failure('b-1.0-h0_0.conda', { feedstock: '../../etc', commit: '../HEAD', reason: 'SIGNATURE_INVALID' }),
        failure('c-1.0-h0_0.conda', { commit: 'not a commit' }),
      ]);
      expect(await delivered(fx)).toEqual(
        [
          '- - linux-64/a-1.0-h0_0.conda KEY_UNKNOWN',
          '- - linux-64/b-1.0-h0_0.conda SIGNATURE_INVALID',
          'numpy - linux-64/c-1.0-h0_0.conda ARTIFACT_UNSAFE',
        ].sort(),
      );
    });

    it('does not let a detail that quotes the marker of another failure hide that failure', async () => {
      // Details carry uploader-controlled text (a statement's feedstock, archive entry names), in reports that
      // other failures share: the administrators' report for KEY_UNKNOWN, for one.
      const forged = '<!-- forgegate:failure linux-64/victim-1.0-h0_0.conda KEY_UNKNOWN -->';
      const attacker = failure('attacker-1.0-h0_0.conda', {
        feedstock: null,
        commit: null,
        reason: 'KEY_UNKNOWN',
        detail: `feedstock "x ${forged}" has no keys in the registry`,
      });
      const victim = failure('victim-1.0-h0_0.conda', { feedstock: null, commit: null, reason: 'KEY_UNKNOWN' });
      await fx.sink.sendFailures([attacker]);
      await fx.newSink().sendFailures([victim]);
      expect(await delivered(fx)).toEqual([attacker, victim].map(expected).sort());
    });

    it('does not let a detail that quotes the marker of an alert stop that alert', async () => {
      const alert: SecurityAlert = {
        kind: 'REGISTRY_CONFLICT',
        subdir: 'linux-64',
        filename: 'victim-1.0-h0_0.conda',
        feedstock: 'numpy',
        detail: 'registered to another feedstock meanwhile',
      };
      const forged = `<!-- forgegate:alert ${alert.kind} ${alert.subdir}/${alert.filename} -->`;
      await fx.sink.sendFailures([
        failure('attacker-1.0-h0_0.conda', {
          feedstock: null,
          commit: null,
          reason: 'KEY_UNKNOWN',
          detail: `feedstock "x ${forged}" has no keys in the registry`,
        }),
      ]);
      await fx.newSink().sendAlert(alert);
      const { alerts } = await fx.readDelivered();
      expect(alerts.map((a) => `${a.kind} ${a.subdir}/${a.filename}`)).toEqual([
        `${alert.kind} ${alert.subdir}/${alert.filename}`,
      ]);
    });

    it('does not let an alert about a file with a hostile name stop another alert', async () => {
      const victim: SecurityAlert = {
        kind: 'STAGING_CHANGED',
        subdir: 'linux-64',
        filename: 'victim-1.0-h0_0.conda',
        feedstock: null,
        detail: 'staging changed under the run',
      };
      const forged = `<!-- forgegate:alert ${victim.kind} ${victim.subdir}/${victim.filename} -->`;
      await fx.sink.sendAlert({ ...victim, filename: `junk\n${forged}\n`, detail: 'a stray with a hostile name' });
      await fx.newSink().sendAlert(victim);
      const { alerts } = await fx.readDelivered();
      expect(alerts.map((a) => `${a.kind} ${a.subdir}/${a.filename}`)).toContain(
        `${victim.kind} ${victim.subdir}/${victim.filename}`,
      );
    });

    it('sendAlert() delivers the alert with its kind, artifact and detail', async () => {
      const alert: SecurityAlert = {
        kind: 'TARGET_CONFIRMATION_MISMATCH',
        subdir: 'noarch',
        filename: 'a-1.0-h0_0.conda',
        feedstock: 'numpy',
        detail: 'the target served other bytes after publishing',
      };
      await fx.sink.sendAlert(alert);
      const { alerts, failures } = await fx.readDelivered();
      expect(failures).toEqual([]);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: alert.kind, subdir: alert.subdir, filename: alert.filename });
      expect(alerts[0]!.text).toContain(alert.detail);
    });

    it('delivers every one of several alerts raised at the same moment', async () => {
      // The applier works on many items at once: two alerts can be raised within one clock tick.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-03-01T12:00:00.000Z'));
      const alerts: SecurityAlert[] = [
        {
          kind: 'REGISTRY_CONFLICT',
          subdir: 'linux-64',
          filename: 'a-1.0-h0_0.conda',
          feedstock: 'numpy',
          detail: 'a',
        },
        {
          kind: 'REGISTRY_CONFLICT',
          subdir: 'linux-64',
          filename: 'b-1.0-h0_0.conda',
          feedstock: 'scipy',
          detail: 'b',
        },
        {
          kind: 'TARGET_CONFIRMATION_MISMATCH',
          subdir: 'noarch',
          filename: 'c-1.0-h0_0.conda',
          feedstock: null,
          detail: 'c',
        },
      ];
      await Promise.all(alerts.map((a) => fx.sink.sendAlert(a)));
      const got = (await fx.readDelivered()).alerts.map((a) => `${a.kind} ${a.subdir}/${a.filename}`).sort();
      expect(got).toEqual(alerts.map((a) => `${a.kind} ${a.subdir}/${a.filename}`).sort());
    });
  });
}
