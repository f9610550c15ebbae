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
  /** Bytes pushed and not yet read. */
  readonly queuedBytes: number;
}

const DEFAULT_HIGH_WATER_MARK = 256 * 1024;

/**
 * Creates a {@link PullQueue} for one source. A class rather than closures:
 * every connection has one, and an idle server's memory is mostly its
 * connections' (eight closures and their scope cost about 0.5 KiB each).
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
  return new ChunkQueue(options);
}

class ChunkQueue implements PullQueue {
  readonly #source: PullQueueOptions;
  readonly #highWaterMark: number;
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #ended = false;
  #failure: Error | undefined;
  #waiter: PromiseWithResolvers<Uint8Array | null> | undefined;

  constructor(source: PullQueueOptions) {
    this.#source = source;
    this.#highWaterMark = source.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    if (this.#failure) {
      const error = this.#failure;
      this.#failure = undefined;
      waiter.reject(error);
    } else {
      waiter.resolve(null);
    }
  }

  #finish(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = error;
    // A waiter only exists while the queue is empty, so it can settle now.
    this.#settleWaiter();
  }

  push(chunk: Uint8Array): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (!this.#paused && this.#queued >= this.#highWaterMark) {
      this.#paused = true;
      this.#source.pause();
    }
  }

  end(): void {
    this.#finish();
  }

  fail(error: Error): void {
    this.#finish(error);
  }

  close(): void {
    this.#chunks.length = 0;
    this.#queued = 0;
    this.#ended = true;
    this.#failure = undefined;
    this.#settleWaiter();
  }

  takeQueued(): Uint8Array[] {
    const taken = this.#chunks.splice(0);
    this.#queued = 0;
    this.#ended = true;
    this.#settleWaiter();
    return taken;
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#queued -= chunk.length;
      // Resuming only once the queue is empty keeps pause/resume calls to one
      // pair per high-water mark of data.
      if (this.#paused && this.#queued === 0 && !this.#ended) {
        this.#paused = false;
        this.#source.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#ended) {
      if (!this.#failure) return Promise.resolve(null);
      const error = this.#failure;
      this.#failure = undefined;
      return Promise.reject(error);
    }
    if (this.#waiter) {
      return Promise.reject(new Error("read() is already pending"));
    }
    if (this.#paused) {
      this.#paused = false;
      this.#source.resume();
    }
    this.#waiter = Promise.withResolvers();
    return this.#waiter.promise;
  }
}
