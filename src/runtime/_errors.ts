/**
 * Errors the adapters raise themselves, with the POSIX `code` the port
 * promises.
 *
 * @module
 */

/** An `Error` carrying a POSIX error name.
 *
 * @example
 * ```ts
 * import type { CodedError } from "./_errors.ts";
 * function codeOf(error: CodedError): string {
 *   return error.code;
 * }
 * ```
 */
export interface CodedError extends Error {
  /** The POSIX name, such as `ENOENT`. */
  readonly code: string;
}

/**
 * Creates an `Error` whose `code` is `code`, like the runtimes' own system
 * errors.
 *
 * @example
 * ```ts
 * import { codedError } from "./_errors.ts";
 * throw codedError("ENOTDIR", "not a directory: /srv/file.txt");
 * ```
 */
export function codedError(code: string, message: string): CodedError {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * The error for a write on a connection that was already closed, or that
 * was closed while the write was pending: `EPIPE`, as `write(2)` reports it.
 *
 * @example
 * ```ts
 * import { connectionClosedError } from "./_errors.ts";
 * console.log(connectionClosedError().code); // "EPIPE"
 * ```
 */
export function connectionClosedError(): CodedError {
  return codedError("EPIPE", "the connection is closed");
}
