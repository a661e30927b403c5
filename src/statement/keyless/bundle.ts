// keyless-v1 "The evidence file": the accepted subset of Sigstore bundles, checked on the JSON as uploaded, before
// any cryptography. Each rule below is one row of the spec's table (and one test); the Sigstore library accepts more
// (bundles v0.1 without an inclusion proof, public-key hints, several signatures), so these come first.
//
// | rule | refused |
// |---|---|
// | size | more than 64 KiB (never read) |
// | json | not UTF-8, not one JSON object, or an object with a key twice |
// | mediaType | anything but `application/vnd.dev.sigstore.bundle.v0.3+json` (v0.1, v0.2, the legacy v0.3 spelling) |
// | certificate | no `verificationMaterial.certificate.rawBytes` (standard base64 DER); a `publicKey`, a chain |
// | tlogEntries | none, or one without `inclusionProof.checkpoint.envelope` |
// | dsseEnvelope | absent (a `messageSignature` bundle); `payloadType` not in-toto; payload not standard base64 |
// | signatures | not exactly one |
import { MAX_SIG_FILE_BYTES } from '../dsse.js';
import { decodeBase64Strict } from '../../util/base64.js';
import { parseJsonStrict } from '../../util/strict-json.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The evidence file is at most this large (as a .sig file). */
export const MAX_BUNDLE_BYTES = MAX_SIG_FILE_BYTES;
export const BUNDLE_SUFFIX = '.sigstore.json';

/** What step 2 takes from a bundle: the JSON for the library, and the parts forgegate reads itself. */
export interface BundleParts {
  json: Record<string, unknown>;
  /** The leaf certificate, DER. */
  certificate: Uint8Array;
  /** The statement's exact bytes (the decoded DSSE payload). */
  payload: Uint8Array;
  /** Each log entry's log id (base64 key id) and index, as the bundle states them (verified by step 3). */
  tlog: { logId: string; logIndex: string }[];
}

export type BundleRead = { ok: true; parts: BundleParts } | { ok: false; detail: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Step 2 on the evidence file's bytes (null: larger than the limit, never read). */
export function readBundle(bytes: Uint8Array | null): BundleRead {
  const bad = (detail: string): BundleRead => ({ ok: false, detail });
  if (bytes === null || bytes.length > MAX_BUNDLE_BYTES)
    return bad(`the bundle is larger than ${MAX_BUNDLE_BYTES / 1024} KiB`);
  const parsed = parseJsonStrict(bytes, 'the bundle');
  if (!parsed.ok) return bad(parsed.detail);
  const json = parsed.value;
  if (!isObj(json)) return bad('the bundle is not a JSON object');
  if (json['mediaType'] !== BUNDLE_MEDIA_TYPE)
    return bad(`mediaType must be ${BUNDLE_MEDIA_TYPE} (bundles v0.1 and v0.2 may leave out the inclusion proof)`);
  const material = json['verificationMaterial'];
  if (!isObj(material)) return bad('verificationMaterial is missing');
  if (material['publicKey'] !== undefined || material['x509CertificateChain'] !== undefined)
    return bad('verificationMaterial must hold one certificate, not a publicKey hint or a certificate chain');
  const cert = material['certificate'];
  const der = isObj(cert) ? decodeBase64Strict(cert['rawBytes']) : null;
  if (der === null || der.length === 0)
    return bad('verificationMaterial.certificate.rawBytes must be the leaf certificate, standard base64 DER');
  const entries = material['tlogEntries'];
  if (!Array.isArray(entries) || entries.length === 0) return bad('verificationMaterial.tlogEntries is empty');
  const tlog: BundleParts['tlog'] = [];
  for (const [i, e] of entries.entries()) {
    const proof = isObj(e) ? e['inclusionProof'] : undefined;
    const checkpoint = isObj(proof) ? proof['checkpoint'] : undefined;
    if (!isObj(checkpoint) || typeof checkpoint['envelope'] !== 'string')
      return bad(`tlogEntries[${i}] has no inclusionProof with a checkpoint (required: a SET alone is not enough)`);
    const logId = isObj(e) && isObj(e['logId']) ? e['logId']['keyId'] : undefined;
    const logIndex = isObj(e) ? e['logIndex'] : undefined;
    tlog.push({
      logId: typeof logId === 'string' ? logId : '',
      logIndex: typeof logIndex === 'string' ? logIndex : '',
    });
  }
  if (json['messageSignature'] !== undefined) return bad('a messageSignature bundle is refused: a DSSE envelope is');
  const env = json['dsseEnvelope'];
  if (!isObj(env)) return bad('dsseEnvelope is missing');
  if (env['payloadType'] !== INTOTO_PAYLOAD_TYPE) return bad(`dsseEnvelope.payloadType must be ${INTOTO_PAYLOAD_TYPE}`);
  const payload = decodeBase64Strict(env['payload']);
  if (payload === null) return bad('dsseEnvelope.payload must be standard base64');
  const sigs = env['signatures'];
  if (!Array.isArray(sigs) || sigs.length !== 1) return bad('dsseEnvelope.signatures must hold exactly one signature');
  return { ok: true, parts: { json, certificate: der, payload, tlog } };
}
