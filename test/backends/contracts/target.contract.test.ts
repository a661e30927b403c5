// The TargetStore contract, run by every target backend: a conda channel folder, and an anaconda.org channel
// (over the emulator). Each publishes from the quarantine it is deployed with.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { AnacondaQuarantine } from '../../../src/backends/anaconda/quarantine.js';
import { AnacondaStaging } from '../../../src/backends/anaconda/staging.js';
import { AnacondaTarget } from '../../../src/backends/anaconda/target.js';
import { DirectoryStaging } from '../../../src/backends/local/directory-staging.js';
import { LocalChannel } from '../../../src/backends/local/local-channel.js';
import { LocalQuarantine } from '../../../src/backends/local/local-quarantine.js';
import type { Quarantine, QuarantinedCopy } from '../../../src/ports/quarantine.js';
import type { StagingStore } from '../../../src/ports/staging.js';
import { AnacondaWorld } from './anaconda-fixtures.js';
import { targetContract } from './target.contract.js';

const work = mkdtempSync(join(tmpdir(), 'fg-contract-target-'));
const world = new AnacondaWorld();
beforeAll(() => world.start());
afterAll(async () => {
  await world.stop();
  rmSync(work, { recursive: true, force: true });
});

async function admit(
  staging: StagingStore,
  quarantine: Quarantine,
  subdir: string,
  filename: string,
): Promise<QuarantinedCopy> {
  const a = (await staging.list()).artifacts.find((x) => x.subdir === subdir && x.filename === filename);
  if (!a) throw new Error(`${subdir}/${filename} is not listed in staging`);
  const copy = await quarantine.admit(a);
  await staging.remove(a);
  return copy;
}

targetContract('LocalChannel (a conda channel folder)', async () => {
  const root = mkdtempSync(join(work, 'fx-'));
  const staging = new DirectoryStaging(join(root, 'staging'));
  const quarantine = new LocalQuarantine(join(root, 'quarantine'));
  return {
    target: new LocalChannel(join(root, 'channel')),
    servesAttestations: true,
    quarantined: async (subdir, filename, bytes) => {
      mkdirSync(join(root, 'staging', subdir), { recursive: true });
      writeFileSync(join(root, 'staging', subdir, filename), bytes);
      return admit(staging, quarantine, subdir, filename);
    },
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

targetContract('AnacondaTarget (anaconda.org emulator)', async () => {
  const owners = world.owners();
  const staging = new AnacondaStaging(owners.client('staging'), owners.staging, 4);
  const quarantine = new AnacondaQuarantine(owners.client('quarantine'), owners.quarantine);
  return {
    target: new AnacondaTarget(owners.client('target'), owners.target, 4),
    quarantined: async (subdir, filename, bytes, label) => {
      await owners.stageArtifact(subdir, filename, bytes, undefined, label);
      return admit(staging, quarantine, subdir, filename);
    },
    close: () => owners.close(),
  };
});
