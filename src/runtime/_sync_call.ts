/**
 * File-system calls made synchronously behind the port's promises.
 *
 * On a local disk, stat, lstat, realpath, readlink and opening a file to read
 * each take 1-5 µs as system calls, while their asynchronous forms on every
 * runtime are trips through a thread pool that cost 30-70 µs of latency
 * each; a download makes about ten of them before its first byte (4 KiB
 * files on Bun: 0.91 ms per file asynchronously, 0.45 ms synchronously).
 * File data is read and written synchronously too: a received chunk is
 * still in this core's cache when the kernel copies it into the page cache,
 * where a pool thread on the other core fetches it from memory (1 GiB
 * uploads on Bun: half the server CPU, Deno 1.1 → 1.9 GiB/s; downloads with
 * one thread less competing for two cores: Node 1.65 → 2.1 GiB/s). Calls
 * that change the file system (open for writing, mkdir, rename, delete)
 * stay asynchronous. The price: on a slow network file system, a call holds
 * up every session of the process while it runs, as in pyftpdlib.
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
