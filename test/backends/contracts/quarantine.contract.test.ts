// The Quarantine contract, run by every quarantine backend: a private folder, and an anaconda.org owner only the
// reconciler writes (over the emulator). Each is fed by the staging store it is deployed with.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { AnacondaQuarantine } from '../../../src/backends/anaconda/quarantine.js';
import { AnacondaStaging } from '../../../src/backends/anaconda/staging.js';
import { DirectoryStaging } from '../../../src/backends/local/directory-staging.js';
import { LocalQuarantine } from '../../../src/backends/local/local-quarantine.js';
import type { StagedArtifact, StagingStore } from '../../../src/ports/staging.js';
import { AnacondaWorld } from './anaconda-fixtures.js';
import { quarantineContract } from './quarantine.contract.js';

const work = mkdtempSync(join(tmpdir(), 'fg-contract-quarantine-'));
const world = new AnacondaWorld();
beforeAll(() => world.start());
afterAll(async () => {
  await world.stop();
  rmSync(work, { recursive: true, force: true });
});

async function listed(staging: StagingStore, subdir: string, filename: string): Promise<StagedArtifact> {
  const a = (await staging.list()).artifacts.find((x) => x.subdir === subdir && x.filename === filename);
  if (!a) throw new Error(`${subdir}/${filename} is not listed in staging`);
  return a;
}

quarantineContract('LocalQuarantine (a private folder)', async () => {
  const root = mkdtempSync(join(work, 'fx-'));
  const staging = new DirectoryStaging(join(root, 'staging'));
  return {
    quarantine: new LocalQuarantine(join(root, 'quarantine')),
    stage: async (subdir, filename, bytes) => {
      mkdirSync(join(root, 'staging', subdir), { recursive: true });
      writeFileSync(join(root, 'staging', subdir, filename), bytes);
      return listed(staging, subdir, filename);
    },
    unstage: (artifact) => staging.remove(artifact),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

quarantineContract('AnacondaQuarantine (anaconda.org emulator)', async () => {
  const owners = world.owners();
  const staging = new AnacondaStaging(owners.client('staging'), owners.staging, 4);
  return {
    quarantine: new AnacondaQuarantine(owners.client('quarantine'), owners.quarantine),
    stage: async (subdir, filename, bytes) => {
      await owners.stageArtifact(subdir, filename, bytes);
      return listed(staging, subdir, filename);
    },
    unstage: (artifact) => staging.remove(artifact),
    close: () => owners.close(),
  };
});
