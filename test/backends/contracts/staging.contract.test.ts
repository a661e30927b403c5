// The StagingStore contract, run by every staging backend: a folder, and anaconda.org (over its emulator).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { AnacondaStaging } from '../../../src/backends/anaconda/staging.js';
import { DirectoryStaging } from '../../../src/backends/local/directory-staging.js';
import { AnacondaWorld } from './anaconda-fixtures.js';
import { stagingContract } from './staging.contract.js';

const work = mkdtempSync(join(tmpdir(), 'fg-contract-staging-'));
const world = new AnacondaWorld();
beforeAll(() => world.start());
afterAll(async () => {
  await world.stop();
  rmSync(work, { recursive: true, force: true });
});

function put(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

stagingContract('DirectoryStaging (a folder)', async () => {
  const root = mkdtempSync(join(work, 'staging-'));
  return {
    store: new DirectoryStaging(root),
    stage: async (subdir, filename, bytes, sig) => {
      put(join(root, subdir, filename), bytes);
      if (sig !== undefined) put(join(root, subdir, `${filename}.sig`), sig);
    },
    stageJunk: async (subdir, filename, bytes) => put(join(root, subdir, filename), bytes),
    unavailable: () => new DirectoryStaging(join(root, 'no-such-folder')),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

stagingContract('AnacondaStaging (anaconda.org emulator)', async () => {
  const owners = world.owners();
  return {
    store: new AnacondaStaging(owners.client('staging'), owners.staging, 4),
    stage: (subdir, filename, bytes, sig) => owners.stageArtifact(subdir, filename, bytes, sig),
    stageJunk: (subdir, filename, bytes) =>
      owners.upload(`${subdir}/${filename}`, bytes, {
        type: filename.endsWith('.conda') || filename.endsWith('.tar.bz2') ? 'conda' : 'file',
      }),
    unavailable: () => new AnacondaStaging(owners.unreachableClient(), owners.staging, 4),
    close: () => owners.close(),
  };
});
