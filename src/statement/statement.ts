// The upload statement v1 (the decoded DSSE payload): strict parsing of every rule in the spec's table.
import { isArtifactFilename, isSubdir } from '../conda/filename.js';
import { parseUtcTime } from '../util/time.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://forgegate.dev/attestations/upload/v1';

export interface StatementSource {
  repository?: string;
  commit?: string;
  runUrl?: string;
}

/** The fields forgegate acts on, already checked. */
export interface UploadStatement {
  name: string;
  sha256: string;
  md5: string;
  feedstock: string;
  targetChannel: string;
  label: string;
  subdir: string;
  size: number;
  issuedAt: string;
  issuedAtMs: number;
  /** As signed; the statement expires at the earlier of this and issuedAt + the reconciler's maximum signature age. */
  expiresAtMs: number | null;
  source: StatementSource | null;
}

export type StatementParse = { ok: true; statement: UploadStatement } | { ok: false; detail: string };

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1024;

export function parseStatement(payload: Uint8Array): StatementParse {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return { ok: false, detail: 'statement is not UTF-8 JSON' };
  }
  const bad = (detail: string): StatementParse => ({ ok: false, detail });
  if (!isObj(doc)) return bad('statement is not a JSON object');
  if (doc['_type'] !== STATEMENT_TYPE) return bad(`_type must be ${STATEMENT_TYPE}`);
  const subject = doc['subject'];
  if (!Array.isArray(subject) || subject.length !== 1) return bad('subject must hold exactly one element');
  const s0: unknown = subject[0];
  if (!isObj(s0) || !nonEmpty(s0['name']) || !isArtifactFilename(s0['name']))
    return bad('subject[0].name must be an artifact file name');
  const digest = s0['digest'];
  if (!isObj(digest)) return bad('subject[0].digest must be an object');
  if (typeof digest['sha256'] !== 'string' || !HEX64.test(digest['sha256']))
    return bad('subject[0].digest.sha256 must be 64 lowercase hex');
  if (typeof digest['md5'] !== 'string' || !HEX32.test(digest['md5']))
    return bad('subject[0].digest.md5 must be 32 lowercase hex');
  if (doc['predicateType'] !== PREDICATE_TYPE) return bad(`predicateType must be ${PREDICATE_TYPE}`);
  const p = doc['predicate'];
  if (!isObj(p)) return bad('predicate must be an object');
  const text: Record<'feedstock' | 'targetChannel' | 'label' | 'subdir' | 'issuedAt', string> = {
    feedstock: '',
    targetChannel: '',
    label: '',
    subdir: '',
    issuedAt: '',
  };
  for (const field of Object.keys(text) as (keyof typeof text)[]) {
    const v = p[field];
    if (!nonEmpty(v)) return bad(`predicate.${field} must be a non-empty string`);
    text[field] = v;
  }
  const { feedstock, targetChannel, label, subdir, issuedAt } = text;
  const { size, expiresAt, source } = p;
  if (!isSubdir(subdir)) return bad('predicate.subdir is not a conda subdir');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    return bad('predicate.size must be a non-negative integer');
  const issuedAtMs = parseUtcTime(issuedAt);
  if (issuedAtMs === null) return bad('predicate.issuedAt must be an RFC 3339 UTC time ending in Z');
  let expiresAtMs: number | null = null;
  if (expiresAt !== undefined) {
    expiresAtMs = parseUtcTime(expiresAt);
    if (expiresAtMs === null) return bad('predicate.expiresAt must be an RFC 3339 UTC time ending in Z');
  }
  let parsedSource: StatementSource | null = null;
  if (source !== undefined) {
    if (!isObj(source)) return bad('predicate.source must be an object');
    parsedSource = {};
    for (const field of ['repository', 'commit', 'runUrl'] as const) {
      const v = source[field];
      if (v === undefined) continue;
      if (!nonEmpty(v)) return bad(`predicate.source.${field} must be a non-empty string`);
      parsedSource[field] = v;
    }
  }
  return {
    ok: true,
    statement: {
      name: s0['name'],
      sha256: digest['sha256'],
      md5: digest['md5'],
      feedstock,
      targetChannel,
      label,
      subdir,
      size,
      issuedAt,
      issuedAtMs,
      expiresAtMs,
      source: parsedSource,
    },
  };
}
