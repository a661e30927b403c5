// The emulator's world: owners → packages → releases → files (with labels and blobs), and tokens.
import { createHash, randomUUID } from 'node:crypto';

export interface EFile {
  owner: string;
  package: string;
  version: string;
  basename: string;
  type: 'conda' | 'file';
  md5: string;
  sha256: string;
  size: number;
  uploadTime: string;
  labels: string[];
  attrs: Record<string, unknown>;
  blob: string;
}

export interface EPackage {
  owner: string;
  name: string;
  packageTypes: string[];
  releases: Map<string, Map<string, EFile>>;
}

export class EmulatorState {
  /** login → user_type. */
  owners = new Map<string, 'user' | 'org'>();
  packages = new Map<string, EPackage>();
  blobs = new Map<string, Buffer>();
  /** token → owners it may write. */
  tokens = new Map<string, Set<string>>();

  addOwner(owner: string, type: 'user' | 'org' = 'org'): void {
    if (!this.owners.has(owner)) this.owners.set(owner, type);
  }

  grant(token: string, owners: string[]): void {
    for (const o of owners) this.addOwner(o);
    this.tokens.set(token, new Set(owners));
  }

  canWrite(token: string | null, owner: string): boolean {
    return token !== null && (this.tokens.get(token)?.has(owner) ?? false);
  }

  pkg(owner: string, name: string, create = false, type = 'conda'): EPackage | undefined {
    const key = `${owner}/${name}`;
    let p = this.packages.get(key);
    if (!p && create) {
      p = { owner, name, packageTypes: [type], releases: new Map() };
      this.packages.set(key, p);
    }
    return p;
  }

  file(owner: string, name: string, version: string, basename: string): EFile | undefined {
    return this.pkg(owner, name)?.releases.get(version)?.get(basename);
  }

  putBlob(bytes: Buffer): { blob: string; md5: string; sha256: string; size: number } {
    const blob = randomUUID();
    this.blobs.set(blob, bytes);
    return {
      blob,
      size: bytes.length,
      md5: createHash('md5').update(bytes).digest('hex'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }

  /**
   * Add a file directly (seeding and tests); creates package and release as needed. `sha256` is what the record
   * says: anaconda.org takes it from the client's stage request (md5 and size come from the stored object).
   */
  addFile(
    f: Omit<EFile, 'blob' | 'md5' | 'sha256' | 'size' | 'uploadTime'> & {
      bytes: Buffer;
      uploadTime?: string;
      sha256?: string;
    },
  ): EFile {
    this.addOwner(f.owner);
    const p = this.pkg(f.owner, f.package, true, f.type)!;
    if (!p.releases.has(f.version)) p.releases.set(f.version, new Map());
    const { bytes, sha256, ...rest } = f;
    const stored = this.putBlob(bytes);
    const file: EFile = {
      ...rest,
      ...stored,
      sha256: sha256 ?? stored.sha256,
      uploadTime: f.uploadTime ?? anacondaNow(),
    };
    p.releases.get(f.version)!.set(f.basename, file);
    return file;
  }

  /** Deleting a release's last file deletes the release, then an empty package (as anaconda.org does). */
  removeFile(f: EFile): void {
    const p = this.pkg(f.owner, f.package);
    const release = p?.releases.get(f.version);
    if (!p || !release) return;
    release.delete(f.basename);
    if (release.size === 0) p.releases.delete(f.version);
    if (p.releases.size === 0) this.packages.delete(`${f.owner}/${f.package}`);
  }

  filesOf(owner: string): EFile[] {
    return [...this.packages.values()]
      .filter((p) => p.owner === owner)
      .flatMap((p) => [...p.releases.values()].flatMap((r) => [...r.values()]));
  }

  /** The repodata.json conda.anaconda.org serves for one label and subdir (null: the owner has no such files). */
  repodata(owner: string, label: string, subdir: string): Record<string, unknown> | null {
    if (!this.owners.has(owner)) return null;
    const sections: Record<string, Record<string, unknown>> = { packages: {}, 'packages.conda': {} };
    for (const f of this.filesOf(owner)) {
      if (f.type !== 'conda' || !f.labels.includes(label) || !f.basename.startsWith(`${subdir}/`)) continue;
      const filename = f.basename.slice(subdir.length + 1);
      const section = filename.endsWith('.conda') ? 'packages.conda' : 'packages';
      sections[section]![filename] = {
        name: f.package,
        version: f.version,
        subdir,
        sha256: f.sha256,
        md5: f.md5,
        size: f.size,
      };
    }
    return { info: { subdir }, ...sections, repodata_version: 1 };
  }

  json(f: EFile): Record<string, unknown> {
    const full = `${f.owner}/${f.package}/${f.version}/${f.basename}`;
    return {
      basename: f.basename,
      version: f.version,
      owner: f.owner,
      full_name: full,
      type: f.type,
      distribution_type: f.type,
      description: null,
      md5: f.md5,
      sha256: f.sha256,
      size: f.size,
      upload_time: f.uploadTime,
      labels: [...f.labels],
      ndownloads: 0,
      download_url: `//api.anaconda.org/download/${full}`,
      attrs: f.attrs,
    };
  }
}

export function anacondaNow(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000+00:00');
}
