// Stable reason codes: part of the interface (plans, reports, ledger, docs). Never rename one.
export const REASONS = {
  SIGNATURE_MISSING:
    'No .sig file was uploaded beside the artifact. Run `forgegate sign` in CI and upload ARTIFACT.sig next to the ' +
    'artifact.',
  SIGNATURE_MALFORMED:
    'The .sig file is not a valid upload statement v1. Re-sign with `forgegate sign` (or follow ' +
    'upload-statement-v1 exactly) and re-upload both files.',
  KEY_UNKNOWN:
    'The feedstock named in the statement has no keys in the registry. Ask an admin to run `forgegate registry ' +
    'add-key` for your feedstock.',
  SIGNATURE_INVALID:
    "No signature verifies under the feedstock's registered keys. Sign with the feedstock's registered key (check " +
    'the key id in the registry) and re-upload.',
  KEY_REVOKED:
    'The signing key was revoked. Sign with a current key of the feedstock; ask an admin to add a new key if you ' +
    'have none.',
  KEY_EXPIRED:
    'The signing key is past its notAfter time. Rotate to a new key (`forgegate keygen`, then `registry add-key`) ' +
    'and re-sign.',
  SIGNATURE_EXPIRED:
    'The statement is too old or dated in the future. Re-sign shortly before uploading and check the CI clock.',
  DIGEST_MISMATCH:
    'The uploaded bytes do not match the sha256/md5/size in the statement. Sign the exact file you upload, after ' +
    'the last change to it.',
  SUBJECT_MISMATCH:
    'The statement names another file or subdir. Sign each artifact separately and upload the .sig beside the file ' +
    'it names.',
  TARGET_MISMATCH:
    'The statement names another channel or a label this channel does not allow. Sign with the configured channel ' +
    'URL and an allowed label.',
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
