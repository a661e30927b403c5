// Stable reason codes: part of the interface (plans, reports, ledger, docs). Never rename one.
export const REASONS = {
  SIGNATURE_MISSING:
    'No evidence that counts was uploaded beside the artifact: upload ARTIFACT.sigstore.json (a Sigstore bundle ' +
    'from `actions/attest` or `conda-sigstore attest`) or ARTIFACT.sig (from `forgegate sign`) next to the artifact.',
  SIGNATURE_MALFORMED:
    'The .sig file is not a valid upload statement v1, or the .sigstore.json is not a bundle v0.3 with one ' +
    'certificate, one DSSE signature and a strict CEP 27 statement with targetChannel. Re-sign with `forgegate ' +
    'sign`, or attest with conda-sigstore or `actions/attest` as keyless-v1 describes (one file per bundle), and ' +
    're-upload both files.',
  KEY_UNKNOWN:
    'The feedstock named in the statement has no keys in the registry. Ask an admin to run `forgegate registry ' +
    'add-key` for your feedstock.',
  SIGNATURE_INVALID:
    "No signature verifies under the feedstock's registered keys, or the .sigstore.json does not verify against " +
    "Sigstore's trusted root (chain, SCT, log, signing time, signature). Sign with the feedstock's registered key " +
    '(check the key id in the registry), or attest the file again in CI against the public-good Sigstore instance; ' +
    'never edit a bundle.',
  KEY_REVOKED:
    'The signing key was revoked. Sign with a current key of the feedstock; ask an admin to add a new key if you ' +
    'have none.',
  KEY_EXPIRED:
    'The signing key is past its notAfter time. Rotate to a new key (`forgegate keygen`, then `registry add-key`) ' +
    'and re-sign.',
  SIGNATURE_EXPIRED:
    'The statement (or the verified signing time of the .sigstore.json) is too old or in the future. Sign or ' +
    'attest shortly before uploading and check the CI clock.',
  TRUST_ROOT_UNAVAILABLE:
    "Nothing to do: Sigstore's trusted root could not be refreshed this run, so the .sigstore.json is checked on a " +
    'later run (never rejected for this).',
  PUBLISHER_UNKNOWN:
    "The certificate's repository does not map to a feedstock with trusted publishers. Ask an admin to register a " +
    'publisher for the feedstock (`forgegate registry add-publisher`).',
  PUBLISHER_MISMATCH:
    'The CI identity matches no publisher of the feedstock (issuer, owner or repository id, workflow, signer ' +
    'workflow, event, ref, environment or runner; the detail names the rules). Publish from the registered ' +
    'workflow, ref and event, or ask an admin to add a publisher.',
  PUBLISHER_REVOKED:
    'Only a revoked publisher matches. Publish from a current publisher; ask an admin if there is none.',
  PUBLISHER_EXPIRED:
    'Only a publisher past its notAfter matches. Switch CI to the publisher that replaced it, or ask an admin.',
  PUBLISHER_RENAMED:
    "The repository id is registered under another repository name. Ask an admin to update the publisher's " +
    'repository after the rename.',
  EVIDENCE_IGNORED:
    'A warning, never a rejection: this evidence file is not accepted for its feedstock (keys only, publishers ' +
    'only, or accept: sigstore). Drop the ignored file from CI, or ask an admin to change accept.',
  DIGEST_MISMATCH:
    'The uploaded bytes do not match the sha256/md5/size in the statement. Sign or attest the exact file you ' +
    'upload, after the last change to it.',
  SUBJECT_MISMATCH:
    'The statement names another file or subdir. Sign (or attest) each artifact separately and upload the .sig or ' +
    '.sigstore.json beside the file it names.',
  TARGET_MISMATCH:
    'The statement names another channel or a label this channel does not allow, or a .sig and a .sigstore.json ' +
    'both verify and disagree. Sign with the configured channel URL and an allowed label (attest with the channel ' +
    'URL, plus /label/<L> for a label other than main).',
  ARTIFACT_INVALID:
    'The artifact breaks a rule of what every conda client reads the same way, or its info/index.json disagrees ' +
    'with the file name or statement. The detail names the rule, what in the file broke it and the fix for that ' +
    'rule (docs/package-rules.md explains each).',
  ARTIFACT_UNSAFE:
    'Installing the artifact would harm the prefix or the machine: a path or link that leads outside the install ' +
    'prefix, a device node, a setuid/setgid file, names that collide on macOS or Windows. The detail names the ' +
    'rule, the file and the fix.',
  OUTPUT_NOT_ALLOWED:
    'The package name is registered to other feedstocks. Ask an admin to add your feedstock to the output ' +
    '(registry add-output) or rename the output.',
  OUTPUT_NOT_REGISTERED:
    'The package name is not registered and no rule lets your feedstock register it. Ask an admin to run ' +
    '`forgegate registry add-output`.',
  OUTPUT_NAME_INVALID:
    'The package name cannot be registered: registry names use only letters, digits, `.`, `_` and `-` (no `+`), at ' +
    'most 200 characters. Rename the output in the recipe and rebuild.',
  TARGET_CONFLICT:
    'The channel already holds a different file with this name, or the other format of this build (.conda or ' +
    '.tar.bz2) with other content; nothing is ever overwritten. Bump the build number and rebuild.',
  REPLAYED:
    'This file (or the other format of its build) was published before and has since been removed or moved off the ' +
    'label; it is never republished automatically. Bump the build number, or ask an admin.',
} as const;

export type ReasonCode = keyof typeof REASONS;

export function fixFor(reason: ReasonCode): string {
  return REASONS[reason];
}

export function isReasonCode(value: string): value is ReasonCode {
  return Object.hasOwn(REASONS, value);
}
