// Upload the way `anaconda upload --user OWNER --label L [--force]` does, over real HTTP (anaconda-api.md §4):
// HEAD / → GET /user/OWNER → GET /dist (exists: fail, or DELETE with force) → package → release → stage → S3
// multipart POST (Content-MD5, 201) → commit.
import { createHash } from 'node:crypto';

export interface UploadSpec {
  owner: string;
  package: string;
  version: string;
  basename: string;
  type: 'conda' | 'file';
  labels: string[];
  bytes: Buffer;
  attrs?: Record<string, unknown>;
  /** `--force`: replace an existing file of that name. */
  force?: boolean;
  /** The sha256 the stage request claims (anaconda.org records it as sent); default: the true one. */
  claimedSha256?: string;
}

export async function uploadLikeAnacondaClient(baseUrl: string, token: string, u: UploadSpec): Promise<void> {
  const auth = { authorization: `token ${token}`, 'content-type': 'application/json' };
  const enc = encodeURIComponent;
  const call = async (method: string, path: string, body?: unknown, ok = [200, 201]): Promise<Response> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: auth,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!ok.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  await call('HEAD', '/');
  await call('GET', `/user/${enc(u.owner)}`);
  const dist = `${enc(u.owner)}/${enc(u.package)}/${enc(u.version)}/${enc(u.basename)}`;
  if ((await call('GET', `/dist/${dist}`, undefined, [200, 404])).status === 200) {
    if (!u.force)
      throw new Error(
        `file ${u.basename} already exists for package ${u.package} version ${u.version} (409, client-side)`,
      );
    await call('DELETE', `/dist/${dist}`);
  }
  // A forced delete of a release's last file removes the release and maybe the package: check both afresh.
  if ((await call('GET', `/package/${enc(u.owner)}/${enc(u.package)}`, undefined, [200, 404])).status === 404) {
    await call('POST', `/package/${enc(u.owner)}/${enc(u.package)}`, {
      public: true,
      publish: false,
      public_attrs: { summary: '', package_types: [u.type] },
    });
  }
  if (
    (await call('GET', `/release/${enc(u.owner)}/${enc(u.package)}/${enc(u.version)}`, undefined, [200, 404]))
      .status === 404
  ) {
    await call('POST', `/release/${enc(u.owner)}/${enc(u.package)}/${enc(u.version)}`, {
      requirements: [],
      announce: null,
      description: null,
    });
  }
  const staged = (await (
    await call('POST', `/stage/${dist}`, {
      distribution_type: u.type,
      description: null,
      attrs: u.attrs ?? {},
      dependencies: null,
      channels: u.labels,
      sha256: u.claimedSha256 ?? createHash('sha256').update(u.bytes).digest('hex'),
    })
  ).json()) as { post_url: string; form_data: Record<string, string>; dist_id: string };
  const form = new FormData();
  for (const [k, v] of Object.entries(staged.form_data)) form.append(k, v);
  form.append('Content-Length', String(u.bytes.length));
  form.append('Content-MD5', createHash('md5').update(u.bytes).digest('base64'));
  form.append('file', new Blob([u.bytes]), u.basename.split('/').pop());
  const s3 = await fetch(staged.post_url, { method: 'POST', body: form });
  if (s3.status !== 201) throw new Error(`S3 POST: ${s3.status} ${await s3.text()}`);
  await call('POST', `/commit/${dist}`, { dist_id: staged.dist_id });
}
