/**
 * The {@link FilePort} on `node:fs`, shared by the Node adapter and the Bun
 * adapter (Bun's own file writer can neither append nor truncate). Metadata
 * calls are synchronous, see `_sync_call.ts`.
 *
 * @module
 */

import { closeSync, constants, fstatSync, lstatSync, openSync, read, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import * as fsp from "node:fs/promises";
import type { FileInfo, FilePort, FileSink, FileSource, WriteMode } from "../port.ts";
import { entriesWithInfo } from "./_dir_entries.ts";
import { assertRegularFile, kindOfMode } from "./_file_kind.ts";
import { fileChunks } from "./_file_reader.ts";
import { syncCall } from "./_sync_call.ts";

/** Size of each of the two buffers an upload is gathered in. */
const WRITE_BUFFER = 1024 * 1024;

const OPEN_FLAGS = { truncate: "w", append: "a", offset: "r+" } as const;

function toFileInfo(stats: Stats): FileInfo {
  const { mode } = stats;
  return {
    // From the mode's type bits: three isX() calls per entry cost one engine
    // a tenth of a listing.
    kind: kindOfMode(mode),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    mode: mode & 0o7777,
    nlink: stats.nlink,
    uid: stats.uid,
    gid: stats.gid,
    dev: stats.dev,
    ino: stats.ino,
  };
}

/** Non-blocking, so that opening a FIFO returns at once (and is then refused
 * as not a regular file) instead of waiting for a writer; regular files
 * ignore the flag. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

function readAt(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => error ? reject(error) : resolve(bytesRead));
  });
}

function openRead(path: string, offset: number): Promise<FileSource> {
  return syncCall(() => {
    const fd = openSync(path, READ_FLAGS);
    let next: () => Promise<Uint8Array | null>;
    // The descriptor is closed only once no read uses it: a number closed
    // under a pending read could be reused by the next open, which that read
    // would then read from.
    let reading: Promise<unknown> | undefined;
    try {
      const stats = fstatSync(fd);
      assertRegularFile(kindOfMode(stats.mode), path);
      next = fileChunks(stats.size, offset, (buffer, position) => {
        const pending = readAt(fd, buffer, position);
        reading = pending;
        return pending;
      });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    let closed = false;
    return {
      read: () => closed ? Promise.resolve(null) : next(),
      async close() {
        if (closed) return;
        closed = true;
        await reading?.catch(() => {});
        closeSync(fd);
      },
    };
  });
}

async function openWrite(path: string, mode: WriteMode): Promise<FileSink> {
  const handle = await fsp.open(path, OPEN_FLAGS[mode.kind]);
  // Only "offset" needs an explicit position; null writes at the current
  // position, which O_APPEND moves to the end before every write.
  let position: number | null = mode.kind === "offset" ? mode.offset : null;
  let closed = false;
  // Sockets deliver 64 KiB chunks, and each asynchronous file write is a trip
  // through libuv's thread pool: gathering them into big writes, one of which
  // runs while the next fills, more than doubles the rate of an upload.
  let filling: Uint8Array | undefined;
  let spare: Uint8Array | undefined;
  let filled = 0;
  let writing: Promise<void> = Promise.resolve();

  async function writeAll(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done, position);
      done += bytesWritten;
      if (position !== null) position += bytesWritten;
    }
  }

  /** Starts writing what is gathered; an error surfaces at the next call. */
  async function flush(): Promise<void> {
    if (filled === 0) return;
    await writing;
    const full = filling!;
    const length = filled;
    filling = spare;
    spare = full;
    filled = 0;
    writing = writeAll(full.subarray(0, length));
    // Marked as handled now; it still rejects for whoever awaits it next.
    writing.catch(() => {});
  }

  return {
    async write(data) {
      if (closed) throw Object.assign(new Error("file sink is closed"), { code: "EBADF" });
      for (let taken = 0; taken < data.length;) {
        filling ??= new Uint8Array(WRITE_BUFFER);
        spare ??= new Uint8Array(WRITE_BUFFER);
        const part = data.subarray(taken, taken + WRITE_BUFFER - filled);
        filling.set(part, filled);
        filled += part.length;
        taken += part.length;
        if (filled === WRITE_BUFFER) await flush();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await flush();
        await writing;
      } finally {
        await handle.close();
      }
    },
  };
}

/**
 * Real file-system access through `node:fs`, whose errors already carry POSIX
 * codes on Node and Bun.
 *
 * @example
 * ```ts
 * import { nodeFiles } from "./_node_files.ts";
 * console.log((await nodeFiles.stat("/")).kind); // "directory"
 * ```
 */
export const nodeFiles: FilePort = {
  stat(path) {
    return syncCall(() => toFileInfo(statSync(path)));
  },
  lstat(path) {
    return syncCall(() => toFileInfo(lstatSync(path)));
  },
  async readDir(path) {
    return await entriesWithInfo(path, await fsp.readdir(path), (entry) => {
      const stats = lstatSync(entry, { throwIfNoEntry: false });
      return stats && toFileInfo(stats);
    });
  },
  async mkdir(path) {
    await fsp.mkdir(path);
  },
  rmdir(path) {
    return fsp.rmdir(path);
  },
  unlink(path) {
    return fsp.unlink(path);
  },
  rename(from, to) {
    return fsp.rename(from, to);
  },
  chmod(path, mode) {
    return fsp.chmod(path, mode);
  },
  utime(path, atimeMs, mtimeMs) {
    return fsp.utimes(path, new Date(atimeMs), new Date(mtimeMs));
  },
  realpath(path) {
    return syncCall(() => realpathSync.native(path));
  },
  readLink(path) {
    return syncCall(() => readlinkSync(path));
  },
  async availableSpace(path) {
    const info = await fsp.statfs(path);
    return info.bavail * info.bsize;
  },
  openRead,
  openWrite,
};
