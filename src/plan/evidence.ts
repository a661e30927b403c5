// Which of an artifact's evidence decides it: `.sig` statements (upload-statement-v1) and `.sigstore.json` bundles
// (keyless-v1). Staging is shared by every feedstock's CI, so anyone can stage evidence over anyone's bytes:
//   1. each piece names a feedstock, whose keys file says whether that kind of evidence counts for it (keyless-v1,
//      "Both kinds of evidence"): a piece that does not count is ignored, with the warning EVIDENCE_IGNORED;
//   2. among the pieces checked, only those whose feedstock owns the name decide; the others are warnings (a
//      feedstock that does not own a name can never veto, or publish, its upload);
//   3. one passing piece is enough, and a failing sibling is a warning; two passing pieces of both kinds must name
//      the same feedstock, channel and label; with none passing, a bundle's reason is the verdict over a .sig's.
import type { FeedstockFile, SigstoreRegistryConfig } from '../ports/registry.js';
import type { StagedArtifact } from '../ports/staging.js';
import type { ReasonCode } from '../reasons.js';
import type { KeylessPass, KeylessResult } from '../statement/keyless/verify-keyless.js';
import type { UploadStatement } from '../statement/statement.js';
import type { VerifyResult } from '../statement/verify.js';
import type { EvidenceKind, EvidenceWarning, PassedEvidence } from './types.js';

/** At most this many warnings per item: the rest are counted (a stager can pair any number of statements). */
const MAX_WARNINGS = 5;

export interface Binding {
  reason: ReasonCode;
  detail: string;
}

/** A failed verdict whose only failure is freshness: its statement and the key id that verified it. */
export type Stale = VerifyResult & { ok: false; statement: UploadStatement; staleKeyid: string };

/** One piece of evidence paired with the artifact, as the planner saw it. */
export type Piece =
  | { evidence: 'sig'; file: string; result: VerifyResult; sha256: string }
  | {
      evidence: 'sigstore.json';
      file: string;
      result: KeylessResult;
      /** On a pass: the statement steps 7-9 read (feedstock, label, the received bytes' digests). */
      statement: UploadStatement | null;
    };

/** A piece left out by the evidence table before it is checked. */
export interface IgnoredPiece {
  evidence: EvidenceKind;
  file: string;
  detail: string;
}

export type Deciding =
  | { ok: true; statement: UploadStatement; passed: PassedEvidence[]; keyid: string | null }
  | {
      ok: false;
      reason: ReasonCode;
      detail: string;
      statement: UploadStatement | null;
      /** The feedstock the deciding piece names (verified or not): where its report goes. */
      feedstock: string | null;
      /** The artifact waits instead (TRUST_ROOT_UNAVAILABLE); never rejected for it. */
      waiting: boolean;
      /** Nothing was checked at all (every piece ignored, or none present): SIGNATURE_MISSING, with its grace. */
      missing: boolean;
    };

export interface Evidence {
  deciding: Deciding;
  /** A .sig, by a feedstock that owns the name, failing only its freshness and bound to the staged file. */
  stale: Stale | null;
  warnings: string[];
  evidenceWarnings: EvidenceWarning[];
}

/** Whether a feedstock's keys file lets this kind of evidence count (keyless-v1, the evidence table). */
export function evidenceCounts(
  kind: EvidenceKind,
  file: FeedstockFile | null,
  sigstore: SigstoreRegistryConfig | undefined,
): string | null {
  const keys = (file?.keys.length ?? 0) > 0;
  const publishers = (file?.publishers.length ?? 0) > 0;
  if (kind === 'sigstore.json') {
    if (sigstore === undefined) return "the registry's config.json has no sigstore block: keyless evidence is off";
    if (keys && !publishers) return 'its feedstock registers keys and no publishers';
    return null;
  }
  if (publishers && !keys) return 'its feedstock registers publishers and no keys';
  if (publishers && file?.accept === 'sigstore') return 'its feedstock accepts only .sigstore.json (accept: sigstore)';
  return null;
}

interface View {
  piece: Piece;
  ok: boolean;
  feedstock: string | null;
  statement: UploadStatement | null;
  reason: ReasonCode | null;
  detail: string;
}

function view(piece: Piece): View {
  const r = piece.result;
  if (piece.evidence === 'sig')
    return {
      piece,
      ok: r.ok,
      feedstock: piece.result.statement?.feedstock ?? null,
      statement: piece.result.statement,
      reason: piece.result.ok ? null : piece.result.reason,
      detail: piece.result.ok ? '' : piece.result.detail,
    };
  const k = piece.result;
  return {
    piece,
    ok: k.ok,
    feedstock: k.ok ? k.pass.feedstock : k.feedstock,
    statement: piece.statement,
    reason: k.ok ? null : k.reason,
    detail: k.ok ? '' : k.detail,
  };
}

function passedOf(v: View): PassedEvidence {
  const p = v.piece;
  if (p.evidence === 'sig')
    return { evidence: 'sig', file: p.file, sha256: p.sha256, keyid: (p.result as { keyid: string }).keyid };
  const k: KeylessPass = (p.result as { ok: true; pass: KeylessPass }).pass;
  return {
    evidence: 'sigstore.json',
    file: p.file,
    publisher: k.publisher,
    signingTime: k.signingTime,
    logs: k.logs,
    bundleSha256: k.bundleSha256,
    trustedRootSha256: k.rootSha256,
  };
}

/**
 * `checked` are the verdicts on every piece the table lets count, newest first; `ignored` the others. `owns` says
 * whether a feedstock owns (or may register) the artifact's name; `bind` checks a statement against the staged file.
 */
export function chooseEvidence(
  artifact: StagedArtifact,
  checked: readonly Piece[],
  ignored: readonly IgnoredPiece[],
  owns: (feedstock: string) => boolean,
  bind: (artifact: StagedArtifact, st: UploadStatement) => Binding | null,
): Evidence {
  const warnings: string[] = [];
  const evidenceWarnings: EvidenceWarning[] = [];
  const warn = (code: ReasonCode, evidence: EvidenceKind, file: string, text: string): void => {
    warnings.push(text);
    evidenceWarnings.push({ code, evidence, file });
  };
  for (const i of ignored) warn('EVIDENCE_IGNORED', i.evidence, i.file, `EVIDENCE_IGNORED: ${i.file} (${i.detail})`);

  const views = checked.map(view);
  const owner = views.filter((v) => v.feedstock !== null && owns(v.feedstock));
  // Without evidence by an owner, the newest evidence decides as before: the artifact is refused either way, and its
  // stager learns why. With some, nobody else's evidence counts.
  const deciding = owner.length > 0 ? owner : views;
  const binds = (v: View): boolean => v.statement !== null && bind(artifact, v.statement) === null;
  const passing = deciding.filter((v) => v.ok && binds(v));
  const sigPass = passing.find((v) => v.piece.evidence === 'sig');
  const bundlePass = passing.find((v) => v.piece.evidence === 'sigstore.json');

  let result: Deciding;
  let chosen: View | null;
  let used: View[] = [];
  if (sigPass !== undefined && bundlePass !== undefined && disagree(sigPass.statement!, bundlePass.statement!)) {
    const a = sigPass.statement!;
    const b = bundlePass.statement!;
    chosen = bundlePass;
    result = {
      ok: false,
      reason: 'TARGET_MISMATCH',
      detail:
        `${sigPass.piece.file} and ${bundlePass.piece.file} both verify but disagree: feedstock ` +
        `${a.feedstock} / ${b.feedstock}, channel ${a.targetChannel} / ${b.targetChannel}, label ${a.label} / ` +
        b.label,
      statement: b,
      feedstock: b.feedstock,
      waiting: false,
      missing: false,
    };
  } else if (passing.length > 0) {
    // A .sig's statement binds every digest; a bundle's binds the sha256 (its md5 and size are of the bytes).
    chosen = sigPass ?? bundlePass!;
    used = [bundlePass, sigPass].filter((v): v is View => v !== undefined);
    result = {
      ok: true,
      statement: chosen.statement!,
      passed: used.map(passedOf),
      keyid: sigPass === undefined ? null : (sigPass.piece.result as { keyid: string }).keyid,
    };
  } else if (deciding.length === 0) {
    chosen = null;
    result = {
      ok: false,
      reason: 'SIGNATURE_MISSING',
      detail: 'no evidence is checked',
      statement: null,
      feedstock: null,
      waiting: false,
      missing: true,
    };
  } else {
    const bundles = deciding.filter((v) => v.piece.evidence === 'sigstore.json');
    const pool = bundles.length > 0 ? bundles : deciding;
    chosen = pool.find((v) => v.ok) ?? pool[0]!;
    // A piece that verifies yet does not bind to the staged file fails for the binding's reason.
    const binding = chosen.ok ? bind(artifact, chosen.statement!) : null;
    result = {
      ok: false,
      reason: binding?.reason ?? chosen.reason!,
      detail: binding?.detail ?? chosen.detail,
      statement: chosen.statement,
      feedstock: chosen.feedstock,
      waiting: chosen.reason === 'TRUST_ROOT_UNAVAILABLE',
      missing: false,
    };
  }

  const bundleDecides = chosen !== null && chosen.piece.evidence === 'sigstore.json';
  for (const v of views) {
    if (v === chosen || used.includes(v)) continue;
    const who =
      v.piece.evidence === 'sigstore.json'
        ? `${v.piece.file}${v.feedstock === null ? '' : ` (feedstock "${v.feedstock}")`}`
        : v.statement === null
          ? 'an unreadable statement'
          : `a statement by "${v.statement.feedstock}"`;
    const verdict = v.ok ? 'verifies' : `${v.reason}: ${v.detail}`;
    const code: ReasonCode = v.reason ?? 'EVIDENCE_IGNORED';
    if (owner.length > 0 && !owner.includes(v)) {
      warn(code, v.piece.evidence, v.piece.file, `ignored ${who}, which does not own this name (${verdict})`);
    } else if (!v.ok && (result.ok || bundleDecides || v.piece.evidence === 'sigstore.json')) {
      warn(code, v.piece.evidence, v.piece.file, `${who} paired with this file fails (${verdict})`);
    }
  }
  const staleView = owner.find((v) => {
    const r = v.piece.result;
    return v.piece.evidence === 'sig' && !r.ok && 'staleKeyid' in r && r.staleKeyid !== undefined && binds(v);
  });
  const shown = warnings.slice(0, MAX_WARNINGS);
  if (warnings.length > MAX_WARNINGS) shown.push(`and ${warnings.length - MAX_WARNINGS} more`);
  return {
    deciding: result,
    stale: staleView === undefined ? null : (staleView.piece.result as Stale),
    warnings: shown,
    evidenceWarnings: evidenceWarnings.slice(0, MAX_WARNINGS * 4),
  };
}

function disagree(a: UploadStatement, b: UploadStatement): boolean {
  return a.feedstock !== b.feedstock || a.targetChannel !== b.targetChannel || a.label !== b.label;
}
