// keyless-v1's registry additions: publishers and accept in a keys file, the sigstore block in config.json. Every
// field not in the spec's table makes the file invalid: a restriction forgegate does not understand is never dropped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFeedstockFile, parseFeedstockFile, parseRegistryConfig } from '../../src/registry/layout.js';
import { VECTORS_DIR } from '../helpers/paths.js';

const REGISTRY = join(VECTORS_DIR, 'keyless', 'registry');
const numpy = readFileSync(join(REGISTRY, 'keys/n/u/m/numpy.json'), 'utf8');
const config = parseRegistryConfig(readFileSync(join(REGISTRY, 'config.json'), 'utf8'));
const doc = JSON.parse(numpy) as { publishers: Record<string, unknown>[]; keys: unknown[]; accept?: string };
const withPublisher = (edit: (p: Record<string, unknown>) => void, file: Partial<typeof doc> = {}): string => {
  const p = structuredClone(doc.publishers[0]!);
  edit(p);
  return JSON.stringify({ ...doc, publishers: [p], ...file });
};
const parse = (text: string) => parseFeedstockFile(text, 'keys/n/u/m/numpy.json', config.sigstore);

describe('keys files with publishers', () => {
  it("reads the spec's fixture: keys, four publishers, accept any", () => {
    const file = parse(numpy);
    expect(file.keys).toHaveLength(1);
    expect(file.publishers.map((p) => p.id)).toEqual(['gha-main', 'gha-release', 'gha-nightly', 'gha-legacy']);
    expect(file.accept).toBe('any');
  });
  it('defaults: no keys, events [push], no signer workflows, no environment or runner', () => {
    const dropped = new Set(['events', 'signerWorkflows', 'environment', 'runner', 'notAfter', 'revokedAt']);
    const p = Object.fromEntries(Object.entries(doc.publishers[0]!).filter(([k]) => !dropped.has(k)));
    const file = parse(JSON.stringify({ publishers: [p] }));
    expect(file.keys).toEqual([]);
    expect(file.publishers[0]).toMatchObject({
      events: ['push'],
      signerWorkflows: [],
      environment: null,
      runner: null,
    });
  });
  it('a field not in the table makes the file invalid', () => {
    expect(() => parse(withPublisher((p) => (p['branches'] = ['main'])))).toThrow(/branches is not a publisher field/);
    expect(() => parse(JSON.stringify({ ...doc, owners: [] }))).toThrow(/"owners" is not a field/);
  });
  it('pull_request events can never be allowed', () => {
    expect(() => parse(withPublisher((p) => (p['events'] = ['push', 'pull_request_target'])))).toThrow(/fork code/);
  });
  it("a publisher with another ownerId than config.json's sigstore.ownerId makes the file invalid", () => {
    expect(() => parse(withPublisher((p) => (p['ownerId'] = '999')))).toThrow(/sigstore.ownerId is 1000001/);
  });
  it('ids are unique, refs non-empty, ids decimal, workflow a path under .github/workflows', () => {
    const twice = JSON.stringify({ publishers: [doc.publishers[0], doc.publishers[0]] });
    expect(() => parse(twice)).toThrow(/listed twice/);
    expect(() => parse(withPublisher((p) => (p['refs'] = [])))).toThrow(/refs/);
    expect(() => parse(withPublisher((p) => (p['repositoryId'] = '12a')))).toThrow(/repositoryId/);
    expect(() => parse(withPublisher((p) => (p['workflow'] = 'build.yml')))).toThrow(/workflow/);
    expect(() => parse(withPublisher((p) => (p['kind'] = 'gitlab')))).toThrow(/kind/);
  });
  it('accept is "any" or "sigstore"', () => {
    expect(parse(JSON.stringify({ ...doc, accept: 'sigstore' })).accept).toBe('sigstore');
    expect(() => parse(JSON.stringify({ ...doc, accept: 'keys' }))).toThrow(/accept/);
  });
  it('formats back to a file that parses to the same', () => {
    const file = parse(numpy);
    expect(parse(formatFeedstockFile(file))).toEqual(file);
  });
});

describe("config.json's sigstore block", () => {
  it('reads issuer (default GitHub Actions), ownerId and repoPattern', () => {
    expect(parseRegistryConfig('{"sigstore": {"repoPattern": "conda-forge/{feedstock}-feedstock"}}').sigstore).toEqual({
      issuer: 'https://token.actions.githubusercontent.com',
      ownerId: null,
      repoPattern: 'conda-forge/{feedstock}-feedstock',
    });
  });
  it('refuses a repoPattern without exactly one {feedstock} in the name part, and unknown fields', () => {
    for (const pattern of ['conda-forge/feedstock', '{feedstock}/x', 'a/{feedstock}-{feedstock}'])
      expect(() => parseRegistryConfig(JSON.stringify({ sigstore: { repoPattern: pattern } }))).toThrow(/repoPattern/);
    expect(() => parseRegistryConfig('{"sigstore": {"repoPattern": "a/{feedstock}", "audience": "x"}}')).toThrow(
      /audience/,
    );
  });
  it('without a sigstore block keyless evidence is off (no block in the result)', () => {
    expect(parseRegistryConfig('{}').sigstore).toBeUndefined();
  });
});
