// Staging on anaconda.org (conda-forge's cf-staging): conda files are artifacts; `file`-type distributions whose
// basename ends in .sig, in any package, are signatures, paired later by the statement they carry.
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { isSubdir, parseArtifactFilename } from '../../conda/filename.js';
import { ForgegateError } from '../../errors.js';
import type { Digests } from '../../model.js';
import type {
  StagedArtifact,
  StagedFile,
  StagedItem,
  StagedSignature,
  StagingListing,
  StagingStore,
} from '../../ports/staging.js';
import { BUNDLE_SUFFIX } from '../../statement/keyless/bundle.js';
import { MAX_SIG_FILE_BYTES } from '../../statement/dsse.js';
import { parseFullName, type AnacondaClient, type AnacondaFile, type FileRef } from './client.js';
import { RetryableFailure, isRetryableError, retrying } from '../../util/retry.js';
import { anacondaTime } from './time.js';

/**
 * Every file of an owner, once, across all its labels: one request per label, however many packages there are.
 * A file with no label at all (`labels: []`) is in no label listing, so it is not seen.
 */
export async function ownerFiles(client: AnacondaClient, owner: string): Promise<AnacondaFile[]> {
  const byName = new Map<string, AnacondaFile>();
  for (const label of await client.labels(owner)) {
    for (const f of await client.labelFiles(owner, label)) byName.set(f.full_name, f);
  }
  return [...byName.values()];
}

/** The staged conda file this listing entry is, or null when it is anything else (then it is ignored). */
function asArtifact(f: AnacondaFile, ref: FileRef): StagedArtifact | null {
  const [subdir, filename, extra] = f.basename.split('/');
  const parsed = filename === undefined ? null : parseArtifactFilename(filename);
  if ((f.type ?? f.distribution_type) !== 'conda' || extra !== undefined || !subdir || !isSubdir(subdir) || !parsed)
    return null;
  // Only a conda file filed under its own name and version counts: `numpy-1-0.conda` inside package "evil" is ignored.
  if (parsed.name !== ref.package || parsed.version !== ref.version) return null;
  return {
    subdir,
    filename: filename!,
    size: f.size,
    uploadedAt: anacondaTime(f.upload_time),
    md5: f.md5,
    ...(f.sha256 ? { sha256: f.sha256 } : {}),
    labels: [...f.labels],
    handle: f.full_name,
  };
}

/**
 * A bundle names no subdir (CEP 27 binds a file name only), so it is paired by its own name:
 * `<subdir>/<F>.sigstore.json` lies beside `<subdir>/<F>`, in whichever package it was uploaded to. Any other name
 * pairs with nothing (a stray).
 */
function bundlePlace(basename: string): Pick<StagedSignature, 'kind' | 'besideArtifact'> {
  const [subdir, filename, extra] = basename.split('/');
  const artifact = filename?.slice(0, -BUNDLE_SUFFIX.length);
  const beside =
    extra === undefined && subdir !== undefined && isSubdir(subdir) && artifact !== undefined
      ? { besideArtifact: { subdir, filename: artifact } }
      : {};
  return { kind: 'sigstore.json', ...beside };
}

function asOther(f: AnacondaFile): StagedFile {
  const parts = f.basename.split('/');
  return {
    subdir: parts.length > 1 ? parts[0]! : '',
    filename: parts.at(-1)!,
    size: f.size,
    uploadedAt: anacondaTime(f.upload_time),
    handle: f.full_name,
  };
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
    const artifacts: StagedArtifact[] = [];
    const others: StagedFile[] = [];
    const sigFiles: AnacondaFile[] = [];
    for (const f of await ownerFiles(this.#client, this.#owner)) {
      const ref = parseFullName(f.full_name);
      if (ref === null || ref.owner !== this.#owner || ref.basename !== f.basename || !Array.isArray(f.labels))
        continue;
      const type = f.type ?? f.distribution_type;
      if (type === 'file' && (f.basename.endsWith('.sig') || f.basename.endsWith(BUNDLE_SUFFIX))) sigFiles.push(f);
      else {
        const artifact = asArtifact(f, ref);
        if (artifact) artifacts.push(artifact);
        else others.push(asOther(f)); // anything else in the staging owner is a stray to clean up
      }
    }
    const limit = pLimit(this.#concurrency);
    const signatures = await Promise.all(
      sigFiles.map((f) =>
        limit(async (): Promise<StagedSignature | null> => {
          // Larger than the limit: malformed, and never downloaded.
          const content = f.size <= MAX_SIG_FILE_BYTES ? await this.#read(f) : null;
          if (content === 'gone') return null;
          const filename = f.basename.split('/').pop()!;
          return {
            filename,
            ...(f.basename.endsWith(BUNDLE_SUFFIX) ? bundlePlace(f.basename) : {}),
            uploadedAt: anacondaTime(f.upload_time),
            size: f.size,
            content,
            handle: f.full_name,
          };
        }),
      ),
    );
    return { artifacts, signatures: signatures.filter((s): s is StagedSignature => s !== null), others };
  }

  /** A .sig's bytes (null when larger than the limit after all); 'gone' when deleted since the listing. */
  async #read(f: AnacondaFile): Promise<Uint8Array | null | 'gone'> {
    const ref = parseFullName(f.full_name)!;
    // A small file cut off mid-body is simply fetched again (the HTTP layer retries only up to the headers).
    return retrying(async () => {
      const body = await this.#client.download(ref);
      if (body === null) return 'gone';
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const c of body) {
          size += (c as Buffer).length;
          if (size > MAX_SIG_FILE_BYTES) {
            body.destroy();
            return null;
          }
          chunks.push(c as Buffer);
        }
      } catch (e) {
        if (isRetryableError(e)) throw new RetryableFailure(`download cut off (${(e as { code?: string }).code})`);
        throw e;
      }
      return Buffer.concat(chunks);
    }, this.#client.http.attempts).catch((e: unknown) => {
      if (e instanceof RetryableFailure)
        throw new ForgegateError('FG_STORE_UNAVAILABLE', `cannot read ${f.full_name}: ${e.message}`, {
          transient: true,
        });
      throw e;
    });
  }

  /** The digests anaconda.org reports for the staged file now (from this run's listing, else a fresh GET /dist). */
  async digest(artifact: StagedArtifact): Promise<Digests> {
    if (artifact.sha256 !== undefined && artifact.md5 !== undefined)
      return { size: artifact.size, sha256: artifact.sha256, md5: artifact.md5 };
    const f = await this.#client.dist(parseFullName(artifact.handle)!);
    if (f === null)
      throw new ForgegateError('FG_STORE_UNAVAILABLE', `${artifact.handle} is no longer in staging`, {
        transient: true,
      });
    return { size: f.size, sha256: f.sha256 ?? '', md5: f.md5 };
  }

  /** GET the staged file (a plan inspects it; nothing changes). */
  async open(artifact: StagedArtifact): Promise<Readable> {
    const body = await this.#client.download(parseFullName(artifact.handle)!);
    if (body === null)
      throw new ForgegateError('FG_STORE_UNAVAILABLE', `${artifact.handle} is no longer in staging`, {
        transient: true,
      });
    return body;
  }

  /** DELETE /dist; already gone is success. */
  async remove(item: StagedItem): Promise<void> {
    await this.#client.remove(parseFullName(item.handle)!);
  }
}
