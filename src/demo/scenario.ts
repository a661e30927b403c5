// The demo scenario: one of each thing a gate sees on a busy day, so the run shows every kind of decision.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair } from '../statement/keys.js';
import { DEMO_CHANNEL, DemoFolder } from './folder.js';
import { toUtcString } from '../util/time.js';
import { LIBDEMO_FILENAME, LIBDEMO_SPEC, LIBDEMO_TAR_BZ2 } from './libdemo.js';
import { githubIdentity, TestSigstore, type GitHubIdentity } from './test-sigstore.js';
import { ForgegateError } from '../errors.js';

export interface DemoExpectation {
  artifact: string;
  expect: string;
  why: string;
}

export interface Demo {
  folder: DemoFolder;
  expectations: DemoExpectation[];
  /** What the demo could not show here, and why. */
  notes: string[];
}

export async function buildDemo(root: string): Promise<Demo> {
  const sb = await DemoFolder.create(root);
  const notes: string[] = [];
  // A throwaway Sigstore (the config trusts its root) stands in for GitHub Actions' OIDC, Fulcio and Rekor.
  const sigstore = await TestSigstore.create().catch((e: unknown) => {
    if (!(e instanceof ForgegateError)) throw e;
    notes.push(`No keyless feedstock: ${e.message}. ${e.fix ?? ''}`.trim());
    return null;
  });
  if (sigstore !== null) {
    await sb.enableKeyless(sigstore, KEYLESS_CI.ownerId);
    await sb.addKeylessFeedstock('keyless-demo', ['keyless-demo'], {
      id: 'gha-main',
      repository: KEYLESS_CI.repository,
      repositoryId: KEYLESS_CI.repositoryId,
      ownerId: KEYLESS_CI.ownerId,
      workflow: KEYLESS_CI.workflow,
      signerWorkflows: [],
      refs: [KEYLESS_CI.ref],
      events: [KEYLESS_CI.event],
      environment: null,
      runner: 'github-hosted',
      addedAt: toUtcString(Date.now()),
    });
  }
  await sb.addFeedstock('demo-pkg', ['demo-pkg', 'libdemo']);
  await sb.addFeedstock('numpy', ['numpy']);
  await sb.setAllowlist({ 'demo-pkg': ['demo-plugin-*'] });
  await sb.commitRegistry('Register demo feedstocks');
  const now = Date.now();
  const E: DemoExpectation[] = [];
  const expect = (artifact: string, outcome: string, why: string): void =>
    void E.push({ artifact, expect: outcome, why });

  const pure = await sb.build({
    name: 'demo-pkg',
    version: '1.0.0',
    build: 'pyh0_0',
    subdir: 'noarch',
    noarch: 'python',
    depends: ['python >=3.9', 'libdemo >=2'],
  });
  await sb.stage(pure, { feedstock: 'demo-pkg' });
  expect(`noarch/${pure.filename}`, 'published', 'signed by its feedstock with a registered key');

  const lib = await sb.prebuilt(LIBDEMO_SPEC.subdir, LIBDEMO_FILENAME, LIBDEMO_TAR_BZ2);
  await sb.stage(lib, { feedstock: 'demo-pkg' });
  expect(`linux-64/${lib.filename}`, 'published', 'a second output of the same feedstock, as .tar.bz2');

  const rc = await sb.build({ name: 'libdemo', version: '2.2rc1', build: 'h1a2b3c_0', subdir: 'osx-arm64' });
  await sb.stage(rc, { feedstock: 'demo-pkg', label: 'rc' });
  expect(`osx-arm64/${rc.filename}`, 'published', 'to the rc label: channel/label/rc/osx-arm64');

  const plugin = await sb.build({
    name: 'demo-plugin-extra',
    version: '0.1',
    build: 'pyh0_0',
    subdir: 'noarch',
    noarch: 'python',
  });
  await sb.stage(plugin, { feedstock: 'demo-pkg' });
  expect(
    `noarch/${plugin.filename}`,
    'published',
    'a new name matched by the allowlist glob demo-plugin-*: registered by a registry commit',
  );

  const squat = await sb.build({ name: 'numpy', version: '9.9.9', build: 'py312h0_0', subdir: 'linux-64' });
  await sb.stage(squat, { feedstock: 'demo-pkg', sourceCommit: 'feedfacefeedfacefeedfacefeedfacefeedface' });
  expect(`linux-64/${squat.filename}`, 'rejected OUTPUT_NOT_ALLOWED', 'numpy belongs to the numpy feedstock');

  const tampered = await sb.build({
    name: 'demo-pkg',
    version: '1.0.1',
    build: 'pyh0_0',
    subdir: 'noarch',
    noarch: 'python',
  });
  const tamperedPath = await sb.stage(tampered, {
    feedstock: 'demo-pkg',
    sourceCommit: 'feedfacefeedfacefeedfacefeedfacefeedface',
  });
  await appendFile(tamperedPath, 'x');
  expect(`noarch/${tampered.filename}`, 'rejected DIGEST_MISMATCH', 'the file changed after it was signed');

  const stranger = await sb.build({ name: 'libdemo', version: '2.0', build: 'h0_0', subdir: 'linux-64' });
  await sb.stage(stranger, {
    feedstock: 'demo-pkg',
    keys: [generateKeyPair()],
    sourceCommit: 'feedfacefeedfacefeedfacefeedfacefeedface',
  });
  expect(`linux-64/${stranger.filename}`, 'rejected SIGNATURE_INVALID', 'signed with a key the registry does not know');

  const unsafe = await sb.build({
    name: 'demo-pkg',
    version: '1.0.2',
    build: 'pyh0_0',
    subdir: 'noarch',
    extraEntries: [{ name: 'lib/../../../etc/cron.d/evil', type: 'file', content: '* * * * * root true\n' }],
  });
  await sb.stage(unsafe, { feedstock: 'demo-pkg', sourceCommit: 'feedfacefeedfacefeedfacefeedfacefeedface' });
  expect(`noarch/${unsafe.filename}`, 'rejected ARTIFACT_UNSAFE', 'a path escapes the install prefix');

  const old = await sb.build({ name: 'demo-pkg', version: '0.9', build: 'pyh0_0', subdir: 'noarch' });
  await sb.stage(old, { feedstock: 'demo-pkg', unsigned: true, seenAtMs: now - 3 * 3_600_000 });
  expect(
    `noarch/${old.filename}`,
    'rejected SIGNATURE_MISSING',
    'first seen by an earlier run 3 h ago, still no .sig after the 2 h staging grace time',
  );

  const fresh = await sb.build({ name: 'demo-pkg', version: '1.1.0', build: 'pyh0_0', subdir: 'noarch' });
  await sb.stage(fresh, { feedstock: 'demo-pkg', unsigned: true });
  expect(`noarch/${fresh.filename}`, 'waiting', 'its .sig may still be on the way');

  if (sigstore !== null) {
    const attest = async (identity: GitHubIdentity): Promise<void> => {
      const built = await sb.build({
        name: 'keyless-demo',
        version: identity === KEYLESS_CI ? '1.0' : '1.1',
        build: 'h0_0',
        subdir: 'linux-64',
      });
      const subject = { name: built.filename, sha256: built.digests.sha256, targetChannel: DEMO_CHANNEL };
      await sb.stageBundle(built, await sigstore.attest(subject, identity));
      expect(
        `linux-64/${built.filename}`,
        identity === KEYLESS_CI ? 'published' : 'rejected PUBLISHER_MISMATCH',
        identity === KEYLESS_CI
          ? "keyless: a Sigstore bundle from its feedstock's registered GitHub Actions job, no key"
          : 'keyless, but signed by a pull_request_target run, which is not the registered publisher',
      );
    };
    await attest(KEYLESS_CI);
    await attest({ ...KEYLESS_CI, event: 'pull_request_target', ref: 'refs/heads/main' });
  }

  await mkdir(join(root, 'keys'), { recursive: true });
  await writeFile(
    join(root, '.forgegate-demo'),
    'This folder was made by `forgegate demo`; the demo deletes and rebuilds it.\n',
  );
  return { folder: sb, expectations: E, notes };
}

/** The keyless feedstock's CI job: what GitHub's OIDC token (and so the certificate) says about it. */
const KEYLESS_CI: GitHubIdentity = githubIdentity({
  repository: 'example/keyless-demo-feedstock',
  repositoryId: '4000001',
  ownerId: '4000000',
});
