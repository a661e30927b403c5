// Staging on anaconda.org (conda-forge's cf-staging): conda files are artifacts; `file`-type distributions whose
// basename ends in .sig, in any package, are signatures, paired later by the statement they carry.
import pLimit from 'p-limit';
import { isSubdir, parseArtifactFilename } from '../conda/filename.js';
import type { Digests, StagedArtifact, StagedSignature, StagingListing, StagingStore } from '../model.js';
import { MAX_SIG_FILE_BYTES } from '../statement/dsse.js';
import { parseFullName, type AnacondaClient, type AnacondaFile } from './client.js';
import { anacondaTime } from './time.js';

/** Every file of an owner, once, across all its labels. */
export async function ownerFiles(client: AnacondaClient, owner: string): Promise<AnacondaFile[]> {
  const byName = new Map<string, AnacondaFile>();
  for (const label of await client.labels(owner)) {
    for (const f of await client.labelFiles(owner, label)) byName.set(f.full_name, f);
  }
  return [...byName.values()];
}

export class AnacondaStaging implements StagingStore {
  readonly kind = 'anaconda';
  #client: AnacondaClient;
  #owner: string;
  #concurrency: number;

  constructor(client: AnacondaClient, owner: string, concurrency: number) {
    this.#client = client;
    this.#owner = owner;
    this.#concurrency = concurrency;
  }

  async list(): Promise<StagingListing> {
    const files = await ownerFiles(this.#client, this.#owner);
    const artifacts: StagedArtifact[] = [];
    const sigFiles: AnacondaFile[] = [];
    for (const f of files) {
      const ref = parseFullName(f.full_name);
      if (ref === null || ref.owner !== this.#owner || !Array.isArray(f.labels)) continue;
      const kind = f.type ?? f.distribution_type;
      if (kind === 'file' && f.basename.endsWith('.sig')) {
        sigFiles.push(f);
        continue;
      }
      const [subdir, filename, extra] = f.basename.split('/');
      const parsed = filename === undefined ? null : parseArtifactFilename(filename);
      // Only a conda file filed under its own name counts: `numpy-1-0.conda` inside package "evil" is ignored.
      if (kind !== 'conda' || extra !== undefined || !subdir || !isSubdir(subdir) || !parsed || parsed.name !== ref.package) continue;
      artifacts.push({
        subdir, filename: filename!, size: f.size, uploadedAt: anacondaTime(f.upload_time), md5: f.md5,
        ...(f.sha256 ? { sha256: f.sha256 } : {}), labels: f.labels, handle: f.full_name,
      });
    }
    const limit = pLimit(this.#concurrency);
    const signatures = await Promise.all(sigFiles.map((f) => limit(async (): Promise<StagedSignature> => {
      const content = f.size <= MAX_SIG_FILE_BYTES ? await this.#read(f) : null;
      return { filename: f.basename.split('/').pop()!, uploadedAt: anacondaTime(f.upload_time), size: f.size, content, handle: f.full_name };
    })));
    return { artifacts, signatures };
  }

  async #read(f: AnacondaFile): Promise<Uint8Array | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of await this.#client.download(parseFullName(f.full_name)!)) {
      size += (c as Buffer).length;
      if (size > MAX_SIG_FILE_BYTES) return null;
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async digest(artifact: StagedArtifact): Promise<Digests> {
    if (artifact.sha256 !== undefined && artifact.md5 !== undefined) return { size: artifact.size, sha256: artifact.sha256, md5: artifact.md5 };
    const f = await this.#client.dist(parseFullName(artifact.handle)!);
    return { size: f?.size ?? -1, sha256: f?.sha256 ?? '', md5: f?.md5 ?? '' };
  }

  async remove(item: StagedArtifact | StagedSignature): Promise<void> {
    await this.#client.remove(parseFullName(item.handle)!);
  }
}
