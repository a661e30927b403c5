// The identity a Fulcio leaf certificate carries, read exactly: each extension 1.3.6.1.4.1.57264.1.8 and above holds
// a DER UTF8String inside the extension's OCTET STRING, decoded here before anything compares it (the raw bytes never
// equal a plain string; a regular expression over them would match look-alikes). The deprecated raw-string extensions
// .1.1–.1.6 are never read.
import { children, decodeOid, DerError, readOne, TAG } from './der.js';

export const FULCIO_OID = '1.3.6.1.4.1.57264.1';
const SAN_OID = '2.5.29.17';
/** GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String. */
const SAN_URI = 0x86;

/** The claims keyless-v1 step 4 reads, by the name the spec gives them. */
export const CLAIM_OIDS = {
  issuer: 8,
  signer: 9,
  runner: 11,
  repo: 12,
  commit: 13,
  ref: 14,
  repositoryId: 15,
  ownerId: 17,
  buildConfig: 18,
  event: 20,
  runUrl: 21,
  environment: 23,
} as const;

export type ClaimName = keyof typeof CLAIM_OIDS;

/** What the certificate says; an absent extension is an absent claim, equal to nothing. */
export interface CertificateIdentity {
  /** Every URI of the subject alternative name (Fulcio writes exactly one). */
  sanUris: string[];
  claims: Partial<Record<ClaimName, string>>;
}

export type IdentityRead = { ok: true; identity: CertificateIdentity } | { ok: false; detail: string };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function extensionsOf(der: Uint8Array): { oid: string; value: Uint8Array }[] {
  const cert = readOne(der);
  if (cert.tag !== TAG.SEQUENCE) throw new DerError('certificate is not a SEQUENCE');
  const [tbs] = children(cert.value);
  if (tbs?.tag !== TAG.SEQUENCE) throw new DerError('tbsCertificate is not a SEQUENCE');
  // [3] EXPLICIT Extensions, the last optional field of TBSCertificate v3.
  const wrapped = children(tbs.value).find((t) => t.tag === 0xa3);
  if (wrapped === undefined) return [];
  const list = readOne(wrapped.value);
  if (list.tag !== TAG.SEQUENCE) throw new DerError('extensions are not a SEQUENCE');
  return children(list.value).map((ext) => {
    if (ext.tag !== TAG.SEQUENCE) throw new DerError('an extension is not a SEQUENCE');
    const parts = children(ext.value);
    const id = parts[0];
    const value = parts.at(-1);
    if (id?.tag !== TAG.OID || value?.tag !== TAG.OCTET_STRING || parts.length > 3)
      throw new DerError('an extension is not { OID, [critical], OCTET STRING }');
    return { oid: decodeOid(id.value), value: value.value };
  });
}

/** Read the leaf's identity. Refused: bytes that are not DER, an extension listed twice, a claim not a UTF8String. */
export function readIdentity(der: Uint8Array): IdentityRead {
  try {
    const extensions = extensionsOf(der);
    const seen = new Set<string>();
    for (const e of extensions) {
      if (seen.has(e.oid)) return { ok: false, detail: `certificate lists extension ${e.oid} twice` };
      seen.add(e.oid);
    }
    const byOid = new Map(extensions.map((e) => [e.oid, e.value]));
    const claims: Partial<Record<ClaimName, string>> = {};
    for (const [name, arc] of Object.entries(CLAIM_OIDS) as [ClaimName, number][]) {
      const value = byOid.get(`${FULCIO_OID}.${arc}`);
      if (value === undefined) continue;
      const inner = readOne(value);
      if (inner.tag !== TAG.UTF8_STRING)
        return { ok: false, detail: `certificate extension ${FULCIO_OID}.${arc} (${name}) is not a DER UTF8String` };
      claims[name] = UTF8.decode(inner.value);
    }
    const sanUris: string[] = [];
    const san = byOid.get(SAN_OID);
    if (san !== undefined) {
      const names = readOne(san);
      if (names.tag !== TAG.SEQUENCE) throw new DerError('subjectAltName is not a SEQUENCE');
      for (const n of children(names.value)) if (n.tag === SAN_URI) sanUris.push(UTF8.decode(n.value));
    }
    return { ok: true, identity: { sanUris, claims } };
  } catch (e) {
    if (e instanceof DerError || e instanceof TypeError)
      return { ok: false, detail: `certificate is not DER X.509 (${e.message})` };
    throw e;
  }
}
