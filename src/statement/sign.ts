// Build and sign an upload statement: what `forgegate sign` writes into ARTIFACT.sig.
import nacl from 'tweetnacl';
import type { Digests } from '../model.js';
import { encodeBase64 } from '../util/base64.js';
import { toUtcString } from '../util/time.js';
import { PAYLOAD_TYPE, pae } from './dsse.js';
import type { KeyPair } from './keys.js';
import { PREDICATE_TYPE, STATEMENT_TYPE, type StatementSource } from './statement.js';

export interface StatementInput {
  filename: string;
  digests: Digests;
  feedstock: string;
  targetChannel: string;
  label: string;
  subdir: string;
  issuedAtMs: number;
  expiresAtMs?: number;
  source?: StatementSource;
}

export function buildStatement(input: StatementInput): Uint8Array {
  const predicate: Record<string, unknown> = {
    feedstock: input.feedstock,
    targetChannel: input.targetChannel.replace(/\/+$/, ''),
    label: input.label,
    subdir: input.subdir,
    size: input.digests.size,
    issuedAt: toUtcString(input.issuedAtMs),
  };
  if (input.expiresAtMs !== undefined) predicate['expiresAt'] = toUtcString(input.expiresAtMs);
  if (input.source && Object.keys(input.source).length > 0) predicate['source'] = input.source;
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: input.filename, digest: { sha256: input.digests.sha256, md5: input.digests.md5 } }],
    predicateType: PREDICATE_TYPE,
    predicate,
  };
  return Buffer.from(`${JSON.stringify(statement, null, 2)}\n`, 'utf8');
}

/** The `.sig` file content: a DSSE envelope with one signature per key. */
export function signEnvelope(payload: Uint8Array, keys: KeyPair[]): string {
  const message = pae(PAYLOAD_TYPE, payload);
  const envelope = {
    payloadType: PAYLOAD_TYPE,
    payload: encodeBase64(payload),
    signatures: keys.map((k) => ({ keyid: k.keyid, sig: encodeBase64(nacl.sign.detached(message, k.secretKey)) })),
  };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}
