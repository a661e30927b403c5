// Quarantine on anaconda.org: an owner only the reconciler can write (conda-forge's cf-post-staging).
// Staged bytes are copied in server-side, then downloaded and verified: later changes to staging cannot matter.
import type { Readable } from 'node:stream';
import type { Quarantine, QuarantinedCopy, StagedArtifact } from '../model.js';
import { parseFullName, type AnacondaClient } from './client.js';
import { ownerFiles } from './staging.js';

export class AnacondaQuarantine implements Quarantine {
  readonly kind = 'anaconda';
  #client: AnacondaClient;
  #owner: string;

  constructor(client: AnacondaClient, owner: string) {
    this.#client = client;
    this.#owner = owner;
  }

  async admit(artifact: StagedArtifact): Promise<QuarantinedCopy> {
    const from = parseFullName(artifact.handle)!;
    const label = artifact.labels?.[0] ?? 'main';
    const ref = { ...from, owner: this.#owner };
    if ((await this.#client.copy(from, this.#owner, label, label)) === 'conflict') {
      // Debris of an earlier run: never trust it, replace it.
      await this.#client.remove(ref);
      if ((await this.#client.copy(from, this.#owner, label, label)) === 'conflict') throw new Error(`cannot replace ${ref.basename} in the quarantine`);
    }
    return { subdir: artifact.subdir, filename: artifact.filename, handle: `${ref.owner}/${ref.package}/${ref.version}/${ref.basename}` };
  }

  open(copy: QuarantinedCopy): Promise<Readable> {
    return this.#client.download(parseFullName(copy.handle)!);
  }

  async discard(copy: QuarantinedCopy): Promise<void> {
    await this.#client.remove(parseFullName(copy.handle)!);
  }

  async sweep(): Promise<void> {
    for (const f of await ownerFiles(this.#client, this.#owner)) {
      const ref = parseFullName(f.full_name);
      if (ref && ref.owner === this.#owner) await this.#client.remove(ref);
    }
  }
}
