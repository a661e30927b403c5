// An anaconda.org channel's inventory for `forgegate audit`: the repodata.json conda clients read, per label and
// subdir (conda.anaconda.org, no token), and the upload times only the API has (`GET /package/{owner}/{name}`, one
// request per package name, asked only for the names the audit wants). Everything it reads is hostile: an answer
// that is not JSON, too large, a redirect, or a record that does not parse leaves that index "not checked".
import pLimit from 'p-limit';
import { parseChecked, RepodataError, RepodataScanner, type ScanSink } from '../../conda/repodata-scan.js';
import { KNOWN_SUBDIRS } from '../../conda/subdirs.js';
import { isForgegateError } from '../../errors.js';
import type { Digests } from '../../model.js';
import { InventoryGap, type ChannelInventory, type InventoryFile, type InventoryIndex } from '../../ports/inventory.js';
import type { AnacondaClient, AnacondaFile } from './client.js';
import { anacondaTime } from './time.js';

export interface InventoryLimits {
  /** Bytes of one repodata.json (conda-forge's largest is a few hundred MB). */
  repodataBytes: number;
  /** Bytes of one `/package` answer. */
  packageBytes: number;
}

export const INVENTORY_LIMITS: InventoryLimits = { repodataBytes: 2 * 1024 ** 3, packageBytes: 256 * 1024 ** 2 };

/** Where conda clients read the channel: conda.anaconda.org for the public API, the same server otherwise. */
export function repodataBase(apiUrl: string): string {
  const url = new URL(apiUrl);
  return url.hostname === 'api.anaconda.org'
    ? 'https://conda.anaconda.org'
    : url.origin + url.pathname.replace(/\/+$/, '');
}

const digestsOf = (r: Record<string, unknown>): Digests => ({
  sha256: typeof r['sha256'] === 'string' ? r['sha256'] : '',
  md5: typeof r['md5'] === 'string' ? r['md5'] : '',
  size: typeof r['size'] === 'number' && Number.isSafeInteger(r['size']) ? r['size'] : -1,
});

export class AnacondaInventory implements ChannelInventory {
  readonly kind = 'anaconda';
  readonly #client: AnacondaClient;
  readonly #owner: string;
  readonly #base: string;
  readonly #limits: InventoryLimits;
  readonly #concurrency: number;
  /** `/package` answers, once per name for the whole audit (a name spans subdirs). */
  readonly #packages = new Map<string, Promise<AnacondaFile[]>>();
  /** Requests made, for the benchmark: repodata and package lookups. */
  readonly requests = { repodata: 0, package: 0 };

  constructor(client: AnacondaClient, owner: string, concurrency: number, limits: InventoryLimits = INVENTORY_LIMITS) {
    this.#client = client;
    this.#owner = owner;
    this.#base = repodataBase(client.http.baseUrl);
    this.#limits = limits;
    this.#concurrency = concurrency;
  }

  async indexes(): Promise<InventoryIndex[]> {
    const labels = [...(await this.#client.labelCounts(this.#owner)).keys()];
    // conda clients ask for their platform's subdir and noarch: every subdir conda knows, under every label.
    return KNOWN_SUBDIRS.flatMap((subdir) => labels.map((label) => ({ label, subdir }))).sort(
      (a, b) => a.subdir.localeCompare(b.subdir) || a.label.localeCompare(b.label),
    );
  }

  async scan({ label, subdir }: InventoryIndex, each: (f: InventoryFile) => void): Promise<void> {
    const where = `${this.#owner}/label/${label}/${subdir}`;
    const path = `${encodeURIComponent(this.#owner)}/label/${encodeURIComponent(label)}/${subdir}/repodata.json`;
    const url = `${this.#base}/${path}`;
    this.requests.repodata++;
    try {
      const res = await this.#client.http.send('GET', url, { accept: [200, 404], absolute: true });
      if (res.status === 404) {
        await res.body.dump();
        return;
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > this.#limits.repodataBytes) {
        res.body.destroy();
        throw new InventoryGap(
          where,
          `repodata.json announces ${declared} bytes (at most ${this.#limits.repodataBytes})`,
        );
      }
      const sink: ScanSink = {
        value() {},
        sectionStart() {},
        sectionEnd() {},
        record(_section, filename, bytes) {
          const r = parseChecked(bytes);
          const indexed = digestsOf(typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {});
          each({ subdir, filename, label, indexed, uploadedAt: null });
        },
      };
      const scanner = new RepodataScanner(sink);
      let total = 0;
      for await (const chunk of res.body) {
        total += (chunk as Buffer).length;
        if (total > this.#limits.repodataBytes) {
          res.body.destroy();
          throw new InventoryGap(where, `repodata.json is larger than ${this.#limits.repodataBytes} bytes`);
        }
        scanner.feed(chunk as Buffer);
      }
      scanner.end();
    } catch (e) {
      if (e instanceof InventoryGap) throw e;
      if (e instanceof RepodataError || isForgegateError(e))
        throw new InventoryGap(where, `repodata.json cannot be read: ${(e as Error).message}`);
      throw e;
    }
  }

  /** One `/package` lookup per package name (cached for the audit: a name spans subdirs). */
  async uploadTimes(
    subdir: string,
    packages: ReadonlySet<string>,
    each: (filename: string, label: string, at: string) => void,
  ): Promise<void> {
    const limit = pLimit(this.#concurrency);
    const answers = await Promise.all([...packages].map((name) => limit(() => this.#package(name))));
    for (const list of answers)
      for (const f of list) {
        if (f.owner !== this.#owner || typeof f.basename !== 'string' || !f.basename.startsWith(`${subdir}/`)) continue;
        if (typeof f.upload_time !== 'string' || !Array.isArray(f.labels)) continue;
        const at = anacondaTime(f.upload_time);
        for (const l of f.labels) if (typeof l === 'string') each(f.basename.slice(subdir.length + 1), l, at);
      }
  }

  #package(name: string): Promise<AnacondaFile[]> {
    let p = this.#packages.get(name);
    if (p === undefined) {
      p = this.#fetchPackage(name);
      this.#packages.set(name, p);
    }
    return p;
  }

  async #fetchPackage(name: string): Promise<AnacondaFile[]> {
    this.requests.package++;
    const path = `/package/${encodeURIComponent(this.#owner)}/${encodeURIComponent(name)}`;
    const where = `${this.#owner}/${name} (GET /package)`;
    try {
      const res = await this.#client.http.send('GET', path, { accept: [200, 404] });
      if (res.status === 404) {
        await res.body.dump();
        return [];
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body) {
        total += (chunk as Buffer).length;
        if (total > this.#limits.packageBytes) {
          res.body.destroy();
          throw new InventoryGap(where, `the answer is larger than ${this.#limits.packageBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      let data: unknown;
      try {
        data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new InventoryGap(where, 'the answer is not JSON');
      }
      const files = (data as { files?: unknown } | null)?.files;
      if (!Array.isArray(files)) throw new InventoryGap(where, 'the answer has no list of files');
      return files.filter((f): f is AnacondaFile => typeof f === 'object' && f !== null);
    } catch (e) {
      if (e instanceof InventoryGap) throw e;
      if (isForgegateError(e)) throw new InventoryGap(where, e.message);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.#client.http.close();
  }
}
