/**
 * The read loop of a file download, shared by the adapters.
 *
 * @module
 */

/** Largest read of a download: big reads mean few calls per byte. A 1 GiB
 * download on loopback, MiB/s, with 256 KiB → 1 MiB reads: Bun 2530 → 3480,
 * Node 2360 → 2940, Deno 2320 → 2800. The buffer is held only while its
 * download runs. */
const READ_CHUNK = 1024 * 1024;

/**
 * Reads `readInto` calls for: up to `buffer.length` bytes into `buffer`, at
 * byte `position` of the file (readers that keep their own position may
 * ignore it); resolves with the count, 0 at the end of the file.
 *
 * @example
 * ```ts
 * import type { ReadInto } from "./_file_reader.ts";
 * import { read } from "node:fs";
 * declare const fd: number;
 * const readInto: ReadInto = (buffer, position) =>
 *   new Promise((resolve, reject) =>
 *     read(fd, buffer, 0, buffer.length, position, (error, count) => error ? reject(error) : resolve(count))
 *   );
 * ```
 */
export type ReadInto = (buffer: Uint8Array, position: number) => Promise<number>;

/**
 * Successive chunks of a regular file of `size` bytes (as fstat told it),
 * from `offset`, then `null`. The buffer is reused, so each chunk is valid
 * until the next call. It holds up to 1 MiB, or the rest of the file plus
 * one byte when that is smaller: a small download then neither allocates and
 * zeroes 1 MiB (which costs more than reading 4 KiB) nor needs a second
 * read to see the end, since a read that comes back short once the known
 * size is reached is at the end (a file that grows meanwhile is still read
 * to its end, in more reads).
 *
 * @example
 * ```ts
 * import { fileChunks, type ReadInto } from "./_file_reader.ts";
 * declare const readInto: ReadInto;
 * const next = fileChunks(4096, 0, readInto);
 * for (let chunk = await next(); chunk; chunk = await next()) console.log(chunk.length);
 * ```
 */
export function fileChunks(size: number, offset: number, readInto: ReadInto): () => Promise<Uint8Array | null> {
  const buffer = new Uint8Array(Math.max(1, Math.min(READ_CHUNK, size - offset + 1)));
  let position = offset;
  let ended = false;
  return async () => {
    if (ended) return null;
    const count = await readInto(buffer, position);
    position += count;
    ended = count === 0 || (count < buffer.length && position >= size);
    return count === 0 ? null : buffer.subarray(0, count);
  };
}
