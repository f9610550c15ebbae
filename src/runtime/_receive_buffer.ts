/**
 * Receive buffers that grow with the traffic, shared by the adapters that
 * read into buffers of their own (Deno's native sockets, Node's `onread`).
 *
 * @module
 */

/** A connection's first receive buffer: small, as control connections carry
 * little and an idle session should hold little memory (a pending read pins
 * its buffer). A download's data connection only ever reads its end. */
export const FIRST_RECEIVE_BUFFER = 1024;
/** Where a control connection's buffer stops growing. */
export const MAX_RECEIVE_BUFFER = 256 * 1024;
/** Where a data connection's buffer stops growing: uploads are received and
 * written out 1 MiB at a time. 1 GiB STOR, against 256 KiB: Deno about
 * 2000 -> 3100 MiB/s; raw TCP into a file through Node's `onread` 1530 ->
 * 2150 (README, "Benchmark"). */
export const MAX_BULK_RECEIVE_BUFFER = 1024 * 1024;

/**
 * The buffer for the next read after one that took `received` bytes into
 * `buffer`: four times bigger while reads fill it, up to `max`. A chunk of
 * the old buffer stays valid, as only the next read uses the new one.
 *
 * @example
 * ```ts
 * import { FIRST_RECEIVE_BUFFER, MAX_RECEIVE_BUFFER, nextReceiveBuffer } from "./_receive_buffer.ts";
 * const first = new Uint8Array(FIRST_RECEIVE_BUFFER);
 * console.log(nextReceiveBuffer(first, first.length, MAX_RECEIVE_BUFFER).length); // 4096
 * console.log(nextReceiveBuffer(first, 10, MAX_RECEIVE_BUFFER) === first); // true
 * ```
 */
export function nextReceiveBuffer(buffer: Uint8Array, received: number, max: number): Uint8Array {
  if (received < buffer.length || buffer.length >= max) return buffer;
  return new Uint8Array(Math.min(buffer.length * 4, max));
}
