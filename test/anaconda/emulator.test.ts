// The emulator itself: the contract's status codes, and its fault knobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/anaconda/retry.js';
import { AnacondaEmulator } from '../emulator/server.js';
import { uploadLikeAnacondaClient } from '../emulator/upload.js';

const emu = new AnacondaEmulator();
const TOKEN = 'tok-emulator-test';
const auth = { authorization: `token ${TOKEN}`, 'content-type': 'application/json' };
beforeAll(async () => {
  await emu.start();
  emu.state.grant(TOKEN, ['owner']);
  await uploadLikeAnacondaClient(emu.url, TOKEN, { owner: 'owner', package: 'pkg', version: '1', basename: 'noarch/pkg-1-0.conda', type: 'conda', labels: [], bytes: Buffer.alloc(50_000, 1) });
});
afterAll(() => emu.stop());

describe('anaconda.org emulator', () => {
  it('labels an upload with no label "main", and answers 201 where the contract says 201', async () => {
    const dist = `${emu.url}/dist/owner/pkg/1/${encodeURIComponent('noarch/pkg-1-0.conda')}`;
    expect(((await (await fetch(dist)).json()) as { labels: string[] }).labels).toEqual(['main']);
    const body = JSON.stringify({ package: 'pkg', version: '1', basename: 'noarch/pkg-1-0.conda' });
    expect((await fetch(`${emu.url}/channels/owner/broken`, { method: 'POST', headers: auth, body })).status).toBe(201);
    expect((await fetch(`${emu.url}/channels/owner/broken`, { method: 'DELETE', headers: auth, body })).status).toBe(201);
    expect((await fetch(`${emu.url}/release/owner/pkg/9`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(200);
    expect((await fetch(`${emu.url}/release/owner/pkg/9`, { method: 'DELETE', headers: auth })).status).toBe(201);
  });

  it('answers 401 without a token or without permission, with an error body', async () => {
    const none = await fetch(`${emu.url}/dist/owner/pkg/1/x`, { method: 'DELETE' });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'Authorization header was not given' });
    emu.state.grant('other', ['elsewhere']);
    expect((await fetch(`${emu.url}/package/owner/new`, { method: 'POST', headers: { authorization: 'token other' }, body: '{}' })).status).toBe(401);
  });

  it('refuses a download at the blob store when the request carries Authorization', async () => {
    const redirect = await fetch(`${emu.url}/download/owner/pkg/1/${encodeURIComponent('noarch/pkg-1-0.conda')}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect((await fetch(location, { headers: { authorization: 'token x' } })).status).toBe(400);
    expect((await fetch(location)).status).toBe(200);
  });

  it('caps download bandwidth', async () => {
    emu.faults = { ...emu.faults, bandwidthBps: 100_000 };
    try {
      const redirect = await fetch(`${emu.url}/download/owner/pkg/1/${encodeURIComponent('noarch/pkg-1-0.conda')}`, { redirect: 'manual' });
      const start = performance.now();
      await (await fetch(redirect.headers.get('location')!)).arrayBuffer();
      expect(performance.now() - start).toBeGreaterThan(350);
    } finally {
      emu.faults = { ...emu.faults, bandwidthBps: 0 };
    }
  });

  it('deletes a release with its last file, then the empty package', async () => {
    await uploadLikeAnacondaClient(emu.url, TOKEN, { owner: 'owner', package: 'lonely', version: '1', basename: 'noarch/lonely-1-0.conda', type: 'conda', labels: ['main'], bytes: Buffer.from('x') });
    expect((await fetch(`${emu.url}/dist/owner/lonely/1/${encodeURIComponent('noarch/lonely-1-0.conda')}`, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect((await fetch(`${emu.url}/package/owner/lonely`)).status).toBe(404);
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
});
