/**
 * Turns a push source (a socket that emits chunks) into the pull-style
 * `read()` of the runtime port, with receive-side backpressure: once the
 * consumer falls behind by `highWaterMark` bytes the source is paused, and it
 * is resumed when the consumer has taken everything queued.
 *
 * @module
 */

/** What a pull queue needs from its source.
 *
 * @example
 * ```ts
 * import type { PullQueueOptions } from "./_pull_queue.ts";
 * const options: PullQueueOptions = {
 *   pause: () => console.log("stop reading"),
 *   resume: () => console.log("read again"),
 *   highWaterMark: 64 * 1024,
 * };
 * ```
 */
export interface PullQueueOptions {
  /** Stops the source from delivering more chunks. */
  readonly pause: () => void;
  /** Lets the source deliver chunks again. */
  readonly resume: () => void;
  /** Queued bytes at which the source is paused (default 256 KiB). */
  readonly highWaterMark?: number;
}

/** A bounded queue between a push source and one pulling consumer.
 *
 * @example
 * ```ts
 * import { createPullQueue } from "./_pull_queue.ts";
 * const queue = createPullQueue({ pause() {}, resume() {} });
 * queue.push(new Uint8Array([1, 2, 3]));
 * queue.end();
 * console.log(await queue.read()); // Uint8Array(3) [1, 2, 3]
 * console.log(await queue.read()); // null
 * ```
 */
export interface PullQueue {
  /** Hands over a chunk from the source; the queue keeps a reference to it. */
  push(chunk: Uint8Array): void;
  /** The source has finished: `read()` gives `null` once the queue is empty. */
  end(): void;
  /** The source failed: after the queued chunks, one `read()` rejects with
   * `error`, later ones give `null`. */
  fail(error: Error): void;
  /** Drops everything queued; pending and later reads give `null`. */
  close(): void;
  /** Ends the queue and hands back what it held, for a new owner of the
   * source (a TLS layer taking over a socket). */
  takeQueued(): Uint8Array[];
  /** The next chunk, or `null` at the end. At most one may be pending. */
  read(): Promise<Uint8Array | null>;
}

const DEFAULT_HIGH_WATER_MARK = 256 * 1024;

interface Waiter {
  readonly resolve: (chunk: Uint8Array | null) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Creates a {@link PullQueue} for one source.
 *
 * @example
 * ```ts
 * import { createPullQueue } from "./_pull_queue.ts";
 * const queue = createPullQueue({ pause() {}, resume() {} });
 * const next = queue.read();
 * queue.push(new TextEncoder().encode("hi"));
 * console.log(new TextDecoder().decode((await next)!)); // "hi"
 * ```
 */
export function createPullQueue(options: PullQueueOptions): PullQueue {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const chunks: Uint8Array[] = [];
  let queued = 0;
  let paused = false;
  let ended = false;
  let failure: Error | undefined;
  let waiter: Waiter | undefined;

  function settleWaiter(): void {
    if (!waiter) return;
    const { resolve, reject } = waiter;
    waiter = undefined;
    if (failure) {
      const error = failure;
      failure = undefined;
      reject(error);
    } else {
      resolve(null);
    }
  }

  function finish(error?: Error): void {
    if (ended) return;
    ended = true;
    failure = error;
    // A waiter only exists while the queue is empty, so it can settle now.
    settleWaiter();
  }

  return {
    push(chunk) {
      if (ended) return;
      if (waiter) {
        const { resolve } = waiter;
        waiter = undefined;
        resolve(chunk);
        return;
      }
      chunks.push(chunk);
      queued += chunk.length;
      if (!paused && queued >= highWaterMark) {
        paused = true;
        options.pause();
      }
    },
    end() {
      finish();
    },
    fail(error) {
      finish(error);
    },
    close() {
      chunks.length = 0;
      queued = 0;
      ended = true;
      failure = undefined;
      settleWaiter();
    },
    takeQueued() {
      const taken = chunks.splice(0);
      queued = 0;
      ended = true;
      settleWaiter();
      return taken;
    },
    read() {
      const chunk = chunks.shift();
      if (chunk) {
        queued -= chunk.length;
        // Resuming only once the queue is empty keeps pause/resume calls to one
        // pair per high-water mark of data.
        if (paused && queued === 0 && !ended) {
          paused = false;
          options.resume();
        }
        return Promise.resolve(chunk);
      }
      if (ended) {
        if (!failure) return Promise.resolve(null);
        const error = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (waiter) {
        return Promise.reject(new Error("read() is already pending"));
      }
      if (paused) {
        paused = false;
        options.resume();
      }
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
  };
}
