import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnacondaClient } from '../../src/anaconda/client.js';
import { AnacondaHttp } from '../../src/anaconda/http.js';
import { AnacondaEmulator } from '../emulator/server.js';
import { uploadLikeAnacondaClient } from '../emulator/upload.js';

const TOKEN = 'tok-staging-SECRET-1234567890';
const emu = new AnacondaEmulator();
let client: AnacondaClient;
const bytes = Buffer.from('conda bytes '.repeat(100));
const ref = { owner: 'cf-staging', package: 'foo', version: '1.0', basename: 'linux-64/foo-1.0-h0_0.conda' };

beforeAll(async () => {
  await emu.start();
  emu.state.grant(TOKEN, ['cf-staging', 'cf-post-staging']);
  client = new AnacondaClient(new AnacondaHttp(emu.url, TOKEN));
  await uploadLikeAnacondaClient(emu.url, TOKEN, { ...ref, type: 'conda', labels: ['main'], bytes });
});
afterAll(async () => {
  await client.http.close();
  await emu.stop();
});

describe('anaconda.org client against the emulator', () => {
  it('uploads like anaconda-client and reads the file back with md5, sha256, size and labels', async () => {
    const f = await client.dist(ref);
    expect(f).toMatchObject({ basename: ref.basename, size: bytes.length, labels: ['main'], md5: createHash('md5').update(bytes).digest('hex'), sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(await client.labelFiles('cf-staging', 'main')).toHaveLength(1);
    expect(await client.dist({ ...ref, basename: 'linux-64/absent-1-0.conda' })).toBeNull();
  });

  it('downloads through the 302 without sending Authorization to the blob store', async () => {
    const chunks: Buffer[] = [];
    for await (const c of await client.download(ref)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes);
    expect(emu.leakedAuthorization).toBe(0);
  });

  it('copies to another owner, answers a second copy with conflict, relabels, and deletes', async () => {
    expect(await client.copy(ref, 'cf-post-staging', 'main', 'main')).toBe('copied');
    expect(await client.copy(ref, 'cf-post-staging', 'main', 'main')).toBe('conflict');
    const q = { ...ref, owner: 'cf-post-staging' };
    await client.addLabel(q, 'rc');
    expect((await client.dist(q))?.labels).toEqual(['main', 'rc']);
    await client.removeLabel(q, 'main');
    expect((await client.dist(q))?.labels).toEqual(['rc']);
    await client.remove(q);
    await client.remove(q);
    expect(await client.dist(q)).toBeNull();
  });

  it('retries 5xx/429 (honouring Retry-After) and survives dropped connections', async () => {
    emu.faults = { ...emu.faults, errorRate: 0.5, dropRate: 0.1 };
    try {
      for (let i = 0; i < 10; i++) expect((await client.dist(ref))?.size).toBe(bytes.length);
    } finally {
      emu.faults = { ...emu.faults, errorRate: 0, dropRate: 0 };
    }
  });

  it('never retries a 4xx, and never puts the token in an error message', async () => {
    const other = new AnacondaClient(new AnacondaHttp(emu.url, 'tok-wrong-SECRET'));
    const before = emu.requests;
    const err = await other.copy(ref, 'cf-post-staging', 'main', 'main').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/POST \/copy\/package\/.* answered 401/);
    expect((err as Error).message).not.toContain('SECRET');
    expect(emu.requests - before).toBe(1);
    await other.http.close();
  });

  it('times out a request that never answers (and says so without the token)', async () => {
    emu.faults = { ...emu.faults, latencyMs: 3000 };
    const { Agent } = await import('undici');
    const slow = new AnacondaClient(new AnacondaHttp(emu.url, TOKEN, new Agent({ headersTimeout: 200, bodyTimeout: 200 })));
    try {
      const err = await slow.dist(ref).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/still failing after|failed/);
      expect((err as Error).message).not.toContain('SECRET');
    } finally {
      emu.faults = { ...emu.faults, latencyMs: 0 };
      await slow.http.close();
    }
  }, 30_000);

  it('refuses a label change that is not scoped to one file', async () => {
    await expect(client.addLabel({ ...ref, basename: '' }, 'broken')).rejects.toThrow(/unscoped label change/);
  });
});

describe('a server that echoes the token', () => {
  it('never lets the token into an error message', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `bad credentials: ${String(req.headers['authorization'])}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const echo = new AnacondaClient(new AnacondaHttp(`http://127.0.0.1:${port}`, 'tok-echoed-SECRET'));
    try {
      const err = (await echo.dist(ref).catch((e: Error) => e)) as Error;
      expect(err.message).toContain('answered 403: bad credentials: token [redacted]');
      expect(err.message).not.toContain('SECRET');
    } finally {
      await echo.http.close();
      server.close();
    }
  });
});
