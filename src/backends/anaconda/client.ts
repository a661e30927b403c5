// The anaconda.org API calls forgegate makes (contract: docs/anaconda-api.md). Expected outcomes
// (absent, conflict) are values; everything else is an error from AnacondaHttp.
import { Readable } from 'node:stream';
import { ForgegateError } from '../../errors.js';
import type { AnacondaHttp } from './http.js';

/** A distribution ("file") as anaconda.org describes it. Hostile until checked. */
export interface AnacondaFile {
  basename: string;
  version: string;
  owner: string;
  full_name: string;
  type?: string;
  distribution_type?: string;
  md5: string;
  sha256?: string;
  size: number;
  upload_time: string;
  labels: string[];
  attrs?: { subdir?: string; [k: string]: unknown };
}

export interface FileRef {
  owner: string;
  package: string;
  version: string;
  basename: string;
}

const seg = (s: string): string => encodeURIComponent(s);
/** Basenames hold the subdir (`linux-64/x.conda`) and travel as ONE percent-encoded path segment. */
export const distPath = (r: FileRef): string =>
  `${seg(r.owner)}/${seg(r.package)}/${seg(r.version)}/${seg(r.basename)}`;

/** `full_name` is `owner/package/version/basename` where basename may itself contain one `/`. */
export function parseFullName(fullName: string): FileRef | null {
  const parts = fullName.split('/');
  if (parts.length < 4 || parts.slice(0, 3).some((p) => p.length === 0)) return null;
  return { owner: parts[0]!, package: parts[1]!, version: parts[2]!, basename: parts.slice(3).join('/') };
}

export class AnacondaClient {
  readonly http: AnacondaHttp;

  constructor(http: AnacondaHttp) {
    this.http = http;
  }

  /** Every label of an owner (key presence only: old servers sent counts, new ones objects). */
  async labels(owner: string): Promise<string[]> {
    const { data } = await this.http.json<Record<string, unknown> | string[]>('GET', `/channels/${seg(owner)}`, {
      accept: [200],
    });
    if (Array.isArray(data)) return data.filter((l): l is string => typeof l === 'string');
    return Object.keys(data ?? {});
  }

  /** How many files each label of an owner holds (0 where an old server sent no count). */
  async labelCounts(owner: string): Promise<Map<string, number>> {
    const { data } = await this.http.json<Record<string, unknown> | string[]>('GET', `/channels/${seg(owner)}`, {
      accept: [200],
    });
    const counts = new Map<string, number>();
    if (Array.isArray(data)) {
      for (const l of data) if (typeof l === 'string') counts.set(l, Number.POSITIVE_INFINITY);
      return counts;
    }
    for (const [label, v] of Object.entries(data ?? {})) {
      const count = typeof v === 'number' ? v : (v as { count?: unknown } | null)?.count;
      // Without a count, the label's size is unknown: never list it whole.
      counts.set(label, typeof count === 'number' && Number.isFinite(count) ? count : Number.POSITIVE_INFINITY);
    }
    return counts;
  }

  /** Every file of one release (all subdirs, both formats, every label), or none when there is no such release. */
  async release(owner: string, pkg: string, version: string): Promise<AnacondaFile[]> {
    const path = `/release/${seg(owner)}/${seg(pkg)}/${seg(version)}`;
    const { data } = await this.http.json<{ distributions?: unknown }>('GET', path, { accept: [200, 404] });
    return Array.isArray(data?.distributions) ? (data.distributions as AnacondaFile[]) : [];
  }

  /** Every file of an owner under one label: one request, whatever the number of packages. */
  async labelFiles(owner: string, label: string): Promise<AnacondaFile[]> {
    const { data } = await this.http.json<{ files?: unknown }>('GET', `/channels/${seg(owner)}/${seg(label)}`, {
      accept: [200, 404],
    });
    return Array.isArray(data?.files) ? (data.files as AnacondaFile[]) : [];
  }

  async dist(r: FileRef): Promise<AnacondaFile | null> {
    const { data } = await this.http.json<AnacondaFile>('GET', `/dist/${distPath(r)}`, { accept: [200, 404] });
    return data;
  }

  /**
   * Stream a file's bytes, or null when the file is gone (404 at /download or at the storage it redirects to).
   * The 302 is followed with a fresh request that carries no Authorization (and no other session header).
   */
  async download(r: FileRef): Promise<Readable | null> {
    const res = await this.http.send('GET', `/download/${distPath(r)}`, { accept: [200, 302, 404] });
    if (res.status === 200) return Readable.from(res.body);
    await res.body.dump();
    if (res.status === 404) return null;
    const location = res.headers['location'];
    if (typeof location !== 'string')
      throw new ForgegateError('FG_HTTP', `anaconda.org GET /download/${distPath(r)} redirected without a Location`, {
        transient: true,
      });
    const blob = await this.http.send('GET', new URL(location, this.http.baseUrl).href, {
      accept: [200, 404],
      absolute: true,
    });
    if (blob.status === 404) {
      await blob.body.dump();
      return null;
    }
    return Readable.from(blob.body);
  }

  /** Copy a file to another owner under `toLabel`. 409 (already there) is a value. */
  async copy(r: FileRef, toOwner: string, fromLabel: string, toLabel: string): Promise<'copied' | 'conflict'> {
    const { status } = await this.http.json('POST', `/copy/package/${distPath(r)}`, {
      json: { to_owner: toOwner, from_channel: fromLabel, to_channel: toLabel },
      accept: [200, 201, 409],
    });
    return status === 409 ? 'conflict' : 'copied';
  }

  /** Remove a file; already gone is success. */
  async remove(r: FileRef): Promise<void> {
    await this.http.json('DELETE', `/dist/${distPath(r)}`, { accept: [200, 201, 204, 404] });
  }

  async addLabel(r: FileRef, label: string): Promise<void> {
    await this.http.json('POST', `/channels/${seg(r.owner)}/${seg(label)}`, { json: scoped(r), accept: [200, 201] });
  }

  async removeLabel(r: FileRef, label: string): Promise<void> {
    await this.http.json('DELETE', `/channels/${seg(r.owner)}/${seg(label)}`, {
      json: scoped(r),
      accept: [200, 201, 404],
    });
  }
}

/** Label calls with null fields act on EVERY file of the owner: never send one. */
function scoped(r: FileRef): { package: string; version: string; basename: string } {
  if (!r.package || !r.version || !r.basename)
    throw new Error('refusing an unscoped label change (it would touch every file of the owner)');
  return { package: r.package, version: r.version, basename: r.basename };
}
