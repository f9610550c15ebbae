/**
 * The byte pumps behind RETR, STOR/APPE and the listings: each a
 * {@link TransferJob} the session runs on a data connection.
 *
 * @module
 */

import { createFromNetworkAscii, createToNetworkAscii } from "./ascii.ts";
import type { FileSink, FileSource } from "./fs/file_system.ts";
import type { TransferJob } from "./session.ts";

/** Options shared by the file jobs.
 *
 * @example
 * ```ts
 * import type { FileJobOptions } from "./transfer_jobs.ts";
 * const options: FileJobOptions = { label: "RETR /a.txt", path: "/a.txt", ascii: false };
 * ```
 */
export interface FileJobOptions {
  readonly label: string;
  /** The file's virtual path, for the hooks. */
  readonly path: string;
  /** TYPE A: translate line ends between LF (stored) and CRLF (wire). */
  readonly ascii: boolean;
}

/**
 * Sends a file: reads chunks and writes them to the data connection, each
 * write waiting for the network to take the previous one (backpressure), then
 * half-closes so the client sees the end of file.
 *
 * @example
 * ```ts
 * import { sendFileJob } from "./transfer_jobs.ts";
 * import { MemoryFileSystem } from "../mod.ts";
 * const fs = new MemoryFileSystem({ files: { "/a.txt": "hello" } });
 * const job = sendFileJob(await fs.read("/a.txt", 0), { label: "RETR /a.txt", path: "/a.txt", ascii: false });
 * ```
 */
export function sendFileJob(source: FileSource, options: FileJobOptions): TransferJob {
  return {
    label: options.label,
    direction: "send",
    path: options.path,
    async run(data, progress) {
      const convert = options.ascii ? createToNetworkAscii() : null;
      for (let chunk = await source.read(); chunk && !progress.aborted; chunk = await source.read()) {
        const wire = convert ? convert(chunk) : chunk;
        await data.write(wire);
        progress.bytes += wire.length;
      }
      if (!progress.aborted) await data.closeWrite();
    },
    release: () => source.close(),
  };
}

/**
 * Receives a file: writes what arrives until the client closes the data
 * connection, then closes the sink, so the file is complete on storage before
 * the session can reply 226.
 *
 * @example
 * ```ts
 * import { receiveFileJob } from "./transfer_jobs.ts";
 * import { MemoryFileSystem } from "../mod.ts";
 * const fs = new MemoryFileSystem();
 * const sink = await fs.write("/up.bin", { kind: "truncate" });
 * const job = receiveFileJob(sink, { label: "STOR /up.bin", path: "/up.bin", ascii: false });
 * ```
 */
export function receiveFileJob(sink: FileSink, options: FileJobOptions): TransferJob {
  return {
    label: options.label,
    direction: "receive",
    path: options.path,
    async run(data, progress) {
      const decoder = options.ascii ? createFromNetworkAscii() : null;
      // What has arrived goes straight into the file where the sink can
      // take it so; the rest is read and written.
      let direct = !decoder && sink.receive !== undefined;
      while (!progress.aborted) {
        if (direct) {
          const moved = await sink.receive!(data);
          if (moved) {
            progress.bytes += moved;
            continue;
          }
          direct = moved === 0;
        }
        const chunk = await data.read();
        if (!chunk || progress.aborted) break;
        progress.bytes += chunk.length;
        await sink.write(decoder ? decoder.push(chunk) : chunk);
      }
      if (progress.aborted) return;
      const tail = decoder?.flush();
      if (tail?.length) await sink.write(tail);
      await sink.close();
    },
    // After a successful close() this does nothing; otherwise the upload
    // failed and must not replace a good file (atomic uploads).
    release: () => sink.abort ? sink.abort() : sink.close(),
  };
}

/**
 * Sends bytes prepared in memory (a listing).
 *
 * @example
 * ```ts
 * import { sendBytesJob } from "./transfer_jobs.ts";
 * const job = sendBytesJob("NLST /", new TextEncoder().encode("a.txt\r\n"));
 * ```
 */
export function sendBytesJob(label: string, bytes: Uint8Array): TransferJob {
  return {
    label,
    direction: "send",
    async run(data, progress) {
      if (bytes.length > 0) await data.write(bytes);
      progress.bytes = bytes.length;
      await data.closeWrite();
    },
    release: () => Promise.resolve(),
  };
}
