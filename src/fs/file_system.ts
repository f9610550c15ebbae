/**
 * The storage contract: what a user's files look like to the FTP core.
 *
 * Implement {@link FileSystem} to serve anything (a database, an object
 * store, a zip file). tsftpd ships {@link LocalFileSystem} (a real folder) and
 * {@link MemoryFileSystem} (all in memory).
 *
 * @module
 */

import type { FileKind, FileSink, FileSource, WriteMode } from "../port.ts";

export type { FileKind, FileSink, FileSource, WriteMode };

/** What the FTP core needs to know about one file or folder.
 *
 * @example
 * ```ts
 * import type { FileStat } from "./file_system.ts";
 * const stat: FileStat = { kind: "file", size: 12, mtimeMs: Date.now(), mode: 0o644 };
 * ```
 */
export interface FileStat {
  /** Only a `file` can be downloaded and only a `directory` entered;
   * `symlink` is for a link shown as itself (see `linkTarget`). */
  readonly kind: FileKind;
  /** Size in bytes (0 for folders where unknown). */
  readonly size: number;
  /** Last modification, in milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Unix permission bits, e.g. `0o644`. */
  readonly mode: number;
  /** Hard-link count for `LIST` lines; default 1. */
  readonly nlink?: number;
  /** Owner shown in `LIST` lines, as a number; default `ftp`. */
  readonly uid?: number;
  /** Group shown in `LIST` lines, as a number; default `ftp`. */
  readonly gid?: number;
  /** A value that differs between distinct files (MLSx `unique` fact). */
  readonly unique?: string;
  /** Where a symlink points, for `LIST` (`name -> target`). */
  readonly linkTarget?: string;
}

/** One entry of a folder listing.
 *
 * @example
 * ```ts
 * import type { ListEntry } from "./file_system.ts";
 * const entry: ListEntry = {
 *   name: "a.txt",
 *   stat: { kind: "file", size: 1, mtimeMs: 0, mode: 0o644 },
 * };
 * ```
 */
export interface ListEntry {
  /** The entry's own name, without the folder's path (so no `/`). */
  readonly name: string;
  /** Its metadata, as {@link FileSystem.stat} gives it; a symlink may be
   * described as itself instead, with `linkTarget` set. */
  readonly stat: FileStat;
}

/**
 * The storage a session sees, rooted at the user's home.
 *
 * Contract:
 * - Every `path` is virtual, absolute and already normalised by the core:
 *   it starts with `/`, has no `.` or `..` segments, no empty segments, no
 *   trailing slash (except `/` itself), and no NUL, CR or LF. `/` is the
 *   user's root; an implementation must never let a path reach past it.
 * - Failures throw a {@link FileSystemError} (or any error with a POSIX
 *   `code`): `ENOENT` and `ENOTDIR` become 550 "not found", `EEXIST` 550,
 *   `EACCES`/`EPERM` 550 "permission denied", `ENOTEMPTY` 550, `ENOSPC` 452,
 *   `EDQUOT` 552; anything else 451 with the error logged.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../../mod.ts";
 * const fs = new MemoryFileSystem();
 * await fs.mkdir("/docs");
 * const sink = await fs.write("/docs/a.txt", { kind: "truncate" });
 * await sink.write(new TextEncoder().encode("hello"));
 * await sink.close();
 * console.log((await fs.stat("/docs/a.txt")).size); // 5
 * ```
 */
export interface FileSystem {
  /** Metadata of `path`, following symlinks. */
  stat(path: string): Promise<FileStat>;
  /** The entries of folder `path`, without `.` and `..`, in any order. */
  list(path: string): Promise<ListEntry[]>;
  /** Opens a regular file for reading from byte `start`. */
  read(path: string, start: number): Promise<FileSource>;
  /** Opens a file for writing; see {@link WriteMode}. */
  write(path: string, mode: WriteMode): Promise<FileSink>;
  /** Creates one folder (not its parents); `EEXIST` if the path is taken. */
  mkdir(path: string): Promise<void>;
  /** Removes an empty folder; `ENOTEMPTY` otherwise. */
  rmdir(path: string): Promise<void>;
  /** Deletes a file (not a folder). */
  remove(path: string): Promise<void>;
  /** Renames a file or folder, replacing an existing file at `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Changes Unix permission bits; optional (SITE CHMOD). */
  chmod?(path: string, mode: number): Promise<void>;
  /** Sets the modification time; optional (MFMT). */
  setModifiedTime?(path: string, mtimeMs: number): Promise<void>;
  /** Bytes that may still be stored under `path`; optional (AVBL). Leave
   * it out where the storage can't tell: AVBL then answers 502 and FEAT
   * does not list it. */
  availableSpace?(path: string): Promise<number>;
}

/** A storage failure with a POSIX error code, mapped to an FTP reply.
 *
 * @example
 * ```ts
 * import { FileSystemError } from "./file_system.ts";
 * throw new FileSystemError("ENOENT", "No such file or directory");
 * ```
 */
export class FileSystemError extends Error {
  /** The POSIX name, such as `ENOENT`. */
  readonly code: string;
  /** `code` picks the FTP reply. `message` is never sent to the client; it
   * is logged when `code` maps to no specific reply. */
  constructor(code: string, message: string) {
    super(message);
    this.name = "FileSystemError";
    this.code = code;
  }
}
