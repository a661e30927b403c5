// The emulator's fault injection, changeable at runtime: fixed latency, a bandwidth cap on blob downloads, a rate of
// 500/503/429 answers (429 with Retry-After), dropped connections, and blob bodies cut off halfway. Seeded, so a
// test's fault sequence is repeatable.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Faults {
  latencyMs: number;
  /** Bytes per second for blob downloads; 0 = unlimited. */
  bandwidthBps: number;
  /** Share of requests answered 500/503/429 (429 with Retry-After). */
  errorRate: number;
  /** Share of requests whose connection is destroyed without an answer. */
  dropRate: number;
  /** Share of blob downloads whose connection is destroyed halfway through the body (after a 200 and Content-Length). */
  truncateRate: number;
}

export const NO_FAULTS: Faults = { latencyMs: 0, bandwidthBps: 0, errorRate: 0, dropRate: 0, truncateRate: 0 };
/** Retry-After on injected 429s: zero, so fault-heavy tests stay fast (tests of the wait use their own hook). */
const INJECTED_RETRY_AFTER = '0';
const BANDWIDTH_TICK_MS = 50;

export class FaultInjector {
  faults: Faults = { ...NO_FAULTS };
  /** Faults actually injected so far (tests assert their fault runs really hit some). */
  readonly injected = { errors: 0, drops: 0, truncations: 0 };
  #seed = 1;

  /** mulberry32: 32-bit integer arithmetic, so the sequence is exact and repeatable. */
  #random(): number {
    this.#seed = (this.#seed + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#seed ^ (this.#seed >>> 15), 1 | this.#seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  #hit(rate: number): boolean {
    return rate > 0 && this.#random() < rate;
  }

  async delay(): Promise<void> {
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
  }

  /** At the configured rates, drop the connection or answer an error: true when the request is used up. */
  interfere(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#hit(this.faults.dropRate)) {
      this.injected.drops++;
      req.socket.destroy();
      return true;
    }
    if (this.#hit(this.faults.errorRate)) {
      this.injected.errors++;
      const status = [500, 503, 429][Math.floor(this.#random() * 3)]!;
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 429 ? { 'retry-after': INJECTED_RETRY_AFTER } : {}),
      });
      res.end(JSON.stringify({ error: 'injected fault' }));
      return true;
    }
    return false;
  }

  /** Send a blob under the bandwidth cap, or (at the truncate rate) half of it and then drop the connection. */
  async sendBlob(req: IncomingMessage, res: ServerResponse, bytes: Buffer): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    if (this.#hit(this.faults.truncateRate)) {
      this.injected.truncations++;
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      setTimeout(() => req.socket.destroy(), 10);
      return;
    }
    const bps = this.faults.bandwidthBps;
    if (bps <= 0) return void res.end(bytes);
    const chunk = Math.max(1024, Math.floor((bps * BANDWIDTH_TICK_MS) / 1000));
    for (let at = 0; at < bytes.length; at += chunk) {
      res.write(bytes.subarray(at, at + chunk));
      await new Promise((r) => setTimeout(r, BANDWIDTH_TICK_MS));
    }
    res.end();
  }
}
