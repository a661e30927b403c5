// Where a failure report goes. Only names that are safe as folder / repository names pass through.
import { isRegistryName } from '../registry/layout.js';

export const UNATTRIBUTED = '_unattributed';

export function safeFeedstock(feedstock: string | null): string | null {
  return feedstock !== null && isRegistryName(feedstock) ? feedstock : null;
}

export function safeCommit(commit: string | null): string | null {
  return commit !== null && /^[0-9a-f]{7,64}$/.test(commit) ? commit : null;
}
