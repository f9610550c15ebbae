/**
 * The {@link FilePort} on `node:fs`, shared by the Node adapter and the Bun
 * adapter. Metadata calls are synchronous, and so is file data while the
 * disk keeps up; see `_sync_call.ts`.
 *
 * @module
 */

import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  read,
  readlinkSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
  write,
  writeSync,
} from "node:fs";
import * as fsp from "node:fs/promises";
import type { Connection, DirEntry, FileInfo, FilePort, FileSink, FileSource, WriteMode } from "../port.ts";
import { entriesWithInfo } from "./_dir_entries.ts";
import { assertRegularFile, kindOfMode } from "./_file_kind.ts";
import { fileChunks } from "./_file_reader.ts";
import { fileSink } from "./_file_writer.ts";
import type { FolderStatx } from "./_statx.ts";
import { adaptiveCall, syncCall } from "./_sync_call.ts";

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

/** Open flags per write mode; O_NONBLOCK as for reading, so that a FIFO
 * that slipped past the kind check fails at once instead of waiting for a
 * reader. */
const WRITE_FLAGS = {
  truncate: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK,
  append: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NONBLOCK,
  offset: constants.O_WRONLY | constants.O_NONBLOCK,
} as const;

function settle(resolve: (count: number) => void, reject: (error: Error) => void) {
  return (error: Error | null, count: number) => error ? reject(error) : resolve(count);
}

function readAt(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, position, settle(resolve, reject)));
}

function writeAt(fd: number, data: Uint8Array, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => write(fd, data, 0, data.length, position, settle(resolve, reject)));
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
      const readInto = adaptiveCall<[Uint8Array, number], number>({
        sync: (buffer, position) => readSync(fd, buffer, 0, buffer.length, position),
        pooled: (buffer, position) => readAt(fd, buffer, position),
      });
      next = fileChunks(stats.size, offset, (buffer, position) => {
        const pending = readInto(buffer, position);
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

/**
 * Moves bytes that `source` has received already into file `fd` at
 * `position` (null: the file's own position), for {@link FileSink.receive}:
 * the count moved, 0 when none are waiting, undefined when `source` can't
 * be moved from.
 *
 * @example
 * ```ts
 * import type { ReceiveInto } from "./_node_files.ts";
 * const never: ReceiveInto = () => undefined;
 * ```
 */
export type ReceiveInto = (source: Connection, fd: number, position: number | null) => number | undefined;

/**
 * {@link FilePort.openWrite} on `node:fs`, whose sinks receive through
 * `receiveInto` where given, except in append mode (`splice(2)` refuses
 * O_APPEND files).
 *
 * @example
 * ```ts
 * import { openWriteWith } from "./_node_files.ts";
 * const sink = await openWriteWith("/tmp/example.bin", { kind: "truncate" });
 * await sink.close();
 * ```
 */
export async function openWriteWith(path: string, mode: WriteMode, receiveInto?: ReceiveInto): Promise<FileSink> {
  // A FIFO or a device would hold up a synchronous write indefinitely.
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing) assertRegularFile(kindOfMode(existing.mode), path);
  // Opening may truncate a big file, which takes a while: asynchronous.
  const handle = await fsp.open(path, WRITE_FLAGS[mode.kind]);
  const { fd } = handle;
  // Only "offset" needs an explicit position; null writes at the current
  // position, which O_APPEND moves to the end before every write.
  let position: number | null = mode.kind === "offset" ? mode.offset : null;
  const writePart = adaptiveCall<[Uint8Array], number>({
    sync: (data) => writeSync(fd, data, 0, data.length, position),
    pooled: (data) => writeAt(fd, data, position),
  });
  // Receiving, like writing, holds up every session while the disk is
  // slow; on a slow one the upload goes on through the pool's writes.
  const receive = receiveInto && mode.kind !== "append"
    ? adaptiveCall<[Connection], number | undefined>({
      sync: (source) => {
        const moved = receiveInto(source, fd, position);
        if (position !== null && moved) position += moved;
        return moved;
      },
      pooled: () => Promise.resolve(undefined),
    })
    : undefined;
  return fileSink(async (data) => {
    const written = await writePart(data);
    if (position !== null) position += written;
    return written;
  }, () => handle.close(), receive);
}

function lstatIfPresent(path: string): FileInfo | undefined {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  return stats && toFileInfo(stats);
}

/**
 * {@link FilePort.readDir} on `node:fs`, with `statx` where the runtime
 * binds it (Bun).
 *
 * @example
 * ```ts
 * import { readDirWith } from "./_node_files.ts";
 * console.log((await readDirWith("/")).length > 0); // true
 * ```
 */
export async function readDirWith(path: string, statx?: FolderStatx): Promise<DirEntry[]> {
  return await entriesWithInfo(path, await fsp.readdir(path), lstatIfPresent, statx);
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
  readDir: (path) => readDirWith(path),
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
  openWrite: (path, mode) => openWriteWith(path, mode),
};
