// One anaconda.org emulator per test file; each fixture gets owners and tokens of its own, so fixtures never see
// each other's files. Uploads go over real HTTP the way `anaconda upload --force` does.
import { parseArtifactFilename } from '../../../src/conda/filename.js';
import { AnacondaClient } from '../../../src/backends/anaconda/client.js';
import { AnacondaHttp } from '../../../src/backends/anaconda/http.js';
import { AnacondaEmulator } from '../anaconda/emulator/server.js';
import { uploadLikeAnacondaClient } from '../anaconda/emulator/upload.js';

export class AnacondaWorld {
  readonly emu = new AnacondaEmulator();
  #n = 0;

  async start(): Promise<void> {
    await this.emu.start();
  }

  async stop(): Promise<void> {
    await this.emu.stop();
  }

  /** A fresh set of owners (staging, quarantine, target), each with its own token. */
  owners(): AnacondaOwners {
    const n = ++this.#n;
    return new AnacondaOwners(this.emu, n);
  }
}

export class AnacondaOwners {
  readonly staging: string;
  readonly quarantine: string;
  readonly target: string;
  readonly emu: AnacondaEmulator;
  #uploader: string;
  #clients: AnacondaClient[] = [];
  #tokens: Record<'staging' | 'quarantine' | 'target', string>;

  constructor(emu: AnacondaEmulator, n: number) {
    this.emu = emu;
    this.staging = `cf-staging-${n}`;
    this.quarantine = `cf-post-staging-${n}`;
    this.target = `conda-forge-${n}`;
    this.#uploader = `tok-feedstock-${n}-SECRET`;
    this.#tokens = {
      staging: `tok-staging-${n}-SECRET`,
      quarantine: `tok-quarantine-${n}-SECRET`,
      target: `tok-target-${n}-SECRET`,
    };
    emu.state.grant(this.#uploader, [this.staging]);
    emu.state.grant(this.#tokens.staging, [this.staging]);
    emu.state.grant(this.#tokens.quarantine, [this.quarantine]);
    emu.state.grant(this.#tokens.target, [this.target]);
  }

  /** A client holding the token of one of the reconciler's three owners. */
  client(role: 'staging' | 'quarantine' | 'target'): AnacondaClient {
    const c = new AnacondaClient(new AnacondaHttp(this.emu.url, this.#tokens[role]));
    this.#clients.push(c);
    return c;
  }

  /** A client for a server that is down: nothing listens on 127.0.0.1:1, and it tries once. */
  unreachableClient(): AnacondaClient {
    const c = new AnacondaClient(new AnacondaHttp('http://127.0.0.1:1', this.#tokens.staging, { attempts: 1 }));
    this.#clients.push(c);
    return c;
  }

  /**
   * Upload to the staging owner as a feedstock's CI does, replacing what is there under that name. A conda artifact
   * is filed under its own package name and version; anything else under the package `package`.
   */
  async upload(
    basename: string,
    bytes: Uint8Array,
    opts: { type: 'conda' | 'file'; labels?: string[]; package?: string; version?: string },
  ): Promise<void> {
    const parsed = parseArtifactFilename(basename.split('/').pop()!);
    await uploadLikeAnacondaClient(this.emu.url, this.#uploader, {
      owner: this.staging,
      package: opts.package ?? parsed?.name ?? 'junk',
      version: opts.version ?? parsed?.version ?? '1',
      basename,
      type: opts.type,
      labels: opts.labels ?? ['main'],
      bytes: Buffer.from(bytes),
      force: true,
    });
  }

  /** An artifact in `<subdir>/<filename>`, and its .sig as a `file` in the package `<name>-signatures`. */
  async stageArtifact(
    subdir: string,
    filename: string,
    bytes: Uint8Array,
    sig?: Uint8Array,
    label = 'main',
  ): Promise<void> {
    await this.upload(`${subdir}/${filename}`, bytes, { type: 'conda', labels: [label] });
    if (sig !== undefined) {
      const p = parseArtifactFilename(filename)!;
      await this.upload(`${filename}.sig`, sig, {
        type: 'file',
        labels: [label],
        package: `${p.name}-signatures`,
        version: p.version,
      });
    }
  }

  async close(): Promise<void> {
    for (const c of this.#clients) await c.http.close();
  }
}
