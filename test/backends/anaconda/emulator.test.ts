// The emulator itself: the contract's status codes, and its fault knobs.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableFailure, backoffMs, retrying } from '../../../src/util/retry.js';
import { AnacondaEmulator } from './emulator/server.js';
import { uploadLikeAnacondaClient } from './emulator/upload.js';

const emu = new AnacondaEmulator();
const TOKEN = 'tok-emulator-test';
const auth = { authorization: `token ${TOKEN}`, 'content-type': 'application/json' };
beforeAll(async () => {
  await emu.start();
  emu.state.grant(TOKEN, ['owner']);
  await uploadLikeAnacondaClient(emu.url, TOKEN, {
    owner: 'owner',
    package: 'pkg',
    version: '1',
    basename: 'noarch/pkg-1-0.conda',
    type: 'conda',
    labels: [],
    bytes: Buffer.alloc(50_000, 1),
  });
});
afterAll(() => emu.stop());

describe('anaconda.org emulator', () => {
  it('labels an upload with no label "main", and answers 201 where the contract says 201', async () => {
    const dist = `${emu.url}/dist/owner/pkg/1/${encodeURIComponent('noarch/pkg-1-0.conda')}`;
    expect(((await (await fetch(dist)).json()) as { labels: string[] }).labels).toEqual(['main']);
    const body = JSON.stringify({ package: 'pkg', version: '1', basename: 'noarch/pkg-1-0.conda' });
    expect((await fetch(`${emu.url}/channels/owner/broken`, { method: 'POST', headers: auth, body })).status).toBe(201);
    expect((await fetch(`${emu.url}/channels/owner/broken`, { method: 'DELETE', headers: auth, body })).status).toBe(
      201,
    );
    expect((await fetch(`${emu.url}/release/owner/pkg/9`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(
      200,
    );
    expect((await fetch(`${emu.url}/release/owner/pkg/9`, { method: 'DELETE', headers: auth })).status).toBe(201);
  });

  it('answers 401 without a token or without permission, with an error body', async () => {
    const none = await fetch(`${emu.url}/dist/owner/pkg/1/x`, { method: 'DELETE' });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'Authorization header was not given' });
    emu.state.grant('other', ['elsewhere']);
    expect(
      (
        await fetch(`${emu.url}/package/owner/new`, {
          method: 'POST',
          headers: { authorization: 'token other' },
          body: '{}',
        })
      ).status,
    ).toBe(401);
  });

  it('refuses a download at the blob store when the request carries Authorization', async () => {
    const redirect = await fetch(`${emu.url}/download/owner/pkg/1/${encodeURIComponent('noarch/pkg-1-0.conda')}`, {
      redirect: 'manual',
    });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect((await fetch(location, { headers: { authorization: 'token x' } })).status).toBe(400);
    expect((await fetch(location)).status).toBe(200);
  });

  it('caps download bandwidth', async () => {
    emu.faults = { ...emu.faults, bandwidthBps: 100_000 };
    try {
      const redirect = await fetch(`${emu.url}/download/owner/pkg/1/${encodeURIComponent('noarch/pkg-1-0.conda')}`, {
        redirect: 'manual',
      });
      const start = performance.now();
      await (await fetch(redirect.headers.get('location')!)).arrayBuffer();
      expect(performance.now() - start).toBeGreaterThan(350);
    } finally {
      emu.faults = { ...emu.faults, bandwidthBps: 0 };
    }
  });

  it('deletes a release with its last file, then the empty package', async () => {
    await uploadLikeAnacondaClient(emu.url, TOKEN, {
      owner: 'owner',
      package: 'lonely',
      version: '1',
      basename: 'noarch/lonely-1-0.conda',
      type: 'conda',
      labels: ['main'],
      bytes: Buffer.from('x'),
    });
    expect(
      (
        await fetch(`${emu.url}/dist/owner/lonely/1/${encodeURIComponent('noarch/lonely-1-0.conda')}`, {
          method: 'DELETE',
          headers: auth,
        })
      ).status,
    ).toBe(200);
    expect((await fetch(`${emu.url}/package/owner/lonely`)).status).toBe(404);
  });
});

describe('anaconda.org emulator: the rest of the contract', () => {
  const distOf = (o: string, b = 'noarch/pkg-1-0.conda'): string =>
    `${emu.url}/dist/${o}/pkg/1/${encodeURIComponent(b)}`;

  it("answers HEAD / and GET /user/{login} with the owner's user_type (404 when unknown)", async () => {
    emu.state.addOwner('someone', 'user');
    expect((await fetch(`${emu.url}/`, { method: 'HEAD' })).status).toBe(200);
    expect(await (await fetch(`${emu.url}/user/owner`)).json()).toMatchObject({ login: 'owner', user_type: 'org' });
    expect(await (await fetch(`${emu.url}/user/someone`)).json()).toMatchObject({
      login: 'someone',
      user_type: 'user',
    });
    expect((await fetch(`${emu.url}/user/nobody`)).status).toBe(404);
  });

  it('percent-decodes the path tail into one basename, whether the slash is raw or %2F', async () => {
    const raw = await fetch(`${emu.url}/dist/owner/pkg/1/noarch/pkg-1-0.conda`);
    const encoded = await fetch(distOf('owner'));
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual(await encoded.json());
  });

  it('refuses to stage a file that exists (409), and an S3 POST whose Content-MD5 is wrong (InvalidDigest)', async () => {
    const stage = (b: string): Promise<Response> =>
      fetch(`${emu.url}/stage/owner/pkg/1/${encodeURIComponent(b)}`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ distribution_type: 'conda', channels: ['main'] }),
      });
    expect((await stage('noarch/pkg-1-0.conda')).status).toBe(409);
    const staged = (await (await stage('noarch/pkg-1-1.conda')).json()) as {
      post_url: string;
      form_data: Record<string, string>;
    };
    const form = new FormData();
    for (const [k, v] of Object.entries(staged.form_data)) form.append(k, v);
    form.append('Content-MD5', 'AAAAAAAAAAAAAAAAAAAAAA==');
    form.append('file', new Blob([Buffer.from('bytes')]), 'pkg-1-1.conda');
    const s3 = await fetch(staged.post_url, { method: 'POST', body: form });
    expect(s3.status).toBe(400);
    expect(await s3.text()).toContain('InvalidDigest');
  });

  it('records the sha256 the stage request claimed (md5 and size from the bytes), as anaconda.org appears to', async () => {
    const claimed = 'ab'.repeat(32);
    await uploadLikeAnacondaClient(emu.url, TOKEN, {
      owner: 'owner',
      package: 'pkg',
      version: '1',
      basename: 'noarch/pkg-1-2.conda',
      type: 'conda',
      labels: ['main'],
      bytes: Buffer.from('real'),
      claimedSha256: claimed,
    });
    expect(await (await fetch(distOf('owner', 'noarch/pkg-1-2.conda'))).json()).toMatchObject({
      sha256: claimed,
      size: 4,
      md5: createHash('md5').update('real').digest('hex'),
    });
  });

  it('copies with POST (409 when the name exists), PUT (replaces) and PATCH (skips existing, answers [])', async () => {
    emu.state.grant(TOKEN, ['owner', 'dest']);
    const copy = (method: string, body: unknown): Promise<Response> =>
      fetch(`${emu.url}/copy/package/owner/pkg/1/${encodeURIComponent('noarch/pkg-1-0.conda')}`, {
        method,
        headers: auth,
        body: JSON.stringify(body),
      });
    const first = await copy('POST', { to_owner: 'dest', from_channel: 'main', to_channel: 'rc' });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject([{ owner: 'dest', basename: 'noarch/pkg-1-0.conda', labels: ['rc'] }]);
    expect((await copy('POST', { to_owner: 'dest', from_channel: 'main', to_channel: 'rc' })).status).toBe(409);
    expect(await (await copy('PATCH', { to_owner: 'dest', from_channel: 'main', to_channel: 'main' })).json()).toEqual(
      [],
    );
    expect((await copy('PUT', { to_owner: 'dest', from_channel: 'main', to_channel: 'main' })).status).toBe(200);
    expect(await (await fetch(distOf('dest'))).json()).toMatchObject({ labels: ['main'] });
    expect((await copy('POST', { to_owner: 'dest', from_channel: 'nolabel', to_channel: 'main' })).status).toBe(404);
    // to_owner null: the caller (this token's first owner, where the file already is).
    expect((await copy('POST', { to_owner: null, from_channel: 'main', to_channel: 'main' })).status).toBe(409);
  });

  it('refuses an owner-wide label change (all-null scope) loudly instead of touching every file', async () => {
    const all = JSON.stringify({ package: null, version: null, basename: null });
    expect((await fetch(`${emu.url}/channels/owner/main`, { method: 'DELETE', headers: auth, body: all })).status).toBe(
      400,
    );
    expect(await (await fetch(distOf('owner'))).json()).toMatchObject({ labels: ['main'] });
  });

  it('injects 500/503/429 (429 with Retry-After) at the configured rate, counts requests per route, and drops connections', async () => {
    emu.faults = { ...emu.faults, errorRate: 1 };
    const seen = new Set<number>();
    const before = emu.byRoute.get('GET /dist') ?? 0;
    try {
      for (let i = 0; i < 30; i++) {
        const r = await fetch(distOf('owner'));
        seen.add(r.status);
        if (r.status === 429) expect(r.headers.get('retry-after')).toBe('0');
      }
    } finally {
      emu.faults = { ...emu.faults, errorRate: 0 };
    }
    expect([...seen].sort()).toEqual([429, 500, 503]);
    expect((emu.byRoute.get('GET /dist') ?? 0) - before).toBe(30);
    emu.faults = { ...emu.faults, dropRate: 1 };
    try {
      await expect(fetch(distOf('owner'))).rejects.toThrow();
    } finally {
      emu.faults = { ...emu.faults, dropRate: 0 };
    }
  });
});

describe('retry backoff', () => {
  it('honours Retry-After in seconds or as an HTTP date, else backs off exponentially with jitter', () => {
    expect(backoffMs(1, '2')).toBe(2000);
    expect(backoffMs(1, new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(backoffMs(3, undefined, () => 1)).toBe(1600);
    expect(backoffMs(3, undefined, () => 0)).toBe(0);
    expect(backoffMs(30, undefined, () => 1)).toBe(10_000);
  });

  it('retries only a RetryableFailure, at most the given number of tries, and rethrows anything else at once', async () => {
    let tries = 0;
    expect(
      await retrying(async (n) => {
        tries++;
        if (n < 2) throw new RetryableFailure('not yet', '0');
        return 'ok';
      }, 3),
    ).toBe('ok');
    expect(tries).toBe(3);
    tries = 0;
    await expect(
      retrying(async () => {
        tries++;
        throw new RetryableFailure('never', '0');
      }, 2),
    ).rejects.toThrow('never');
    expect(tries).toBe(2);
    tries = 0;
    await expect(
      retrying(async () => {
        tries++;
        throw new TypeError('a bug');
      }, 5),
    ).rejects.toThrow(TypeError);
    expect(tries).toBe(1);
  });
});
