/**
 * The sink of an upload, shared by the adapters.
 *
 * @module
 */

import type { FileSink } from "../port.ts";
import { codedError } from "./_errors.ts";

/** Writes a leading part of `data` (write(2) may take less than all of it)
 * and resolves with its length.
 *
 * @example
 * ```ts
 * import type { WritePart } from "./_file_writer.ts";
 * import { writeSync } from "node:fs";
 * declare const fd: number;
 * const writePart: WritePart = (data) => Promise.resolve(writeSync(fd, data));
 * ```
 */
export type WritePart = (data: Uint8Array) => Promise<number>;

/**
 * A {@link FileSink} whose writes repeat `writePart` until all bytes are
 * taken, whose first `close()` calls `release` (closing the file), and
 * whose `receive` is `receive`, when given.
 *
 * @example
 * ```ts
 * import { fileSink } from "./_file_writer.ts";
 * import { closeSync, openSync, writeSync } from "node:fs";
 * const fd = openSync("/tmp/example.txt", "w");
 * const sink = fileSink((data) => Promise.resolve(writeSync(fd, data)), () => closeSync(fd));
 * await sink.write(new TextEncoder().encode("hello"));
 * await sink.close();
 * ```
 */
export function fileSink(
  writePart: WritePart,
  release: () => Promise<void> | void,
  receive?: FileSink["receive"],
): FileSink {
  let closed = false;
  return {
    receive: receive &&
      ((source) => closed ? Promise.reject(codedError("EBADF", "file sink is closed")) : receive(source)),
    async write(data) {
      if (closed) throw codedError("EBADF", "file sink is closed");
      for (let done = 0; done < data.length;) done += await writePart(data.subarray(done));
    },
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}
