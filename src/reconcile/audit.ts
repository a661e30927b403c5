// `forgegate audit`: what the channel holds against what the gate published (the ledger's hash-chained log, or a
// manifest exported from it) plus a baseline of what was there before the gate. Reads the channel only; the one
// write is to the ledger, to remember which findings were reported (each once).
import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { baselineFile, baselineSubdirs, baselineText, readBaseline, type BaselineLine } from '../audit/baseline.js';
import { compareSubdir, expectedFiles, type ChannelFile } from '../audit/compare.js';
import { AUDIT_FORMAT_VERSION, FINDINGS, type Finding, type FindingCode } from '../audit/findings.js';
import { ledgerLog, manifestLines, manifestLog, type LogSource } from '../audit/log-source.js';
import { AuditSpill } from '../ledger/audit-spill.js';
import { parseArtifactFilename } from '../conda/filename.js';
import type { Config } from '../config/types.js';
import { ForgegateError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { InventoryGap, type ChannelInventory, type InventoryIndex } from '../ports/inventory.js';
import type { ReportSink } from '../ports/reports.js';
import { writeLinesAtomic } from '../util/atomic-write.js';
import { sha256Hex } from '../util/digest.js';
import { toUtcString } from '../util/time.js';
import { auditMemory } from './record.js';
import { createInventory, createReportSink } from './wiring.js';

/** The ledger named in the config, opened for writing (an older one is migrated, which adds the log). */
export function openAuditLedger(config: Config): Ledger {
  if (!existsSync(config.ledger))
    throw new ForgegateError('FG_USAGE', `there is no ledger at ${config.ledger} yet`, {
      fix: 'Run `forgegate reconcile` first, or audit from a manifest with --manifest FILE.',
    });
  return new Ledger(config.ledger);
}

/**
 * Read a source whole, checking every entry against the chain: its head, and the subdirs it names. With a spill,
 * each checked entry also goes there, to come back sorted by file name: the audit compares exactly what was checked.
 */
async function walk(
  source: LogSource,
  spill?: AuditSpill,
): Promise<{ head: string; count: number; subdirs: Set<string> }> {
  const subdirs = new Set<string>();
  const it = source.entries();
  for (;;) {
    const r = await it.next();
    if (r.done) {
      spill?.flush();
      return { head: r.value.hash, count: r.value.count, subdirs };
    }
    subdirs.add(r.value.subdir);
    spill?.putLog(r.value.subdir, r.value);
  }
}

/** Export the ledger's publication log, checked as it streams, to `out`: its head hash and entry count. */
export async function exportManifest(config: Config, out: string): Promise<{ head: string; count: number }> {
  const ledger = openAuditLedger(config);
  try {
    const source = ledgerLog(ledger, config.ledger);
    let trailer = '';
    const lines = (async function* () {
      for await (const line of manifestLines(source)) {
        trailer = line;
        yield line;
      }
    })();
    await writeLinesAtomic(out, lines);
    const t = JSON.parse(trailer) as { head: string; count: number };
    return { head: t.head, count: t.count };
  } finally {
    ledger.close();
  }
}

/** The indexes of the channel grouped by subdir; a channel that cannot be listed at all stops the audit. */
async function indexesBySubdir(inventory: ChannelInventory): Promise<Map<string, InventoryIndex[]>> {
  let indexes: InventoryIndex[];
  try {
    indexes = await inventory.indexes();
  } catch (e) {
    throw new ForgegateError('FG_AUDIT_INCOMPLETE', `the channel cannot be listed: ${(e as Error).message}`, {
      fix: 'Check the target store in the config (path or owner, token, network) and run the audit again.',
    });
  }
  const out = new Map<string, InventoryIndex[]>();
  for (const i of indexes) out.set(i.subdir, [...(out.get(i.subdir) ?? []), i]);
  return out;
}

/**
 * Every file of one subdir's indexes, into the spill (emptied first), merged per (file, label); a gap in any of them
 * leaves the whole subdir unchecked.
 */
async function readChannel(
  inventory: ChannelInventory,
  indexes: InventoryIndex[],
  spill: AuditSpill,
  hashStored = false,
): Promise<{ gap: InventoryGap } | null> {
  spill.clearCopies();
  try {
    for (const [ord, index] of indexes.entries())
      await inventory.scan(index, (f) => spill.putCopy(f, ord), { hashStored });
  } catch (e) {
    if (e instanceof InventoryGap) return { gap: e };
    if (e instanceof ForgegateError) return { gap: new InventoryGap(indexes[0]!.subdir, e.message) };
    throw e;
  }
  spill.flush();
  return null;
}

/** One file's baseline lines: copies with equal bytes and upload time share a line; any other copy gets its own. */
function baselineLines(subdir: string, [file, copies]: ChannelFile): BaselineLine[] {
  const groups = new Map<string, BaselineLine>();
  for (const [label, c] of [...copies].sort(([a], [b]) => a.localeCompare(b))) {
    const line: BaselineLine = {
      file,
      subdir,
      labels: [label],
      sha256: c.indexed?.sha256 ?? null,
      md5: c.indexed?.md5 ?? null,
      size: c.indexed?.size ?? (typeof c.storedSize === 'number' ? c.storedSize : null),
      uploadedAt: c.uploadedAt,
    };
    const key = JSON.stringify([line.sha256, line.md5, line.size, line.uploadedAt]);
    const g = groups.get(key);
    if (g) g.labels.push(label);
    else groups.set(key, line);
  }
  return [...groups.values()];
}

/** `forgegate audit baseline`: the channel now, one sorted JSON Lines file per subdir. Refuses to write half. */
export async function takeBaseline(
  config: Config,
  out: string,
  env: NodeJS.ProcessEnv,
): Promise<{ subdir: string; files: number; lines: number }[]> {
  const inventory = createInventory(config, { env, readOnly: true });
  const spill = new AuditSpill();
  try {
    const result: { subdir: string; files: number; lines: number }[] = [];
    for (const [subdir, indexes] of [...(await indexesBySubdir(inventory))].sort(([a], [b]) => a.localeCompare(b))) {
      const read = await readChannel(inventory, indexes, spill);
      if (read !== null)
        throw new ForgegateError('FG_AUDIT_INCOMPLETE', `no baseline written for ${subdir}: ${read.gap.message}`, {
          fix: 'A baseline must hold the whole channel: repair or remove what cannot be read, then take it again.',
        });
      const counts = { subdir, files: 0, lines: 0 };
      // Written as the sorted files stream out of the spill: never the whole subdir in memory.
      const lines = function* (): Generator<string> {
        for (const file of spill.copies()) {
          counts.files++;
          for (const line of baselineLines(subdir, file)) {
            counts.lines++;
            yield baselineText(line);
          }
        }
      };
      await writeLinesAtomic(baselineFile(out, subdir), lines());
      result.push(counts);
    }
    return result;
  } finally {
    spill.close();
    await inventory.close();
  }
}

const packageOf = (filename: string): string => parseArtifactFilename(filename)?.name ?? filename;

/**
 * Per package name, what its files look like now (names, labels, digests): a change makes it worth a lookup. One
 * hash per name, fed in file-name order, so memory follows the names, not the files.
 */
function fingerprints(files: Iterable<ChannelFile>): { prints: Map<string, string>; packages: Set<string> } {
  const hashes = new Map<string, Hash>();
  // Names a `/package` lookup may ask for: only those of real artifact file names (the index is hostile).
  const packages = new Set<string>();
  for (const [filename, copies] of files) {
    const parsed = parseArtifactFilename(filename);
    if (parsed !== null) packages.add(parsed.name);
    const name = parsed?.name ?? filename;
    let h = hashes.get(name);
    if (h === undefined) hashes.set(name, (h = createHash('sha256')));
    else h.update('\n');
    const lines = [...copies].map(([label, c]) => {
      const d = c.indexed;
      return `${filename}|${label}|${d?.sha256}|${d?.md5}|${d?.size}`;
    });
    h.update(lines.sort().join('\n'));
  }
  return { prints: new Map([...hashes].map(([name, h]) => [name, h.digest('hex')])), packages };
}

/**
 * Upload times where the index does not carry them (anaconda.org): for the names whose files changed since the last
 * audit, or every name with `full`, written into the spill. Returns the fingerprints to remember (null: nothing to
 * remember) and any gap.
 */
async function lookUpUploadTimes(
  inventory: ChannelInventory,
  subdir: string,
  spill: AuditSpill,
  memory: ReturnType<typeof auditMemory> | null,
  full: boolean,
): Promise<{ prints: Map<string, string> | null; gap: { where: string; why: string } | null }> {
  if (inventory.uploadTimes === undefined) return { prints: null, gap: null };
  const { prints, packages } = fingerprints(spill.copies());
  const before = memory?.fingerprints(subdir) ?? new Map<string, string>();
  const wanted = new Set([...packages].filter((name) => full || before.get(name) !== prints.get(name)));
  try {
    await inventory.uploadTimes(subdir, wanted, (file, label, at) => spill.setUploadTime(file, label, at));
  } catch (e) {
    if (!(e instanceof InventoryGap)) throw e;
    return { prints: null, gap: { where: e.where, why: `${e.message}; upload times in ${subdir} were not checked` } };
  }
  spill.flush();
  return { prints, gap: null };
}

export interface AuditOptions {
  baseline?: string;
  manifest?: string;
  expectHead?: string;
  /** Check upload times everywhere (anaconda.org: a lookup per name, not only names whose files changed). */
  full?: boolean;
  /** Send new findings to the report sink and remember them (needs the ledger). */
  report: boolean;
}

export interface AuditResult {
  formatVersion: typeof AUDIT_FORMAT_VERSION;
  status: 'clean' | 'findings' | 'incomplete';
  channel: string;
  log: { source: string; entries: number; head: string };
  baseline: string | null;
  checked: { subdir: string; labels: string[]; files: number }[];
  notChecked: { where: string; why: string }[];
  counts: Record<FindingCode, number>;
  findings: Finding[];
  reported: { sent: number; alreadyReported: number; error: string | null; skipped: string | null };
}

/** A finding's identity for "reported once": its code, file and what the channel showed. */
export function findingKey(f: Finding): string {
  return `audit|${f.code}|${f.subdir}/${f.filename}|${sha256Hex(JSON.stringify(f.observed)).slice(0, 32)}`;
}

export async function runAudit(config: Config, opts: AuditOptions, env: NodeJS.ProcessEnv): Promise<AuditResult> {
  const ledger = existsSync(config.ledger) ? new Ledger(config.ledger) : null;
  if (ledger === null && opts.manifest === undefined) openAuditLedger(config);
  const inventory = createInventory(config, { env, readOnly: true });
  const spill = new AuditSpill();
  try {
    const source =
      opts.manifest !== undefined ? manifestLog(opts.manifest, opts.expectHead) : ledgerLog(ledger!, config.ledger);
    const log = await walk(source, spill);
    if (opts.manifest !== undefined && ledger !== null) {
      // The ledger must still hold what the manifest was exported from: its own chain intact, with the manifest's
      // head at the manifest's length (a ledger rewritten whole, hashes and all, fails here).
      await walk(ledgerLog(ledger, config.ledger));
      const at = ledger.logHashAt(log.count);
      if (log.count > 0 && at !== log.head)
        throw new ForgegateError(
          'FG_AUDIT_TAMPERED',
          `the ledger's publication log does not contain the manifest: entry ${log.count} is ` +
            `${at ?? 'missing'} in the ledger, ${log.head} in the manifest`,
          {
            fix:
              'The ledger or the manifest was rewritten. Trust the manifest kept where the channel token cannot ' +
              'write, audit from it alone, and find out who changed the ledger.',
          },
        );
    }
    const memory = ledger === null ? null : auditMemory(ledger);
    const bySubdir = await indexesBySubdir(inventory);
    const fromBaseline = opts.baseline === undefined ? [] : await baselineSubdirs(opts.baseline);
    const subdirs = [...new Set([...bySubdir.keys(), ...log.subdirs, ...fromBaseline])].sort();
    const result: AuditResult = {
      formatVersion: AUDIT_FORMAT_VERSION,
      status: 'clean',
      channel: inventory.kind,
      log: { source: source.name, entries: log.count, head: log.head },
      baseline: opts.baseline ?? null,
      checked: [],
      notChecked: [],
      counts: Object.fromEntries(Object.keys(FINDINGS).map((c) => [c, 0])) as Record<FindingCode, number>,
      findings: [],
      reported: { sent: 0, alreadyReported: 0, error: null, skipped: null },
    };
    for (const subdir of subdirs) {
      const indexes = bySubdir.get(subdir) ?? [];
      const read = await readChannel(inventory, indexes, spill, opts.full === true);
      if (read !== null) {
        result.notChecked.push({ where: read.gap.where, why: `${read.gap.message}; subdir ${subdir} was not audited` });
        continue;
      }
      const times = await lookUpUploadTimes(inventory, subdir, spill, memory, opts.full === true);
      if (times.gap !== null) result.notChecked.push(times.gap);
      const baseline = opts.baseline === undefined ? [] : readBaseline(opts.baseline, subdir);
      const expected = expectedFiles(baseline, spill.log(subdir));
      const found = new Set<string>();
      let files = 0;
      const channel = function* (): Generator<ChannelFile> {
        for (const file of spill.copies()) {
          files++;
          yield file;
        }
      };
      for await (const f of compareSubdir(subdir, expected, channel())) {
        result.findings.push(f);
        result.counts[f.code]++;
        found.add(packageOf(f.filename));
      }
      // Names with a finding stay "changed", so the next audit looks their upload times up again.
      if (memory !== null && times.prints !== null) {
        const clean = new Map([...times.prints].filter(([name]) => !found.has(name)));
        memory.audited(subdir, clean, found, toUtcString(Date.now()));
      }
      result.checked.push({ subdir, labels: indexes.map((i) => i.label), files });
    }
    result.status = result.notChecked.length > 0 ? 'incomplete' : result.findings.length > 0 ? 'findings' : 'clean';
    if (!opts.report) result.reported.skipped = 'not asked to report (--no-report)';
    else if (ledger === null) result.reported.skipped = 'no ledger to remember reports in: findings are printed only';
    else await report(result, ledger, createReportSink(config.reports, { env }));
    return result;
  } finally {
    spill.close();
    await inventory.close();
    ledger?.close();
  }
}

/** Each new finding once, as a security alert to the administrators; remembered only once delivered. */
async function report(result: AuditResult, ledger: Ledger, sink: ReportSink): Promise<void> {
  const memory = auditMemory(ledger);
  const failed: string[] = [];
  for (const f of result.findings) {
    const key = findingKey(f);
    if (memory.wasReported(key)) {
      result.reported.alreadyReported++;
      continue;
    }
    try {
      await sink.sendAlert({
        kind: 'AUDIT_FINDING',
        subdir: f.subdir,
        filename: f.filename,
        feedstock: null,
        detail:
          `${f.code} (${f.severity}): ${f.detail}\n` +
          `expected: ${JSON.stringify(f.expected)}\nobserved: ${JSON.stringify(f.observed)}`,
      });
    } catch (e) {
      failed.push(`${f.subdir}/${f.filename}: ${(e as Error).message.split('\n')[0]!}`);
      continue;
    }
    memory.reported(key, f, toUtcString(Date.now()));
    result.reported.sent++;
  }
  const shown = failed.slice(0, 3).join('; ');
  if (failed.length > 0)
    result.reported.error = `${failed.length} findings not delivered (${shown}); the next audit retries`;
}
