// A Sandbox whose staging, quarantine and target live on an anaconda.org emulator (registry, ledger and reports
// stay folders). Artifacts and their .sig files are uploaded the way a feedstock's CI would.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Sandbox, type Built, type StageOptions } from '../../../helpers/sandbox.js';
import { parseArtifactFilename } from '../../../../src/conda/filename.js';
import { AnacondaEmulator } from './server.js';
import { uploadLikeAnacondaClient } from './upload.js';

export const TOKENS = {
  STAGING_TOKEN: 'tok-staging-7f3a9c1e-SECRET',
  QUARANTINE_TOKEN: 'tok-quarantine-2b8d4e6f-SECRET',
  TARGET_TOKEN: 'tok-target-9c1d3e5a-SECRET',
  FEEDSTOCK_TOKEN: 'tok-feedstock-0a1b2c3d-SECRET',
};

/** One emulator and one work folder for a test file: started before its tests, stopped and removed after. */
export function emulatorForFile(prefix: string): { emu: AnacondaEmulator; work: string } {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const emu = new AnacondaEmulator();
  beforeAll(async () => {
    await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return { emu, work };
}

export async function anacondaSandbox(
  root: string,
  emu: AnacondaEmulator,
  policy: Record<string, string | number> = {},
): Promise<Sandbox> {
  emu.state.grant(TOKENS.FEEDSTOCK_TOKEN, ['cf-staging']);
  emu.state.grant(TOKENS.STAGING_TOKEN, ['cf-staging']);
  emu.state.grant(TOKENS.QUARANTINE_TOKEN, ['cf-post-staging']);
  emu.state.grant(TOKENS.TARGET_TOKEN, ['conda-forge']);
  const store = (owner: string, tokenEnv: string) => ({ store: { type: 'anaconda', owner, url: emu.url, tokenEnv } });
  return Sandbox.create(root, {
    policy,
    configOverrides: {
      staging: store('cf-staging', 'STAGING_TOKEN'),
      quarantine: store('cf-post-staging', 'QUARANTINE_TOKEN'),
      target: {
        ...store('conda-forge', 'TARGET_TOKEN'),
        channel: 'https://conda.example.org/forge',
        labels: ['main', 'rc'],
      },
    },
  });
}

/** Sign with the sandbox, then upload the artifact and (unless unsigned) its .sig as a `file` package. */
export async function stageOnAnaconda(
  sb: Sandbox,
  emu: AnacondaEmulator,
  built: Built,
  opts: StageOptions & { uploadLabel?: string; bytes?: Buffer },
): Promise<string> {
  const local = await sb.stage(built, opts);
  const p = parseArtifactFilename(built.filename)!;
  const label = opts.uploadLabel ?? opts.label ?? 'main';
  await uploadLikeAnacondaClient(emu.url, TOKENS.FEEDSTOCK_TOKEN, {
    owner: 'cf-staging',
    package: p.name,
    version: p.version,
    basename: `${built.subdir}/${built.filename}`,
    type: 'conda',
    labels: [label],
    bytes: opts.bytes ?? readFileSync(local),
  });
  if (!opts.unsigned) {
    await uploadLikeAnacondaClient(emu.url, TOKENS.FEEDSTOCK_TOKEN, {
      owner: 'cf-staging',
      package: `${p.name}-signatures`,
      version: p.version,
      basename: `${built.filename}.sig`,
      type: 'file',
      labels: [label],
      bytes: readFileSync(`${local}.sig`),
    });
    rmSync(`${local}.sig`);
  }
  rmSync(local);
  return `cf-staging/${p.name}/${p.version}/${built.subdir}/${built.filename}`;
}

export function ownerFiles(emu: AnacondaEmulator, owner: string): string[] {
  return emu.state
    .filesOf(owner)
    .map((f) => `${f.basename}@${f.labels.join(',')}`)
    .sort();
}

export const tokenEnv = (): Record<string, string> => ({ ...TOKENS });
