// Every real package of the corpus (test/data/real-packages: built by conda-build, rattler-build and
// conda-package-handling) goes through the gate end to end into ONE channel, both formats of a build side by side,
// and a real solver (rattler) then solves each from that channel. Only the two packages the corpus README says may be
// refused are refused. Dependencies the corpus does not hold (libgcc-ng, vc, six, …) are stand-ins built here.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleSolve, type Platform } from '@conda-org/rattler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArtifactFilename } from '../../src/conda/filename.js';
import { KNOWN_SUBDIRS } from '../../src/conda/subdirs.js';
import { Sandbox } from '../helpers/sandbox.js';
import { channelState } from '../helpers/channel-state.js';
import { serveDirectory } from '../helpers/channel-server.js';
import { runCli } from '../helpers/cli.js';
import { DATA_DIR } from '../helpers/paths.js';

const ROOT = join(DATA_DIR, 'real-packages');
const corpus = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(ROOT, d.name)).map((filename) => ({ subdir: d.name, filename })));
/** The corpus README: converted by old Anaconda tooling, these hold symlinks with empty targets. */
const MAY_BE_REFUSED = new Set(['linux-64/zlib-1.2.11-h7b6447c_3.conda', 'osx-64/zlib-1.2.11-h1de35cc_3.conda']);
/** What the corpus depends on but does not hold: stand-ins, so that every package can be solved. */
const STAND_INS = [
  { name: 'libgcc-ng', version: '12.2.0', subdir: 'linux-64' },
  { name: 'foo', version: '3.0', subdir: 'linux-64' },
  { name: 'python', version: '2.7.8', subdir: 'linux-64' },
  { name: 'dummy-c', version: '0.1.0', subdir: 'linux-64' },
  { name: 'python', version: '3.7.0', subdir: 'osx-64' },
  { name: 'pbr', version: '5.0', subdir: 'noarch' },
  { name: 'six', version: '1.16.0', subdir: 'noarch' },
  { name: 'vc', version: '14.1', subdir: 'win-32' },
];
/** Made to be unsolvable (it depends on `versioned <1.0`): the solver must say so. */
const UNSATISFIABLE = 'unsatisfiable';

const work = mkdtempSync(join(tmpdir(), 'fg real packages '));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sb: Sandbox;
const key = (c: { subdir: string; filename: string }): string => `${c.subdir}/${c.filename}`;
interface Item {
  subdir: string;
  filename: string;
  outcome: string;
  reason: string | null;
  detail: string | null;
}
const runs: Item[][] = [];

async function reconcile(): Promise<Item[]> {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
}

beforeAll(async () => {
  // linux-fake is a made-up subdir of conda's tests: the gate publishes it only when the config says so.
  sb = await Sandbox.create(join(work, 'sb'), {
    configOverrides: {
      staging: { store: { type: 'directory', path: './staging' }, subdirs: [...KNOWN_SUBDIRS, 'linux-fake'] },
    },
  });
  const names = [
    ...new Set([...corpus.map((c) => parseArtifactFilename(c.filename)!.name), ...STAND_INS.map((s) => s.name)]),
  ];
  await sb.addFeedstock('conda-tests', names);
  await sb.commitRegistry();
  for (const c of corpus) {
    const path = join(ROOT, c.subdir, c.filename);
    const bytes = readFileSync(path);
    const digests = {
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      md5: createHash('md5').update(bytes).digest('hex'),
    };
    await sb.stage({ path, filename: c.filename, subdir: c.subdir, digests }, { feedstock: 'conda-tests' });
  }
  for (const s of STAND_INS)
    await sb.stage(await sb.build({ ...s, build: 'stand_in_0' }), { feedstock: 'conda-tests' });
  // The first run publishes the .conda of each build staged in both formats; the second compares the .tar.bz2.
  runs.push(await reconcile());
  runs.push(await reconcile());
}, 300_000);

describe('the real corpus through the gate, into one channel', () => {
  it('publishes every package but the two the corpus README says may be refused, both formats of a build', () => {
    const outcomes = new Map<string, Item>();
    for (const run of runs) for (const i of run) outcomes.set(key(i), i);
    const refused = corpus.filter((c) => outcomes.get(key(c))?.outcome !== 'published');
    const why = (c: { subdir: string; filename: string }): string =>
      `${key(c)}: ${outcomes.get(key(c))?.reason ?? '-'} ${outcomes.get(key(c))?.detail ?? '-'}`;
    expect(refused.map((c) => key(c))).toEqual([...MAY_BE_REFUSED]);
    for (const c of refused) expect(why(c)).toMatch(/: ARTIFACT_INVALID tar\.links: /);
    // The twins of one build went beside each other: the .conda first, the .tar.bz2 once compared with it.
    expect(runs[0]!.find((i) => i.filename === 'conda_gc_test-2.2.1-py27_3.tar.bz2')).toMatchObject({
      outcome: 'waiting',
    });
    const records = channelState(sb.channelDir).records;
    for (const c of corpus.filter((x) => !MAY_BE_REFUSED.has(key(x)))) expect(records).toContain(key(c));
    expect(records).toContain('linux-64/conda_gc_test-2.2.1-py27_3.conda');
    expect(records).toContain('linux-64/conda_gc_test-2.2.1-py27_3.tar.bz2');
  });

  it('serves a channel rattler solves each package from (linux-fake is no platform rattler knows)', async () => {
    const server = await serveDirectory(sb.channelDir);
    try {
      const solvable = corpus.filter((c) => !MAY_BE_REFUSED.has(key(c)) && c.subdir !== 'linux-fake');
      const unsolved: string[] = [];
      for (const c of solvable) {
        const p = parseArtifactFilename(c.filename)!;
        const platform = (c.subdir === 'noarch' ? 'linux-64' : c.subdir) as Platform;
        const spec = `${p.name} ==${p.version} ${p.build}`;
        // rattler rejects with a string saying why it cannot solve.
        const solved = await simpleSolve([spec], [server.url], [platform, 'noarch'], undefined).catch((e: unknown) => ({
          error: String(e),
        }));
        if (p.name === UNSATISFIABLE) {
          expect('error' in solved ? solved.error : 'solved', spec).toMatch(/^Cannot solve the request/);
          continue;
        }
        if ('error' in solved) {
          unsolved.push(`${spec}: ${solved.error.split('\n')[0]}`);
          continue;
        }
        if (!solved.some((s) => s.packageName === p.name && s.version === p.version && s.build === p.build))
          unsolved.push(`${spec}: not in the solution`);
      }
      expect(unsolved).toEqual([]);
    } finally {
      await server.close();
    }
  }, 180_000);
});
