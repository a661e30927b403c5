import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnacondaClient } from '../../../src/backends/anaconda/client.js';
import { AnacondaHttp } from '../../../src/backends/anaconda/http.js';
import { AnacondaEmulator } from './emulator/server.js';
import { uploadLikeAnacondaClient } from './emulator/upload.js';

const TOKEN = 'tok-staging-SECRET-1234567890';
const emu = new AnacondaEmulator();
let client: AnacondaClient;
const bytes = Buffer.from('conda bytes '.repeat(100));
const ref = { owner: 'cf-staging', package: 'foo', version: '1.0', basename: 'linux-64/foo-1.0-h0_0.conda' };

async function readAll(stream: Readable | null): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream!) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Answer the next `n` requests on `route` with `status` (and headers), then behave normally again. */
function failNext(route: string, n: number, status: number, headers: Record<string, string> = {}): void {
  let left = n;
  emu.onRequest = (_req, res, r) => {
    if (r !== route || left === 0) return false;
    left--;
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{"error":"injected"}');
    return true;
  };
}

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
  it('lists labels and files, and reads one file with md5, sha256, size and labels (absent → null)', async () => {
    expect(await client.labels('cf-staging')).toEqual(['main']);
    expect((await client.labelFiles('cf-staging', 'main')).map((f) => f.full_name)).toEqual([
      `cf-staging/foo/1.0/${ref.basename}`,
    ]);
    expect(await client.labelFiles('cf-staging', 'nothing-here')).toEqual([]);
    const f = await client.dist(ref);
    expect(f).toMatchObject({
      basename: ref.basename,
      size: bytes.length,
      labels: ['main'],
      md5: createHash('md5').update(bytes).digest('hex'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(await client.dist({ ...ref, basename: 'linux-64/absent-1-0.conda' })).toBeNull();
  });

  it('sends the basename, subdir included, as ONE percent-encoded path segment', async () => {
    const seen: string[] = [];
    emu.onRequest = (req) => {
      seen.push(req.url ?? '');
      return false;
    };
    try {
      await client.dist(ref);
    } finally {
      emu.onRequest = null;
    }
    expect(seen).toEqual(['/dist/cf-staging/foo/1.0/linux-64%2Ffoo-1.0-h0_0.conda']);
  });

  it('downloads through the 302 with a fresh request that carries no Authorization (the blob store refuses one)', async () => {
    const before = emu.byRoute.get('GET /blob') ?? 0;
    expect(await readAll(await client.download(ref))).toEqual(bytes);
    expect((emu.byRoute.get('GET /blob') ?? 0) - before).toBe(1);
    expect(emu.leakedAuthorization).toBe(0);
  });

  it('answers null for a download of a file that is gone', async () => {
    expect(await client.download({ ...ref, basename: 'linux-64/absent-1-0.conda' })).toBeNull();
  });

  it('surfaces a body cut off mid-way as a stream error, never as a clean short end', async () => {
    emu.faults = { ...emu.faults, truncateRate: 1 };
    try {
      const err = await readAll(await client.download(ref)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: string }).code).toBe('UND_ERR_SOCKET');
    } finally {
      emu.faults = { ...emu.faults, truncateRate: 0 };
    }
  });

  it('copies to another owner, answers a second copy with conflict, relabels, and deletes (twice is fine)', async () => {
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

  it('never retries a 409: one request, and the conflict is a value', async () => {
    await client.copy(ref, 'cf-post-staging', 'main', 'main');
    const before = emu.byRoute.get('POST /copy/package') ?? 0;
    expect(await client.copy(ref, 'cf-post-staging', 'main', 'main')).toBe('conflict');
    expect((emu.byRoute.get('POST /copy/package') ?? 0) - before).toBe(1);
    await client.remove({ ...ref, owner: 'cf-post-staging' });
  });

  it('waits as long as Retry-After says before retrying a 429', async () => {
    failNext('GET /dist', 1, 429, { 'retry-after': '1' });
    const before = emu.byRoute.get('GET /dist') ?? 0;
    const start = performance.now();
    try {
      expect((await client.dist(ref))?.size).toBe(bytes.length);
    } finally {
      emu.onRequest = null;
    }
    expect(performance.now() - start).toBeGreaterThanOrEqual(950);
    expect((emu.byRoute.get('GET /dist') ?? 0) - before).toBe(2);
  });

  it('retries 500/503/429 and dropped connections until an answer comes', async () => {
    // ~1/3 of attempts fail: six failures in a row (the retry budget) is ~1 in 700 calls.
    emu.faults = { ...emu.faults, errorRate: 0.3, dropRate: 0.05 };
    const injected = { ...emu.injected };
    try {
      for (let i = 0; i < 20; i++) expect((await client.dist(ref))?.size).toBe(bytes.length);
    } finally {
      emu.faults = { ...emu.faults, errorRate: 0, dropRate: 0 };
    }
    expect(emu.injected.errors - injected.errors).toBeGreaterThan(2);
    expect(emu.injected.drops - injected.drops).toBeGreaterThan(0);
  });

  it('gives up after its tries with a transient error naming method, path and status', async () => {
    const few = new AnacondaClient(new AnacondaHttp(emu.url, TOKEN, { attempts: 2 }));
    failNext('GET /dist', 2, 503);
    try {
      const err = (await few.dist(ref).catch((e: unknown) => e)) as {
        message: string;
        transient: boolean;
        code: string;
      };
      expect(err).toMatchObject({ code: 'FG_HTTP', transient: true });
      expect(err.message).toBe(
        'anaconda.org GET /dist/cf-staging/foo/1.0/linux-64%2Ffoo-1.0-h0_0.conda still failing after 2 tries (status 503)',
      );
    } finally {
      emu.onRequest = null;
      await few.http.close();
    }
  });

  it('never retries a 401, and never puts the token in an error message', async () => {
    const other = new AnacondaClient(new AnacondaHttp(emu.url, 'tok-wrong-SECRET'));
    const before = emu.requests;
    const err = await other.copy(ref, 'cf-post-staging', 'main', 'main').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^anaconda\.org POST \/copy\/package\/\S+ answered 401/);
    expect((err as Error).message).not.toContain('SECRET');
    expect(emu.requests - before).toBe(1);
    await other.http.close();
  });

  it('times out a request whose headers never come, and says so without the token', async () => {
    emu.faults = { ...emu.faults, latencyMs: 2000 };
    const { Agent } = await import('undici');
    const slow = new AnacondaClient(
      new AnacondaHttp(emu.url, TOKEN, { agent: new Agent({ headersTimeout: 200, bodyTimeout: 200 }), attempts: 2 }),
    );
    try {
      const err = (await slow.dist(ref).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/still failing after 2 tries \(network error UND_ERR_HEADERS_TIMEOUT\)$/);
      expect(err.message).not.toContain('SECRET');
    } finally {
      emu.faults = { ...emu.faults, latencyMs: 0 };
      await slow.http.close();
    }
  });

  it('times out a body that stalls mid-way', async () => {
    const { Agent } = await import('undici');
    const slow = new AnacondaClient(
      new AnacondaHttp(emu.url, TOKEN, { agent: new Agent({ headersTimeout: 1000, bodyTimeout: 200 }), attempts: 1 }),
    );
    emu.onRequest = (_req, res, route) => {
      if (route !== 'GET /blob') return false;
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10));
      return true; // and never finish
    };
    try {
      const err = (await readAll(await slow.download(ref)).catch((e: unknown) => e)) as { code?: string };
      expect(err.code).toBe('UND_ERR_BODY_TIMEOUT');
    } finally {
      emu.onRequest = null;
      await slow.http.close();
    }
  });

  it('refuses a label change that is not scoped to one file', async () => {
    await expect(client.addLabel({ ...ref, basename: '' }, 'broken')).rejects.toThrow(/unscoped label change/);
    await expect(client.removeLabel({ ...ref, package: '' }, 'main')).rejects.toThrow(/unscoped label change/);
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
      const err = (await echo.dist(ref).catch((e: unknown) => e)) as Error;
      expect(err.message).toContain('answered 403: bad credentials: token [redacted]');
      expect(err.message).not.toContain('SECRET');
    } finally {
      await echo.http.close();
      server.close();
    }
  });
});
