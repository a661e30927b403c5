// The production channel on anaconda.org. Never listed whole when it is large (conda-forge holds ~1.7 M files):
// focus() names the staged files and their twins, and list() reads each release they belong to once (GET /release:
// every file of a name and version, every label), so a file and its twin cost one request, and so do all the builds
// of one version. A target that holds fewer files than those lookups would cost is listed by label instead (one
// request per label), which is what a young channel, or a benchmark's, costs.
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { parseArtifactFilename } from '../../conda/filename.js';
import type { ArtifactFacts, Digests } from '../../model.js';
import type { QuarantinedCopy } from '../../ports/quarantine.js';
import type { PublishOutcome, TargetListing, TargetStore, TwinCheck, YankOutcome } from '../../ports/target.js';
import { YANK_LABEL } from '../../ports/target.js';
import { parseFullName, type AnacondaClient, type AnacondaFile, type FileRef } from './client.js';

/**
 * A label listing costs about one request's time per this many files (each ~1 KB of JSON); below that, listing the
 * labels is cheaper than one lookup per release.
 */
const FILES_PER_LOOKUP = 100;

export class AnacondaTarget implements TargetStore {
  readonly kind = 'anaconda';
  #client: AnacondaClient;
  #owner: string;
  #concurrency: number;
  #focus: { subdir: string; filename: string }[] = [];

  constructor(client: AnacondaClient, owner: string, concurrency: number) {
    this.#client = client;
    this.#owner = owner;
    this.#concurrency = concurrency;
  }

  #ref(subdir: string, filename: string): FileRef | null {
    const p = parseArtifactFilename(filename);
    return p ? { owner: this.#owner, package: p.name, version: p.version, basename: `${subdir}/${filename}` } : null;
  }

  focus(files: { subdir: string; filename: string }[]): void {
    this.#focus = files;
  }

  async list(): Promise<TargetListing> {
    // anaconda.org keeps no list of removed files: a yank moves a file to the `broken` label, where it stays listed.
    const listing: TargetListing = { files: new Map(), removed: new Set() };
    const wanted = new Set(this.#focus.map((f) => `${f.subdir}/${f.filename}`));
    const releases = new Map<string, { name: string; version: string }>();
    for (const f of this.#focus) {
      const p = parseArtifactFilename(f.filename);
      if (p) releases.set(`${p.name}\0${p.version}`, { name: p.name, version: p.version });
    }
    if (releases.size === 0) return listing;
    const add = (file: AnacondaFile, labels: readonly string[]): void => {
      if (!wanted.has(file.basename)) return;
      const copies = listing.files.get(file.basename) ?? [];
      for (const label of labels)
        if (!copies.some((c) => c.label === label)) copies.push({ label, ...digestsOf(file) });
      listing.files.set(file.basename, copies);
    };
    const counts = await this.#client.labelCounts(this.#owner);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total <= releases.size * FILES_PER_LOOKUP) {
      for (const label of counts.keys())
        for (const f of await this.#client.labelFiles(this.#owner, label)) add(f, [label]);
      return listing;
    }
    const limit = pLimit(this.#concurrency);
    await Promise.all(
      [...releases.values()].map((r) =>
        limit(async () => {
          for (const f of await this.#client.release(this.#owner, r.name, r.version)) add(f, f.labels);
        }),
      ),
    );
    return listing;
  }

  /**
   * Server-side copy quarantine → target under `label` (POST: never overwrites). When the name is taken: same bytes
   * under `label` → present; other bytes → conflict; same bytes only under other labels → conflict whose detail
   * starts "present only under label(s)" (a file taken off its label is never brought back automatically).
   */
  async publish(copy: QuarantinedCopy, label: string, facts: ArtifactFacts, twin?: TwinCheck): Promise<PublishOutcome> {
    const from = parseFullName(copy.handle)!;
    // Beside a twin, the twin must still be the file the applier compared. Without one, the plan (which listed the
    // twin name) is the guard: only forgegate writes here, and a lookup per publish would cost every artifact.
    if (twin !== undefined) {
      const held = await this.#client.dist(this.#ref(copy.subdir, twin.filename)!);
      if (held?.sha256 !== twin.sha256)
        return { kind: 'conflict', detail: `${copy.subdir}/${twin.filename} is not the twin this was compared with` };
    }
    if ((await this.#client.copy(from, this.#owner, label, label)) === 'copied') return { kind: 'published' };
    const held = await this.#client.dist(this.#ref(copy.subdir, copy.filename)!);
    if (held === null)
      return { kind: 'conflict', detail: 'the copy was refused although no file is there; retry later' };
    const same = held.md5 === facts.md5 && held.sha256 === facts.sha256 && held.size === facts.size;
    if (!same)
      return {
        kind: 'conflict',
        detail: `the channel holds other bytes under this name (sha256 ${held.sha256 ?? '?'})`,
      };
    if (held.labels.includes(label)) return { kind: 'present' };
    return {
      kind: 'conflict',
      detail: `present only under label(s) ${held.labels.join(', ') || '(none)'}; never relabelled automatically`,
    };
  }

  /** The file's bytes, when it carries `label`. */
  async open(subdir: string, filename: string, label: string): Promise<Readable | null> {
    const ref = this.#ref(subdir, filename);
    const held = ref ? await this.#client.dist(ref) : null;
    if (ref === null || held === null || !held.labels.includes(label)) return null;
    return this.#client.download(ref);
  }

  async confirm(subdir: string, filename: string, label: string): Promise<Digests | null> {
    const ref = this.#ref(subdir, filename);
    const held = ref ? await this.#client.dist(ref) : null;
    return held && held.labels.includes(label) ? digestsOf(held) : null;
  }

  /** To `broken`, off every other label: the file stays listed there, which is how anaconda.org remembers a yank. */
  async yank(subdir: string, filename: string): Promise<YankOutcome> {
    const ref = this.#ref(subdir, filename);
    const held = ref ? await this.#client.dist(ref) : null;
    if (ref === null || held === null) return { from: [], to: null };
    if (!held.labels.includes(YANK_LABEL)) await this.#client.addLabel(ref, YANK_LABEL);
    const from = held.labels.filter((l) => l !== YANK_LABEL);
    for (const label of from) await this.#client.removeLabel(ref, label);
    return { from, to: YANK_LABEL };
  }

  /** Take `label` off the file; delete the file only when that was its one label. Other labels are never touched. */
  async withdraw(subdir: string, filename: string, label: string): Promise<void> {
    const ref = this.#ref(subdir, filename);
    const held = ref ? await this.#client.dist(ref) : null;
    if (ref === null || held === null || !held.labels.includes(label)) return;
    if (held.labels.length === 1) await this.#client.remove(ref);
    else await this.#client.removeLabel(ref, label);
  }
}

function digestsOf(f: AnacondaFile): Digests {
  return { size: f.size, md5: f.md5, sha256: f.sha256 ?? '' };
}
