import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REGISTRY_CONFIG,
  keyPath,
  outputPath,
  parseKeyFile,
  parseOutputFile,
  parseRegistryConfig,
} from '../../src/registry/layout.js';

describe('registry-v1 layout', () => {
  it.each([
    ['numpy', 'outputs/n/u/m/numpy.json'],
    ['r', 'outputs/r/z/z/r.json'],
    ['ad-hoc-diffractometer', 'outputs/a/d/h/ad-hoc-diffractometer.json'],
    ['_openmp_mutex', 'outputs/o/p/e/_openmp_mutex.json'],
  ])('puts output %s at %s', (name, path) => {
    expect(outputPath(name, DEFAULT_REGISTRY_CONFIG)).toBe(path);
  });

  it('shards key files by feedstock name without lowercasing the file name', () => {
    expect(keyPath('Iris-Codec', DEFAULT_REGISTRY_CONFIG)).toBe('keys/i/r/i/Iris-Codec.json');
  });

  it('rejects key files whose keyid is not the sha256 of the public key', () => {
    const text = JSON.stringify({
      keys: [{ keyid: '0'.repeat(64), publicKey: 'iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=' }],
    });
    expect(() => parseKeyFile(text, 'keys/d/e/m/demo-pkg.json')).toThrow(/keyid must be the lowercase hex sha256/);
    const good = JSON.stringify({
      keys: [
        {
          keyid: '34750f98bd59fcfc946da45aaabe933be154a4b5094e1c4abf42866505f3c97e',
          publicKey: 'iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=',
          notAfter: '2027-01-01T00:00:00Z',
        },
      ],
    });
    expect(parseKeyFile(good, 'k')[0]).toMatchObject({ notAfter: '2027-01-01T00:00:00Z', revokedAt: null });
  });

  it('rejects malformed output files and configs, naming the file', () => {
    expect(() => parseOutputFile('{"feedstocks": []}', 'outputs/n/u/m/numpy.json')).toThrow(
      /outputs\/n\/u\/m\/numpy.json/,
    );
    expect(() => parseOutputFile('not json', 'x.json')).toThrow(/not valid JSON/);
    expect(() => parseRegistryConfig('{"outputs_path": "../etc"}')).toThrow(/outputs_path/);
    expect(parseRegistryConfig(null)).toEqual(DEFAULT_REGISTRY_CONFIG);
  });
});
