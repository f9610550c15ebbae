/**
 * File-system calls made synchronously behind the port's promises.
 *
 * On a local disk, stat, lstat, realpath, readlink and opening a file to read
 * each take 1-5 µs as system calls, while their asynchronous forms on every
 * runtime are trips through a thread pool that cost 30-70 µs of latency
 * each; a download makes about ten of them before its first byte (4 KiB
 * files on Bun: 0.91 ms per file asynchronously, 0.45 ms synchronously).
 * File data is read and written synchronously too ({@link adaptiveCall}):
 * a received chunk is still in this core's cache when the kernel copies it
 * into the page cache, where a pool thread on the other core fetches it from
 * memory (1 GiB uploads on Bun: half the server CPU, Deno 1.1 → 1.9 GiB/s;
 * downloads with one thread less competing for two cores: Node 1.65 → 2.1
 * GiB/s). A transfer whose reads or writes take longer than
 * {@link SLOW_CALL_MS} {@link SLOW_CALLS_IN_A_ROW} times in a row (a file
 * not in the page cache, a network file system) goes on through the pool.
 * Calls that change the file system (open for writing, mkdir, rename,
 * delete) stay asynchronous. The price: on a slow network file system, a
 * metadata call holds up every session of the process while it runs, as in
 * pyftpdlib.
 *
 * @module
 */

/**
 * The result of `call`, or its error passed through `mapError`, as a settled
 * promise: callers see the same asynchronous port either way.
 *
 * @example
 * ```ts
 * import { syncCall } from "./_sync_call.ts";
 * import { statSync } from "node:fs";
 * const size = (await syncCall(() => statSync("/"))).size;
 * ```
 */
export function syncCall<T>(call: () => T, mapError: (error: unknown) => unknown = (error) => error): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(mapError(error));
  }
}

/** A data call that takes longer than this, in milliseconds, has held up
 * every other session for that long. A page-cache copy of 1 MiB takes about
 * 0.3.
 *
 * @example
 * ```ts
 * import { SLOW_CALL_MS } from "./_sync_call.ts";
 * console.log(SLOW_CALL_MS); // 2
 * ```
 */
export const SLOW_CALL_MS = 2;

/** Slow calls in a row after which a transfer's later calls go through the
 * runtime's thread pool. One is not enough: while the kernel writes back
 * gigabytes, single page-cache writes take 2-9 ms now and then (seen on
 * Node in the comparison run), and through the pool Node's 64 KiB chunks
 * uploaded at a third of the rate. A slow disk is slow at every call.
 *
 * @example
 * ```ts
 * import { SLOW_CALLS_IN_A_ROW } from "./_sync_call.ts";
 * console.log(SLOW_CALLS_IN_A_ROW); // 3
 * ```
 */
export const SLOW_CALLS_IN_A_ROW = 3;

/** The two forms of one file call, for {@link adaptiveCall}.
 *
 * @example
 * ```ts
 * import type { CallForms } from "./_sync_call.ts";
 * import { read, readSync } from "node:fs";
 * declare const fd: number;
 * const forms: CallForms<[Uint8Array], number> = {
 *   sync: (buffer) => readSync(fd, buffer),
 *   pooled: (buffer) =>
 *     new Promise((resolve, reject) => read(fd, buffer, (error, count) => error ? reject(error) : resolve(count))),
 * };
 * ```
 */
export interface CallForms<A extends unknown[], R> {
  readonly sync: (...args: A) => R;
  /** The same call through the runtime's thread pool. */
  readonly pooled: (...args: A) => Promise<R>;
  /** Maps an error of either form (default: unchanged). */
  readonly mapError?: (error: unknown) => unknown;
  /** Milliseconds from some fixed point (default `performance.now`). */
  readonly now?: () => number;
}

/**
 * One transfer's reads or writes: synchronous until
 * {@link SLOW_CALLS_IN_A_ROW} calls in a row took longer than
 * {@link SLOW_CALL_MS} each, through the thread pool from then on.
 *
 * @example
 * ```ts
 * import { adaptiveCall } from "./_sync_call.ts";
 * import { read, readSync } from "node:fs";
 * declare const fd: number;
 * const readInto = adaptiveCall<[Uint8Array], number>({
 *   sync: (buffer) => readSync(fd, buffer),
 *   pooled: (buffer) =>
 *     new Promise((resolve, reject) => read(fd, buffer, (error, count) => error ? reject(error) : resolve(count))),
 * });
 * const count = await readInto(new Uint8Array(4096));
 * ```
 */
export function adaptiveCall<A extends unknown[], R>(forms: CallForms<A, R>): (...args: A) => Promise<R> {
  const { sync, pooled, mapError = (error: unknown) => error, now = () => performance.now() } = forms;
  let slowInARow = 0;
  return (...args) => {
    if (slowInARow >= SLOW_CALLS_IN_A_ROW) {
      return pooled(...args).catch((error) => {
        throw mapError(error);
      });
    }
    const started = now();
    const result = syncCall(() => sync(...args), mapError);
    slowInARow = now() - started > SLOW_CALL_MS ? slowInARow + 1 : 0;
    return result;
  };
}
