// `npm run bench`: every benchmark, one after another (never part of `npm test`).
// Each benchmark module exports main(argv) and prints its own table (or JSON with --json).
const argv = process.argv.slice(2);
const benches: [string, string][] = [
  ['artifact verification, hashing and signatures', './artifact-bench.js'],
  ['evidence per artifact: .sig (Ed25519) and .sigstore.json (keyless)', './evidence-bench.js'],
  ['resource bounds: bombs and a 2 GiB zip64 artifact', './bounds-bench.js'],
  ['publishing into a channel folder at conda-forge scale', './channel-bench.js'],
  ['anaconda.org reconcile throughput', './anaconda-bench.js'],
  ['GitHub registry and reports: GraphQL requests per run', './github-bench.js'],
  ['forgegate audit at conda-forge scale', './audit-bench.js'],
];
for (const [title, path] of benches) {
  if (!argv.includes('--json')) process.stdout.write(`\n== ${title}\n`);
  const mod = (await import(path)) as { main: (argv: string[]) => Promise<void> };
  await mod.main(argv);
}
