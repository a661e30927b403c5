// The CEP 27 publication statement (keyless-v1, "The statement"): every rule of the spec's table, on the exact bytes
// the envelope signed. Never re-serialised. Any violation is SIGNATURE_MALFORMED.
import { isArtifactFilename } from '../../conda/filename.js';
import { parseJsonStrict } from '../../util/strict-json.js';
import { STATEMENT_TYPE } from '../statement.js';

export const CEP27_PREDICATE_TYPE = 'https://schemas.conda.org/attestations-publish-1.schema.json';

export interface PublishStatement {
  /** subject[0].name: the artifact's file name as repodata lists it. */
  name: string;
  sha256: string;
  /** predicate.targetChannel as signed. */
  targetChannel: string;
}

export type PublishStatementParse = { ok: true; statement: PublishStatement } | { ok: false; detail: string };

const HEX64 = /^[0-9a-f]{64}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An http(s) URL with no user information, query, fragment or trailing slash, exactly as written. */
export function isChannelUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.username !== '' || url.password !== '') return false;
  return !text.includes('?') && !text.includes('#') && !text.endsWith('/');
}

export function parsePublishStatement(payload: Uint8Array): PublishStatementParse {
  const bad = (detail: string): PublishStatementParse => ({ ok: false, detail });
  const json = parseJsonStrict(payload, 'statement');
  if (!json.ok) return bad(json.detail);
  const doc = json.value;
  if (!isObj(doc)) return bad('statement is not a JSON object');
  if (doc['_type'] !== STATEMENT_TYPE) return bad(`_type must be ${STATEMENT_TYPE}`);
  const subject = doc['subject'];
  if (!Array.isArray(subject) || subject.length !== 1) return bad('subject must hold exactly one element');
  const s0: unknown = subject[0];
  if (!isObj(s0)) return bad('subject[0] must be an object');
  const name = s0['name'];
  if (typeof name !== 'string' || name.includes('/') || name.includes('\\') || !isArtifactFilename(name))
    return bad('subject[0].name must be the artifact file name (no folder), ending in .conda or .tar.bz2');
  const digest = s0['digest'];
  if (!isObj(digest) || Object.keys(digest).length !== 1 || typeof digest['sha256'] !== 'string')
    return bad('subject[0].digest must hold exactly one member, sha256 (CEP 27: a single sha256 entry)');
  if (!HEX64.test(digest['sha256'])) return bad('subject[0].digest.sha256 must be 64 lowercase hex');
  if (doc['predicateType'] !== CEP27_PREDICATE_TYPE) return bad(`predicateType must be ${CEP27_PREDICATE_TYPE}`);
  const predicate = doc['predicate'];
  if (!isObj(predicate)) return bad('predicate must be an object holding targetChannel');
  const channel = predicate['targetChannel'];
  if (typeof channel !== 'string') return bad('predicate.targetChannel must be a string');
  if (!isChannelUrl(channel))
    return bad(
      'predicate.targetChannel must be an http(s) URL with no user information, query, fragment or trailing /',
    );
  return { ok: true, statement: { name, sha256: digest['sha256'], targetChannel: channel } };
}

/** The label a target channel URL names for this gate's channel: `main` for the channel itself; null for neither. */
export function labelOf(targetChannel: string, channel: string): string | null {
  if (targetChannel === channel) return 'main';
  const prefix = `${channel}/label/`;
  if (!targetChannel.startsWith(prefix)) return null;
  const label = targetChannel.slice(prefix.length);
  return label === '' || label.includes('/') ? null : label;
}
