/**
 * The buffer a file download reads into.
 *
 * @module
 */

/** Largest read of a download: big reads mean few calls per byte. */
const READ_CHUNK = 256 * 1024;

/**
 * A buffer for reading the file of `size` bytes from `offset`: 256 KiB, or
 * just the rest of the file when that is smaller, so a small download does
 * not allocate and zero 256 KiB (which costs more than reading 4 KiB). A file
 * that grows meanwhile is still read to its end, in more reads.
 *
 * @example
 * ```ts
 * import { readBuffer } from "./_read_buffer.ts";
 * readBuffer(4096, 0).length; // 4096
 * readBuffer(2 ** 30, 0).length; // 262144
 * ```
 */
export function readBuffer(size: number, offset: number): Uint8Array {
  return new Uint8Array(Math.max(1, Math.min(READ_CHUNK, size - offset)));
}
