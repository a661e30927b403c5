// registry-v1 "Deciding whether feedstock F may publish package N". Pure: works on a snapshot.
import type { RegistrySnapshot } from '../ports/registry.js';
import type { ReasonCode } from '../reasons.js';
import { fnmatchcase } from './fnmatch.js';
import { isRegistryName } from './layout.js';

export type Authorization =
  | { ok: true; register: boolean; via: 'output' | 'allowlist' | 'auto_register_all' }
  | {
      ok: false;
      reason: Extract<ReasonCode, 'OUTPUT_NOT_ALLOWED' | 'OUTPUT_NOT_REGISTERED' | 'OUTPUT_NAME_INVALID'>;
      detail: string;
    };

/** Names that differ only by case and by `-`, `_`, `.` look the same to a human. */
export function confusableKey(name: string): string {
  return name.toLowerCase().replace(/[-_.]/g, '-');
}

export function authorizeOutput(snapshot: RegistrySnapshot, feedstock: string, name: string): Authorization {
  const owners = snapshot.outputs.get(name);
  if (owners === undefined) throw new Error(`registry snapshot was not asked for output "${name}"`);
  if (owners !== null) {
    return owners.includes(feedstock)
      ? { ok: true, register: false, via: 'output' }
      : {
          ok: false,
          reason: 'OUTPUT_NOT_ALLOWED',
          detail: `"${name}" is registered to ${owners.join(', ')}, not to "${feedstock}"`,
        };
  }
  // Conda allows names (`+`, length) the registry cannot hold: registering one would fail on every run.
  if (!isRegistryName(name)) {
    return {
      ok: false,
      reason: 'OUTPUT_NAME_INVALID',
      detail: `"${name}" is not registered and cannot be: it is not a registry name`,
    };
  }
  const patterns = Object.hasOwn(snapshot.allowlist, feedstock) ? snapshot.allowlist[feedstock]! : [];
  const pattern = patterns.find((p) => fnmatchcase(name, p));
  if (pattern !== undefined) return { ok: true, register: true, via: 'allowlist' };
  if (snapshot.config.auto_register_all) {
    const key = confusableKey(name);
    for (const [other, otherOwners] of snapshot.outputs) {
      if (other === name || otherOwners === null || confusableKey(other) !== key) continue;
      if (!otherOwners.includes(feedstock)) {
        return {
          ok: false,
          reason: 'OUTPUT_NOT_REGISTERED',
          detail:
            `"${name}" is confusable with "${other}" (registered to ${otherOwners.join(', ')}); ` +
            'an administrator must decide',
        };
      }
    }
    return { ok: true, register: true, via: 'auto_register_all' };
  }
  return {
    ok: false,
    reason: 'OUTPUT_NOT_REGISTERED',
    detail: `"${name}" is not registered and no allowlist pattern of "${feedstock}" matches it`,
  };
}
