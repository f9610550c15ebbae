/**
 * Bandwidth limits on data connections: token buckets, and a connection
 * wrapper that spends from them. A transfer with no limit is not wrapped at
 * all, so throttling costs nothing when it is off.
 *
 * @module
 */

import type { Connection } from "./port.ts";

/** Bytes per second that the server reads (uploads) and writes (downloads);
 * 0 or absent means unlimited.
 *
 * @example
 * ```ts
 * import type { RateLimits } from "./throttle.ts";
 * const limits: RateLimits = { readLimit: 512 * 1024, writeLimit: 1024 * 1024 };
 * ```
 */
export interface RateLimits {
  /** Bytes per second received from clients (STOR, APPE). */
  readonly readLimit?: number;
  /** Bytes per second sent to clients (RETR, listings). */
  readonly writeLimit?: number;
}

/** Limits for each session and, shared by all sessions of one user, for
 * each user.
 *
 * @example
 * ```ts
 * import type { ThrottleOptions } from "./throttle.ts";
 * const throttle: ThrottleOptions = { writeLimit: 1024 * 1024, perUser: { writeLimit: 4 * 1024 * 1024 } };
 * ```
 */
export interface ThrottleOptions extends RateLimits {
  /** Limits shared by all sessions of the same user name. */
  readonly perUser?: RateLimits;
}

/** Smallest burst a bucket allows, so that slices stay worth a write. */
const MIN_BURST = 4096;
/** A bucket holds this fraction of a second's worth of bytes: small enough
 * that the flow is smooth (pauses of a tenth of a second, not seconds). */
const BURST_SECONDS = 0.1;

/**
 * A token bucket: `rate` bytes per second, bursts of a tenth of a second.
 * Taking more than is there puts the bucket in debt and tells how long to
 * wait until the debt is repaid, which is what keeps the average rate.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./throttle.ts";
 * const bucket = new TokenBucket(100_000);
 * bucket.take(50_000); // milliseconds to wait before going on
 * ```
 */
export class TokenBucket {
  /** Bytes per second. */
  readonly rate: number;
  /** Largest burst, in bytes. */
  readonly burst: number;
  #tokens: number;
  #refilledAt = Date.now();

  constructor(rate: number) {
    this.rate = rate;
    this.burst = Math.max(MIN_BURST, Math.floor(rate * BURST_SECONDS));
    this.#tokens = this.burst;
  }

  /** Spends `bytes`; returns the milliseconds to wait before spending more. */
  take(bytes: number): number {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#refilledAt) * this.rate) / 1000);
    this.#refilledAt = now;
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.rate);
  }
}

/** The buckets one data connection spends from, per direction.
 *
 * @example
 * ```ts
 * import { TokenBucket, type Buckets } from "./throttle.ts";
 * const buckets: Buckets = { read: [new TokenBucket(1e6)], write: [] };
 * ```
 */
export interface Buckets {
  readonly read: readonly TokenBucket[];
  readonly write: readonly TokenBucket[];
}

function spend(buckets: readonly TokenBucket[], bytes: number): number {
  let wait = 0;
  for (const bucket of buckets) wait = Math.max(wait, bucket.take(bytes));
  return wait;
}

/**
 * Wraps a data connection so that its reads and writes keep to `buckets`.
 * Writes are cut into slices no bigger than the smallest burst, each sent
 * when the buckets allow it. A read is handed over at once and the next one
 * waits for the buckets: meanwhile the socket is not read, so TCP slows the
 * sender down.
 *
 * @example
 * ```ts
 * import { throttleConnection, TokenBucket } from "./throttle.ts";
 * declare const conn: import("./port.ts").Connection;
 * const slow = throttleConnection(conn, { read: [], write: [new TokenBucket(64 * 1024)] });
 * await slow.write(new Uint8Array(256 * 1024)); // about four seconds
 * ```
 */
export function throttleConnection(conn: Connection, buckets: Buckets): Connection {
  const slice = Math.min(...buckets.write.map((bucket) => bucket.burst));
  let readDebtMs = 0;
  let closed = false;
  let wake: (() => void) | null = null;
  conn.closed.then(() => {
    closed = true;
    wake?.();
  });
  // Waits `ms`, or less if the connection closes meanwhile: an aborted
  // transfer must not sit out its throttle.
  const pause = (ms: number) => {
    if (ms <= 0 || closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  };
  return {
    localAddress: conn.localAddress,
    remoteAddress: conn.remoteAddress,
    closed: conn.closed,
    async read() {
      await pause(readDebtMs);
      const chunk = await conn.read();
      readDebtMs = chunk && buckets.read.length > 0 ? spend(buckets.read, chunk.length) : 0;
      return chunk;
    },
    async write(data) {
      if (buckets.write.length === 0) return await conn.write(data);
      for (let done = 0; done < data.length;) {
        const part = data.subarray(done, done + slice);
        await conn.write(part);
        done += part.length;
        await pause(spend(buckets.write, part.length));
      }
    },
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
    setNoDelay: (noDelay) => conn.setNoDelay(noDelay),
  };
}
