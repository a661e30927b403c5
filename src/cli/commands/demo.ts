import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { buildDemo } from '../../demo/scenario.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { reconcile } from '../../reconcile/run.js';
import { renderTextSummary } from '../summary.js';
import { optional, parse } from '../args.js';
import type { Command } from '../command.js';

const usage = `forgegate demo [--dir DIR] [--json]

Builds a sandbox in DIR (default ./forgegate-demo): signing keys, a registry (a git repository), real .conda and
.tar.bz2 artifacts in staging (some valid, some not), a keyless feedstock whose Sigstore bundles come from a
throwaway Sigstore instance the config trusts (trusted_root.json), a channel folder and a config; then runs one
reconcile and says what happened and where to look. An existing demo folder is rebuilt; any other existing folder
is refused.`;

export const demo: Command = {
  name: 'demo',
  summary: 'Build a sandbox with keys, a registry and signed artifacts, and reconcile it.',
  usage,
  examples: [
    'forgegate demo                          # build and reconcile ./forgegate-demo',
    'forgegate demo --dir /tmp/fg-demo --json',
  ],
  exitCodes: [ExitCode.OK, ExitCode.USAGE, ExitCode.INTERNAL],
  async run(argv, io) {
    const { values } = parse(argv, { dir: { type: 'string' }, json: { type: 'boolean' } }, usage);
    const root = resolve(optional(values, 'dir') ?? 'forgegate-demo');
    if (existsSync(root)) {
      if (!existsSync(join(root, '.forgegate-demo'))) {
        throw new ForgegateError('FG_USAGE', `${root} exists and is not a forgegate demo folder`, {
          fix: 'Pass --dir with a new folder.',
        });
      }
      await rm(root, { recursive: true, force: true });
    }
    const { folder, expectations, notes } = await buildDemo(root);
    const config = await loadConfig(folder.configPath);
    // First what an admin reviewing a plan would see (it reads the staged bytes), then the run itself.
    const plan = await reconcile(config, { planOnly: true, env: io.env });
    const result = await reconcile(config, { planOnly: false, env: io.env });
    const predicted = (i: (typeof plan.items)[number]): string =>
      i.decision === 'publish' ? 'published' : i.decision === 'wait' ? 'waiting' : `rejected ${i.reason}`;
    const outcome = (i: (typeof result.items)[number]): string =>
      i.outcome === 'rejected' ? `rejected ${i.reason}` : (i.outcome ?? '');
    const done = new Map(result.items.map((i) => [`${i.subdir}/${i.filename}`, outcome(i)]));
    const surprises = plan.items.filter((i) => done.get(`${i.subdir}/${i.filename}`) !== predicted(i));
    if (values['json']) {
      io.out(JSON.stringify({ formatVersion: 1, root, expectations, notes, plan, result }, null, 2));
      return result.exitCode;
    }
    const rel = (p: string): string => relative(process.cwd(), p) || '.';
    io.out(`forgegate demo in ${rel(root)}\n`);
    io.out('What was staged, and what the gate should do with it:');
    for (const e of expectations) io.out(`  ${e.artifact.padEnd(48)} → ${e.expect.padEnd(28)} ${e.why}`);
    for (const n of notes) io.out(`  Note: ${n}`);
    io.out(
      '\nWhat `forgegate reconcile --plan` predicted (it reads the staged bytes; docs/admin.md, "Reading the ' +
        'header line"):',
    );
    io.out(`  ${renderTextSummary(plan).split('\n')[0]!}`);
    io.out(
      surprises.length === 0
        ? '  The run below did exactly what the plan said.'
        : `  UNEXPECTED: the run differed from the plan for ${surprises.map((i) => i.filename).join(', ')}`,
    );
    io.out('\nWhat the gate did:');
    io.out(renderTextSummary(result, { width: io.width }));
    const got = new Map(
      result.items.map((i) => [
        `${i.subdir}/${i.filename}`,
        i.outcome === 'rejected' ? `rejected ${i.reason}` : i.outcome,
      ]),
    );
    const mismatched = expectations.filter((e) => got.get(e.artifact) !== e.expect);
    io.out(
      mismatched.length === 0
        ? '\nEvery artifact got the decision it should.'
        : `\nUNEXPECTED: ${mismatched.map((m) => `${m.artifact} got ${got.get(m.artifact)}`).join('; ')}`,
    );
    const cli = `node ${rel(process.argv[1] ?? 'dist/src/cli/main.js')}`;
    // The verified bundle the channel serves beside the keyless package (attestations_sha256 in its record).
    const keyless = expectations.find((e) => e.why.startsWith('keyless:') && e.expect === 'published');
    const served =
      keyless === undefined
        ? ''
        : `\n  served attestation (keyless):                  ${rel(join(folder.channelDir, keyless.artifact))}.sigs`;
    const repodata = rel(join(folder.channelDir, 'noarch', 'repodata.json'));
    io.out(`
Where to look:
  channel (a real conda channel):  ${rel(folder.channelDir)}   e.g. ${repodata}
  what is still staged:            ${rel(folder.stagingDir)}
  failure reports (one per feedstock and commit): ${rel(folder.reportsDir)}
  keyless trust (the test Sigstore's root):      ${rel(join(folder.root, 'trusted_root.json'))}${served}
  registry (git; see the registration commit):   git -C ${rel(folder.registryDir)} log --oneline
  ledger:   ${cli} ledger runs --config ${rel(folder.configPath)}
  plan:     ${cli} reconcile --plan --config ${rel(folder.configPath)}   (a rerun changes nothing)`);
    return mismatched.length === 0 && surprises.length === 0 ? result.exitCode : ExitCode.INTERNAL;
  },
};
