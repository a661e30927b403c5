// The publication log's chain (src/audit/chain.ts): each rule of its table, and that an edit, a removal or a reorder
// anywhere is caught, in the ledger and in an exported manifest alike.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  asLoggedEntry,
  chainAfter,
  ChainError,
  ChainVerifier,
  GENESIS,
  type LoggedEntry,
} from '../../src/audit/chain.js';
import { manifestLines, manifestLog, type LogSource } from '../../src/audit/log-source.js';
import { isForgegateError } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-chain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function entries(n: number): LoggedEntry[] {
  const out: LoggedEntry[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      chainAfter(out.at(-1) ?? null, {
        kind: 'publish',
        subdir: i % 2 ? 'noarch' : 'linux-64',
        filename: `pkg${i}-1.0-h0_0.conda`,
        labels: ['main'],
        from: [],
        sha256: 'a'.repeat(64),
        md5: 'b'.repeat(32),
        size: 100 + i,
        uploadedAt: '2026-12-04T07:00:00.123Z',
        evidence: `app: key k${i}`,
        at: '2026-12-04T07:00:01Z',
      }),
    );
  return out;
}

function check(list: LoggedEntry[]): { hash: string; count: number } {
  const v = new ChainVerifier();
  for (const e of list) v.next(asLoggedEntry(JSON.parse(JSON.stringify(e)), v.head.count + 1));
  return v.head;
}

const ruleOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChainError) return e.rule;
    throw e;
  }
  return 'accepted';
};

describe('publication log chain', () => {
  it('an intact chain verifies; its head is the last hash and the first entry follows GENESIS', () => {
    const list = entries(5);
    expect(list[0]!.prev).toBe(GENESIS);
    expect(check(list)).toEqual({ hash: list[4]!.hash, count: 5 });
  });

  it('chain.hash: an edited field (size, sha256, labels, upload time) is caught', () => {
    for (const edit of [
      (e: LoggedEntry) => (e.size = 1),
      (e: LoggedEntry) => (e.sha256 = 'c'.repeat(64)),
      (e: LoggedEntry) => (e.labels = ['rc']),
      (e: LoggedEntry) => (e.uploadedAt = '2026-12-04T08:00:00.000Z'),
    ]) {
      const list = entries(4);
      edit(list[2]!);
      expect(ruleOf(() => check(list))).toBe('chain.hash');
    }
  });

  it('chain.prev: an entry re-hashed after an edit no longer follows the one before it', () => {
    const list = entries(4);
    // The attacker recomputes the edited entry's hash; the next one still commits to the old hash.
    list[1] = chainAfter(list[0]!, { ...list[1]!, size: 1 });
    expect(ruleOf(() => check(list))).toBe('chain.prev');
    const relinked = entries(4);
    relinked[2] = { ...relinked[2]!, prev: relinked[0]!.hash };
    expect(ruleOf(() => check(relinked))).toBe('chain.prev');
  });

  it('chain.seq: a removed entry or two swapped entries are caught', () => {
    const removed = entries(4);
    removed.splice(1, 1);
    expect(ruleOf(() => check(removed))).toBe('chain.seq');
    const swapped = entries(4);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    expect(ruleOf(() => check(swapped))).toBe('chain.seq');
  });

  it('chain.fields: a missing, extra or mistyped field is refused before hashing', () => {
    const [e] = entries(1);
    expect(ruleOf(() => asLoggedEntry({ ...e, extra: 1 }, 1))).toBe('chain.fields');
    const { md5: _md5, ...missing } = e!;
    expect(ruleOf(() => asLoggedEntry(missing, 1))).toBe('chain.fields');
    expect(ruleOf(() => asLoggedEntry({ ...e, size: '100' }, 1))).toBe('chain.fields');
    expect(ruleOf(() => asLoggedEntry({ ...e, kind: 'delete' }, 1))).toBe('chain.fields');
    expect(ruleOf(() => asLoggedEntry([e], 1))).toBe('chain.fields');
    expect(ruleOf(() => asLoggedEntry(e, 1))).toBe('accepted');
  });
});

/** A source over a list, as the ledger's log would stream it (unchecked rows). */
function listSource(list: LoggedEntry[]): LogSource {
  return {
    name: 'list',
    async *entries() {
      const v = new ChainVerifier();
      for (const e of list) yield v.next(e);
      return v.head;
    },
  };
}

async function writeManifest(list: LoggedEntry[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of manifestLines(listSource(list))) lines.push(l);
  return lines;
}

async function readAll(path: string, expectHead?: string): Promise<{ n: number; head: unknown }> {
  const it = manifestLog(path, expectHead).entries();
  let n = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) return { n, head: r.value };
    n++;
  }
}

async function tamperCode(path: string, expectHead?: string): Promise<string> {
  try {
    await readAll(path, expectHead);
    return 'verified';
  } catch (e) {
    if (isForgegateError(e)) return e.code;
    throw e;
  }
}

describe('manifest', () => {
  it('round-trips: JSON Lines, then a trailer with the count and head hash', async () => {
    const list = entries(6);
    const lines = await writeManifest(list);
    expect(lines).toHaveLength(7);
    expect(JSON.parse(lines[6]!)).toEqual({
      manifest: 'forgegate publication log',
      formatVersion: 1,
      count: 6,
      head: list[5]!.hash,
    });
    const path = join(work, 'ok.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    expect(await readAll(path, list[5]!.hash)).toEqual({ n: 6, head: { hash: list[5]!.hash, count: 6 } });
  });

  it('an edited, removed, reordered or cut manifest is FG_AUDIT_TAMPERED; so is one with another head', async () => {
    const list = entries(6);
    const lines = await writeManifest(list);
    const variants: Record<string, string[]> = {
      edited: lines.map((l, i) => (i === 2 ? l.replace('"size":102', '"size":999') : l)),
      removed: lines.filter((_, i) => i !== 3),
      reordered: [lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)],
      'cut (no trailer)': lines.slice(0, 4),
      'tail dropped, trailer kept': [...lines.slice(0, 5), lines[6]!],
    };
    for (const [name, v] of Object.entries(variants)) {
      const path = join(work, `${name}.jsonl`);
      writeFileSync(path, `${v.join('\n')}\n`);
      expect(await tamperCode(path), name).toBe('FG_AUDIT_TAMPERED');
    }
    const path = join(work, 'ok2.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    expect(await tamperCode(path)).toBe('verified');
    expect(await tamperCode(path, 'f'.repeat(64))).toBe('FG_AUDIT_TAMPERED');
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(8);
  });

  it('a missing manifest is FG_INPUT_MISSING, not tampering', async () => {
    expect(await tamperCode(join(work, 'absent.jsonl'))).toBe('FG_INPUT_MISSING');
  });

  it('chain.fields: attestations is optional, hashed only when present, and a sha256 or null when it is', () => {
    const [old] = entries(1);
    const { seq: _s, prev: _p, hash: _h, ...body } = old!;
    const served = chainAfter(null, { ...body, attestations: 'c'.repeat(64) });
    const none = chainAfter(null, { ...body, attestations: null });
    // An entry without the field hashes as before it existed; with it, the value is covered by the hash.
    expect(old!.hash).not.toBe(served.hash);
    expect(served.hash).not.toBe(none.hash);
    for (const e of [old!, served, none])
      expect(() => new ChainVerifier().next(asLoggedEntry(JSON.parse(JSON.stringify(e)), 1))).not.toThrow();
    expect(() => new ChainVerifier().next({ ...served, attestations: 'd'.repeat(64) })).toThrow('chain.hash');
    for (const bad of ['C'.repeat(64), ['c'.repeat(64)], 1])
      expect(() => asLoggedEntry({ ...served, attestations: bad }, 1)).toThrow(
        'attestations is neither null nor a sha256',
      );
  });
});
