// A stateful anaconda.org over node:http on 127.0.0.1, faithful to docs/anaconda-api.md, with fault
// injection (faults.ts), a request hook, and byte swaps between two requests (the time-of-check/time-of-use attack).
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector, type Faults } from './faults.js';
import { EmulatorState, anacondaNow, type EFile } from './state.js';

export type { Faults } from './faults.js';

/** Answer a request yourself (return true) or let the emulator do it (false). Runs after latency, before faults. */
export type RequestHook = (req: IncomingMessage, res: ServerResponse, route: string) => boolean | Promise<boolean>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class AnacondaEmulator {
  readonly state = new EmulatorState();
  readonly faultInjector = new FaultInjector();
  onRequest: RequestHook | null = null;
  requests = 0;
  byRoute = new Map<string, number>();
  /** Requests that arrived at a blob URL with an Authorization header (must stay 0). */
  leakedAuthorization = 0;
  #swaps = new Map<string, Buffer>();
  #staged = new Map<
    string,
    { owner: string; package: string; version: string; basename: string; body: Record<string, unknown>; bytes?: Buffer }
  >();
  #server: Server | null = null;
  url = '';

  /** The fault knobs; assign a new object or change fields, at any time. */
  get faults(): Faults {
    return this.faultInjector.faults;
  }

  set faults(f: Faults) {
    this.faultInjector.faults = f;
  }

  get injected(): FaultInjector['injected'] {
    return this.faultInjector.injected;
  }

  /**
   * The next copy FROM this file (`owner/package/version/basename`) first swaps its bytes, as an attacker holding
   * the shared staging token would by re-uploading between forgegate's listing (check) and its copy (use).
   */
  swapOnNextCopy(fullName: string, bytes: Buffer): void {
    this.#swaps.set(fullName, bytes);
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/__stats') {
      // For the benchmark, which runs the emulator in another process; not part of the API and not counted.
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          requests: this.requests,
          byRoute: Object.fromEntries(this.byRoute),
          leakedAuthorization: this.leakedAuthorization,
        }),
      );
    }
    this.requests++;
    const raw = (req.url ?? '/').split('?')[0]!;
    const parts = raw.split('/').slice(1);
    const route = `${req.method} /${parts[0] ?? ''}${parts[0] === 'copy' ? '/package' : ''}`;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
    const body = await readBody(req);
    await this.faultInjector.delay();
    if (this.onRequest && (await this.onRequest(req, res, route))) return;
    if (this.faultInjector.interfere(req, res)) return;
    try {
      await this.#route(req, res, parts, body);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (e as Error).message }));
    }
  }

  #token(req: IncomingMessage): string | null {
    const h = req.headers['authorization'];
    return typeof h === 'string' && h.startsWith('token ') ? h.slice(6) : null;
  }

  #mustWrite(req: IncomingMessage, owner: string): void {
    const token = this.#token(req);
    if (token === null) throw new HttpError(401, 'Authorization header was not given');
    if (!this.state.canWrite(token, owner))
      throw new HttpError(401, `User has not enough permissions to write to "${owner}"`);
  }

  /** owner/package/version then the rest of the path, percent-decoded, as ONE basename. */
  #ref(parts: string[], from: number): { owner: string; package: string; version: string; basename: string } {
    const [owner, pkg, version] = parts.slice(from, from + 3).map(decodeURIComponent);
    const basename = decodeURIComponent(parts.slice(from + 3).join('/'));
    if (!owner || !pkg || !version || !basename) throw new HttpError(404, 'not found');
    return { owner, package: pkg, version, basename };
  }

  #file(ref: { owner: string; package: string; version: string; basename: string }): EFile {
    const f = this.state.file(ref.owner, ref.package, ref.version, ref.basename);
    if (!f) throw new HttpError(404, `"${ref.basename}" could not be found`);
    return f;
  }

  async #route(req: IncomingMessage, res: ServerResponse, parts: string[], body: Buffer): Promise<void> {
    const send = (status: number, data: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    const json = (): Record<string, unknown> =>
      body.length ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
    const m = req.method;
    const [head] = parts;
    const owner = decodeURIComponent((parts[1] === 'label' ? head : parts[1]) ?? '');

    if (parts.length === 1 && head === '' && m === 'HEAD') return void res.writeHead(200).end();
    if (m === 'GET' && parts.length === 5 && parts[1] === 'label' && parts[4] === 'repodata.json') {
      // conda.anaconda.org/<owner>/label/<label>/<subdir>/repodata.json: the label's conda files of one subdir.
      const [label, subdir] = [decodeURIComponent(parts[2]!), decodeURIComponent(parts[3]!)];
      const repodata = this.state.repodata(owner, label, subdir);
      if (repodata === null) throw new HttpError(404, 'not found');
      return send(200, repodata);
    }
    if (head === 'user' && parts.length === 2 && m === 'GET') {
      const type = this.state.owners.get(owner);
      if (!type) throw new HttpError(404, `"${owner}" could not be found`);
      return send(200, { login: owner, name: owner, user_type: type, created_at: anacondaNow(0) });
    }
    if (head === 'user' && m === 'GET') {
      const token = this.#token(req);
      if (token === null || !this.state.tokens.has(token))
        throw new HttpError(401, 'Authorization header was not given');
      return send(200, { login: [...this.state.tokens.get(token)!][0], user_type: 'user', created_at: anacondaNow(0) });
    }
    if (head === 'channels' && parts.length === 2 && m === 'GET') {
      const labels: Record<string, { count: number; is_locked: boolean }> = {};
      for (const f of this.state.filesOf(owner))
        for (const l of f.labels) labels[l] = { count: (labels[l]?.count ?? 0) + 1, is_locked: false };
      return send(200, labels);
    }
    if (head === 'channels' && parts.length === 3) {
      const label = decodeURIComponent(parts[2]!);
      if (m === 'GET')
        return send(200, {
          is_locked: false,
          files: this.state
            .filesOf(owner)
            .filter((f) => f.labels.includes(label))
            .map((f) => this.state.json(f)),
        });
      this.#mustWrite(req, owner);
      const b = json();
      if (b['package'] == null && b['version'] == null && b['basename'] == null)
        throw new HttpError(400, 'emulator refuses owner-wide label changes');
      const f = this.#file({
        owner,
        package: String(b['package']),
        version: String(b['version']),
        basename: String(b['basename']),
      });
      if (m === 'POST' && !f.labels.includes(label)) f.labels.push(label);
      if (m === 'DELETE') f.labels = f.labels.filter((l) => l !== label);
      return send(201, {});
    }
    if (head === 'packages' && m === 'GET') {
      return send(
        200,
        [...this.state.packages.values()]
          .filter((p) => p.owner === owner)
          .map((p) => ({
            name: p.name,
            full_name: `${p.owner}/${p.name}`,
            package_types: p.packageTypes,
            public: true,
          })),
      );
    }
    if (head === 'package' && parts.length === 3) {
      const name = decodeURIComponent(parts[2]!);
      if (m === 'GET') {
        const p = this.state.pkg(owner, name);
        if (!p) throw new HttpError(404, `"${name}" could not be found`);
        return send(200, {
          name,
          package_types: p.packageTypes,
          files: [...p.releases.values()].flatMap((r) => [...r.values()]).map((f) => this.state.json(f)),
        });
      }
      this.#mustWrite(req, owner);
      if (m === 'POST') {
        this.state.pkg(
          owner,
          name,
          true,
          (json()['public_attrs'] as { package_types?: string[] } | undefined)?.package_types?.[0] ?? 'conda',
        );
        return send(200, {});
      }
      if (m === 'DELETE') {
        if (!this.state.packages.delete(`${owner}/${name}`)) throw new HttpError(404, `"${name}" could not be found`);
        return send(201, {});
      }
    }
    if (head === 'release' && parts.length === 4) {
      const [name, version] = [decodeURIComponent(parts[2]!), decodeURIComponent(parts[3]!)];
      const p = this.state.pkg(owner, name);
      if (m === 'GET') {
        const r = p?.releases.get(version);
        if (!r) throw new HttpError(404, `release version='${version}' does not exist`);
        return send(200, { distributions: [...r.values()].map((f) => this.state.json(f)) });
      }
      this.#mustWrite(req, owner);
      if (!p) throw new HttpError(404, `"${name}" could not be found`);
      if (m === 'POST') {
        if (!p.releases.has(version)) p.releases.set(version, new Map());
        return send(200, {});
      }
      if (m === 'DELETE') {
        if (!p.releases.delete(version)) throw new HttpError(404, `release version='${version}' does not exist`);
        return send(201, {});
      }
    }
    if (head === 'dist') {
      const ref = this.#ref(parts, 1);
      if (m === 'GET') return send(200, this.state.json(this.#file(ref)));
      if (m === 'DELETE') {
        this.#mustWrite(req, ref.owner);
        this.state.removeFile(this.#file(ref));
        return send(200, {});
      }
    }
    if (head === 'download' && m === 'GET') {
      const f = this.#file(this.#ref(parts, 1));
      res.writeHead(302, { location: `${this.url}/blob/${f.blob}` });
      return void res.end();
    }
    if (head === 'blob' && m === 'GET') {
      if (req.headers['authorization'] !== undefined) {
        this.leakedAuthorization++;
        throw new HttpError(400, 'Only one auth mechanism allowed');
      }
      const bytes = this.state.blobs.get(parts[1] ?? '');
      if (!bytes) throw new HttpError(404, 'NoSuchKey');
      return this.faultInjector.sendBlob(req, res, bytes);
    }
    if (head === 'stage' && m === 'POST') {
      const ref = this.#ref(parts, 1);
      this.#mustWrite(req, ref.owner);
      if (!this.state.pkg(ref.owner, ref.package)?.releases.has(ref.version))
        throw new HttpError(404, `release version='${ref.version}' does not exist`);
      if (this.state.file(ref.owner, ref.package, ref.version, ref.basename))
        throw new HttpError(409, 'file already exists');
      const distId = randomUUID();
      this.#staged.set(distId, { ...ref, body: json() });
      return send(200, {
        post_url: `${this.url}/s3`,
        form_data: { key: `uploads/${distId}`, policy: 'opaque' },
        dist_id: distId,
      });
    }
    if (head === 's3' && m === 'POST') {
      const form = parseMultipart(body, req.headers['content-type'] ?? '');
      const id = (form.get('key')?.toString() ?? '').replace('uploads/', '');
      const staged = this.#staged.get(id);
      const file = form.get('file');
      if (!staged || !file) throw new HttpError(400, '<Error><Code>InvalidRequest</Code></Error>');
      if (createHash('md5').update(file).digest('base64') !== form.get('Content-MD5')?.toString())
        throw new HttpError(400, '<Error><Code>InvalidDigest</Code></Error>');
      staged.bytes = file;
      res.writeHead(201);
      return void res.end();
    }
    if (head === 'commit' && m === 'POST') {
      const ref = this.#ref(parts, 1);
      this.#mustWrite(req, ref.owner);
      const staged = this.#staged.get(String(json()['dist_id']));
      if (!staged?.bytes) throw new HttpError(400, 'nothing staged');
      this.#staged.delete(String(json()['dist_id']));
      const b = staged.body;
      const labels = Array.isArray(b['channels']) && b['channels'].length > 0 ? (b['channels'] as string[]) : ['main'];
      const sha256 = typeof b['sha256'] === 'string' ? b['sha256'] : undefined;
      this.state.addFile({
        ...ref,
        type: b['distribution_type'] === 'file' ? 'file' : 'conda',
        labels,
        attrs: (b['attrs'] as Record<string, unknown> | undefined) ?? {},
        bytes: staged.bytes,
        ...(sha256 ? { sha256 } : {}),
      });
      return send(200, { url: `${this.url}/${ref.owner}/${ref.package}` });
    }
    if (head === 'copy' && parts[1] === 'package' && ['POST', 'PUT', 'PATCH'].includes(m ?? '')) {
      const ref = this.#ref(parts, 2);
      const b = json();
      // `to_owner: null` means the caller.
      const toOwner =
        typeof b['to_owner'] === 'string'
          ? b['to_owner']
          : ([...(this.state.tokens.get(this.#token(req) ?? '') ?? [])][0] ?? '');
      this.#mustWrite(req, toOwner);
      const swap = this.#swaps.get(`${ref.owner}/${ref.package}/${ref.version}/${ref.basename}`);
      if (swap) {
        this.#swaps.delete(`${ref.owner}/${ref.package}/${ref.version}/${ref.basename}`);
        Object.assign(this.#file(ref), this.state.putBlob(swap));
      }
      const src = this.#file(ref);
      const fromLabel = typeof b['from_channel'] === 'string' ? b['from_channel'] : 'main';
      if (!src.labels.includes(fromLabel)) throw new HttpError(404, `file not found under label ${fromLabel}`);
      const existing = this.state.file(toOwner, ref.package, ref.version, ref.basename);
      if (existing && m === 'POST')
        throw new HttpError(409, 'File conflict while copying! Try to use --replace or --update');
      if (existing && m === 'PATCH') return send(200, []);
      if (existing) this.state.removeFile(existing);
      // The copy is a new record over the same stored object: md5/size follow the bytes, sha256 the source record.
      const copy = this.state.addFile({
        owner: toOwner,
        package: ref.package,
        version: ref.version,
        basename: ref.basename,
        type: src.type,
        labels: [typeof b['to_channel'] === 'string' ? b['to_channel'] : 'main'],
        attrs: src.attrs,
        bytes: this.state.blobs.get(src.blob)!,
        sha256: src.sha256,
      });
      return send(200, [this.state.json(copy)]);
    }
    throw new HttpError(404, `no route ${m} /${parts.join('/')}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

/** Just enough multipart/form-data to read an S3 POST: name → bytes. */
function parseMultipart(body: Buffer, contentType: string): Map<string, Buffer> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const out = new Map<string, Buffer>();
  if (!boundary) return out;
  const sep = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(sep);
  while (at >= 0) {
    const next = body.indexOf(sep, at + sep.length);
    if (next < 0) break;
    const part = body.subarray(at + sep.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString();
    const name = /name="([^"]+)"/.exec(head)?.[1];
    if (name) out.set(name, part.subarray(split + 4));
    at = next;
  }
  return out;
}
