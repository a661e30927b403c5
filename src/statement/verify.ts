// Steps 2-5 of upload-statement-v1 and the channel/label half of step 6, in the spec's order. Pure.
import type { RegistryKey } from '../ports/registry.js';
import type { ReasonCode } from '../reasons.js';
import { decodeBase64Strict } from '../util/base64.js';
import { boundText } from '../util/bound-text.js';
import { parseUtcTime } from '../util/time.js';
import { pae, parseEnvelope } from './dsse.js';
import { ed25519Verify } from './ed25519.js';
import { parseStatement, type UploadStatement } from './statement.js';

export interface VerifyContext {
  nowMs: number;
  maxSignatureAgeMs: number;
  clockSkewMs: number;
  targetChannel: string;
  labels: readonly string[];
  /** The feedstock's registered keys; null or [] when it has none. */
  keysFor(feedstock: string): readonly RegistryKey[] | null;
}

export type VerifyResult =
  | { ok: true; statement: UploadStatement; keyid: string }
  | {
      ok: false;
      reason: ReasonCode;
      detail: string;
      statement: UploadStatement | null;
      /**
       * SIGNATURE_EXPIRED only: the key id that verified when freshness was the one check that failed (channel and
       * label agree). Enough to clean up a staged copy of what is already published (spec step 9).
       */
      staleKeyid?: string;
    };

type KeyState = 'usable' | 'revoked' | 'expired';

/** How much of the envelope's claimed key ids a detail shows: a few, each about the length of a real one. */
const MAX_CLAIMED_SHOWN = 4;
const MAX_KEYID_SHOWN = 80;
/** Other claimed text in a detail (a feedstock, a channel, a label): the registry's names are at most 200. */
const claim = (text: string): string => boundText(text, 200);

function keyState(key: RegistryKey, nowMs: number): KeyState {
  const revokedAt = key.revokedAt == null ? null : parseUtcTime(key.revokedAt);
  if (revokedAt !== null && revokedAt <= nowMs) return 'revoked';
  const notAfter = key.notAfter == null ? null : parseUtcTime(key.notAfter);
  if (notAfter !== null && nowMs >= notAfter) return 'expired';
  return 'usable';
}

export function verifySignatureFile(sigBytes: Uint8Array | null, ctx: VerifyContext): VerifyResult {
  // 2. envelope and statement
  const env = parseEnvelope(sigBytes);
  if (!env.ok) return { ok: false, reason: 'SIGNATURE_MALFORMED', detail: env.detail, statement: null };
  const parsed = parseStatement(env.envelope.payload);
  if (!parsed.ok) return { ok: false, reason: 'SIGNATURE_MALFORMED', detail: parsed.detail, statement: null };
  const statement = parsed.statement;
  const fail = (reason: ReasonCode, detail: string): VerifyResult => ({ ok: false, reason, detail, statement });

  // 3. the feedstock has keys
  const keys = ctx.keysFor(statement.feedstock) ?? [];
  if (keys.length === 0)
    return fail('KEY_UNKNOWN', `feedstock "${claim(statement.feedstock)}" has no keys in the registry`);

  // 4. one entry verifies under a usable key; remember why unusable keys that did verify were refused
  const message = pae(env.envelope.payloadType, env.envelope.payload);
  let refused: { state: KeyState; keyid: string } | null = null;
  for (const entry of env.envelope.signatures) {
    for (const key of keys) {
      const publicKey = decodeBase64Strict(key.publicKey);
      if (publicKey === null || publicKey.length !== 32) continue;
      if (!ed25519Verify(message, entry.sig, publicKey)) continue;
      const state = keyState(key, ctx.nowMs);
      if (state === 'usable') return checkFreshnessAndTarget(statement, key.keyid, ctx);
      if (refused === null || state === 'revoked') refused = { state, keyid: key.keyid };
    }
  }
  if (refused?.state === 'revoked')
    return fail('KEY_REVOKED', `signature verifies only under revoked key ${refused.keyid}`);
  if (refused?.state === 'expired')
    return fail('KEY_EXPIRED', `signature verifies only under key ${refused.keyid}, which is past notAfter`);
  // The key ids the envelope claims are the signer's word only, but they tell a maintainer which key CI used. They
  // are any strings up to the 64 KiB of the file: bounded here, where they enter a detail (a real one is 64 hex).
  const claimed = [...new Set(env.envelope.signatures.map((e) => e.keyid).filter((k) => k !== ''))];
  const shown = claimed.slice(0, MAX_CLAIMED_SHOWN).map((k) => boundText(k, MAX_KEYID_SHOWN));
  const more = claimed.length > MAX_CLAIMED_SHOWN ? ` and ${claimed.length - MAX_CLAIMED_SHOWN} more` : '';
  const signedBy =
    claimed.length === 0 ? 'the signature names no key id' : `signed with key id ${shown.join(', ')}${more}`;
  return fail(
    'SIGNATURE_INVALID',
    `no signature verifies under the ${keys.length} key(s) of feedstock "${statement.feedstock}": ${signedBy}; ` +
      `registered: ${keys.map((k) => k.keyid).join(', ')}`,
  );
}

function checkFreshnessAndTarget(statement: UploadStatement, keyid: string, ctx: VerifyContext): VerifyResult {
  const fail = (reason: ReasonCode, detail: string): VerifyResult => ({ ok: false, reason, detail, statement });
  // 6. (channel and label half; the byte bindings need the artifact), worked out first: an expired statement that
  // passes it still proves which published file a staged copy repeats.
  const target = checkTarget(statement, ctx);
  // 5. freshness
  const expired = (detail: string): VerifyResult => {
    const result = { ok: false as const, reason: 'SIGNATURE_EXPIRED' as const, detail, statement };
    return target === null ? { ...result, staleKeyid: keyid } : result;
  };
  if (statement.issuedAtMs > ctx.nowMs + ctx.clockSkewMs)
    return fail('SIGNATURE_EXPIRED', `issuedAt ${statement.issuedAt} is in the future`);
  // expiresAt can only shorten validity (spec step 5): a statement never outlives the maximum signature age.
  const maxAgeEnd = statement.issuedAtMs + ctx.maxSignatureAgeMs;
  const expiresAtMs = statement.expiresAtMs === null ? maxAgeEnd : Math.min(statement.expiresAtMs, maxAgeEnd);
  if (ctx.nowMs >= expiresAtMs) return expired(`statement expired at ${new Date(expiresAtMs).toISOString()}`);
  return target === null ? { ok: true, statement, keyid } : fail('TARGET_MISMATCH', target);
}

/** Step 6's channel and label half: null when both are this gate's, else why not. */
function checkTarget(statement: UploadStatement, ctx: VerifyContext): string | null {
  if (statement.targetChannel !== ctx.targetChannel)
    return `statement names channel ${claim(statement.targetChannel)}, this gate publishes to ${ctx.targetChannel}`;
  if (!ctx.labels.includes(statement.label))
    return `label "${claim(statement.label)}" is not allowed here (allowed: ${ctx.labels.join(', ')})`;
  return null;
}
