/**
 * The {@link FilePort} on `node:fs`, shared by the Node adapter and the Bun
 * adapter. Metadata calls and file data are synchronous, see `_sync_call.ts`.
 *
 * @module
 */

import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats, writeSync } from "node:fs";
import * as fsp from "node:fs/promises";
import type { FileInfo, FilePort, FileSink, FileSource, WriteMode } from "../port.ts";
import { entriesWithInfo } from "./_dir_entries.ts";
import { assertRegularFile, kindOfMode } from "./_file_kind.ts";
import { fileChunks } from "./_file_reader.ts";
import { syncCall } from "./_sync_call.ts";

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

function openRead(path: string, offset: number): Promise<FileSource> {
  return syncCall(() => {
    const fd = openSync(path, READ_FLAGS);
    let next: () => Promise<Uint8Array | null>;
    try {
      const stats = fstatSync(fd);
      assertRegularFile(kindOfMode(stats.mode), path);
      next = fileChunks(stats.size, offset, (buffer, position) => syncCall(() => readSync(fd, buffer, 0, buffer.length, position)));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    let closed = false;
    return {
      read: () => closed ? Promise.resolve(null) : next(),
      close() {
        if (!closed) {
          closed = true;
          closeSync(fd);
        }
        return Promise.resolve();
      },
    };
  });
}

/** Open flags per write mode; O_NONBLOCK as for reading, so that a FIFO
 * that slipped past the kind check fails at once instead of waiting for a
 * reader. */
const WRITE_FLAGS = {
  truncate: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK,
  append: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NONBLOCK,
  offset: constants.O_WRONLY | constants.O_NONBLOCK,
} as const;

async function openWrite(path: string, mode: WriteMode): Promise<FileSink> {
  // Writes are synchronous (see `_sync_call.ts`), so a FIFO or a device
  // would block the whole process, not one pool thread.
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing) assertRegularFile(kindOfMode(existing.mode), path);
  // Opening may truncate a big file, which takes a while: asynchronous.
  const handle = await fsp.open(path, WRITE_FLAGS[mode.kind]);
  const { fd } = handle;
  // Only "offset" needs an explicit position; null writes at the current
  // position, which O_APPEND moves to the end before every write.
  let position: number | null = mode.kind === "offset" ? mode.offset : null;
  let closed = false;
  return {
    write(data) {
      if (closed) return Promise.reject(Object.assign(new Error("file sink is closed"), { code: "EBADF" }));
      return syncCall(() => {
        for (let done = 0; done < data.length;) {
          const written = writeSync(fd, data, done, data.length - done, position);
          done += written;
          if (position !== null) position += written;
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
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
