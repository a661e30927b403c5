// DSSE envelope + pre-authentication encoding, as upload-statement-v1 and the DSSE protocol define them.
import { decodeBase64Strict } from '../util/base64.js';

export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const MAX_SIG_FILE_BYTES = 64 * 1024;
/** More entries than this is not a real use of several keys; it is a way to make us verify forever. */
export const MAX_SIGNATURES = 16;

export interface EnvelopeSignature {
  keyid: string;
  sig: Uint8Array;
}

export interface Envelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: EnvelopeSignature[];
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([head, payload]);
}

export type EnvelopeParse = { ok: true; envelope: Envelope } | { ok: false; detail: string };

/** Parse `.sig` bytes. Never throws: anything off is a detail for SIGNATURE_MALFORMED. */
export function parseEnvelope(bytes: Uint8Array | null): EnvelopeParse {
  if (bytes === null) return { ok: false, detail: `signature file is larger than ${MAX_SIG_FILE_BYTES} bytes` };
  if (bytes.length > MAX_SIG_FILE_BYTES)
    return { ok: false, detail: `signature file is larger than ${MAX_SIG_FILE_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, detail: 'signature file is not UTF-8 JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { ok: false, detail: 'envelope is not a JSON object' };
  const e = doc as Record<string, unknown>;
  if (e['payloadType'] !== PAYLOAD_TYPE) return { ok: false, detail: `payloadType must be ${PAYLOAD_TYPE}` };
  const payload = decodeBase64Strict(e['payload']);
  if (payload === null || payload.length === 0) return { ok: false, detail: 'payload is not standard base64' };
  const sigs = e['signatures'];
  if (!Array.isArray(sigs) || sigs.length === 0) return { ok: false, detail: 'signatures must be a non-empty list' };
  if (sigs.length > MAX_SIGNATURES) return { ok: false, detail: `more than ${MAX_SIGNATURES} signatures` };
  const signatures: EnvelopeSignature[] = [];
  for (const [i, s] of sigs.entries()) {
    if (typeof s !== 'object' || s === null || Array.isArray(s))
      return { ok: false, detail: `signatures[${i}] is not an object` };
    const entry = s as Record<string, unknown>;
    const keyid = entry['keyid'] ?? '';
    if (typeof keyid !== 'string') return { ok: false, detail: `signatures[${i}].keyid is not a string` };
    const sig = decodeBase64Strict(entry['sig']);
    if (sig === null || sig.length !== 64)
      return { ok: false, detail: `signatures[${i}].sig is not standard base64 of 64 bytes` };
    signatures.push({ keyid, sig });
  }
  return { ok: true, envelope: { payloadType: PAYLOAD_TYPE, payload, signatures } };
}
