// Quarantine on anaconda.org: an owner only the reconciler can write (conda-forge's cf-post-staging).
// Staged bytes are copied in server-side, then downloaded and verified: later changes to staging cannot matter.
import type { Readable } from 'node:stream';
import { ForgegateError } from '../../errors.js';
import type { Quarantine, QuarantinedCopy } from '../../ports/quarantine.js';
import type { StagedArtifact } from '../../ports/staging.js';
import { parseFullName, type AnacondaClient, type FileRef } from './client.js';
import { ownerFiles } from './staging.js';

const handleOf = (r: FileRef): string => `${r.owner}/${r.package}/${r.version}/${r.basename}`;

export class AnacondaQuarantine implements Quarantine {
  readonly kind = 'anaconda';
  #client: AnacondaClient;
  #owner: string;

  constructor(client: AnacondaClient, owner: string) {
    this.#client = client;
    this.#owner = owner;
  }

  /** Server-side copy staging → quarantine under the staged label (the planner made sure there is exactly one). */
  async admit(artifact: StagedArtifact): Promise<QuarantinedCopy> {
    const from = parseFullName(artifact.handle)!;
    const label = artifact.labels?.[0] ?? 'main';
    const ref = { ...from, owner: this.#owner };
    if ((await this.#client.copy(from, this.#owner, label, label)) === 'conflict') {
      // Debris of an earlier run (or our own copy whose answer was lost and retried): never trust it, replace it.
      await this.#client.remove(ref);
      if ((await this.#client.copy(from, this.#owner, label, label)) === 'conflict') {
        throw new ForgegateError('FG_STORE_CONFLICT', `cannot replace ${handleOf(ref)} in the quarantine`, {
          transient: true,
        });
      }
    }
    return { subdir: artifact.subdir, filename: artifact.filename, handle: handleOf(ref) };
  }

  /** The quarantined bytes, streamed (302 → storage, without Authorization). */
  async open(copy: QuarantinedCopy): Promise<Readable> {
    const body = await this.#client.download(parseFullName(copy.handle)!);
    if (body === null)
      throw new ForgegateError('FG_STORE_UNAVAILABLE', `${copy.handle} vanished from the quarantine`, {
        transient: true,
      });
    return body;
  }

  async discard(copy: QuarantinedCopy): Promise<void> {
    await this.#client.remove(parseFullName(copy.handle)!);
  }

  /** Delete everything in the quarantine owner (debris of a crashed run). Called only under the run lock. */
  async sweep(): Promise<void> {
    for (const f of await ownerFiles(this.#client, this.#owner)) {
      const ref = parseFullName(f.full_name);
      if (ref && ref.owner === this.#owner) await this.#client.remove(ref);
    }
  }
}
