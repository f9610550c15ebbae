/**
 * File-system metadata calls made synchronously behind the port's promises.
 *
 * On a local disk, stat, lstat, realpath, readlink and opening a file to read
 * each take 1-5 µs as system calls, while their asynchronous forms on every
 * runtime are trips through a thread pool that cost 30-70 µs of latency
 * each; a download makes about ten of them before its first byte (4 KiB
 * files on Bun: 0.91 ms per file asynchronously, 0.45 ms synchronously).
 * File data is still read and written asynchronously, and calls that change
 * the file system stay asynchronous. The price: on a slow network file
 * system, a metadata call holds up every session of the process while it
 * runs, as in pyftpdlib.
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
