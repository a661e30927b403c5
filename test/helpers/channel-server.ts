// A static file server on 127.0.0.1 for a channel folder, so a real conda solver can read it over HTTP.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface ServeOptions {
  /** Paths (relative, e.g. `linux-64/repodata.json`) answered 404 as if absent: proves which form a client reads. */
  hide?: (path: string) => boolean;
}

export async function serveDirectory(
  root: string,
  opts: ServeOptions = {},
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void answer(req, res);
  });
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(root, path);
    requests.push(`${req.method} ${path}`);
    const hidden = opts.hide?.(path.replace(/^\/+/, '')) ?? false;
    const st = path.includes('..') || hidden ? null : await stat(file).catch(() => null);
    if (st === null || !st.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-length': st.size,
      'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
