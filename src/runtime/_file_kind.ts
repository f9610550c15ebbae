/**
 * File kind helpers shared by the adapters.
 *
 * @module
 */

import type { FileKind } from "../port.ts";
import { codedError } from "./_errors.ts";

/** The type flags every runtime's stat and directory entries provide.
 *
 * @example
 * ```ts
 * import type { KindFlags } from "./_file_kind.ts";
 * const flags: KindFlags = { isFile: true, isDirectory: false, isSymlink: false };
 * ```
 */
export interface KindFlags {
  /** A regular file. */
  readonly isFile: boolean;
  /** A folder. */
  readonly isDirectory: boolean;
  /** A symbolic link (only when the link itself was examined). */
  readonly isSymlink: boolean;
}

/**
 * Maps type flags to the port's {@link FileKind}.
 *
 * @example
 * ```ts
 * import { fileKind } from "./_file_kind.ts";
 * console.log(fileKind({ isFile: false, isDirectory: true, isSymlink: false })); // "directory"
 * ```
 */
export function fileKind(flags: KindFlags): FileKind {
  if (flags.isFile) return "file";
  if (flags.isDirectory) return "directory";
  if (flags.isSymlink) return "symlink";
  return "other";
}

/**
 * Maps a POSIX `st_mode` (its `S_IFMT` type bits) to the port's
 * {@link FileKind}.
 *
 * @example
 * ```ts
 * import { kindOfMode } from "./_file_kind.ts";
 * console.log(kindOfMode(0o100644)); // "file"
 * console.log(kindOfMode(0o040755)); // "directory"
 * ```
 */
export function kindOfMode(mode: number): FileKind {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "directory";
    case S_IFLNK:
      return "symlink";
    default:
      return "other";
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * Throws unless `kind` is a regular file: opening a directory for reading
 * succeeds on Linux and only the first read fails, but the port promises
 * that `openRead` itself rejects. Devices, FIFOs and sockets are refused
 * with `EINVAL`, since streaming them to a client makes no sense.
 *
 * @example
 * ```ts
 * import { assertRegularFile } from "./_file_kind.ts";
 * assertRegularFile("file", "/srv/a.txt"); // returns
 * assertRegularFile("directory", "/srv"); // throws, code EISDIR
 * ```
 */
export function assertRegularFile(kind: FileKind, path: string): void {
  if (kind === "file") return;
  if (kind === "directory") throw codedError("EISDIR", `is a directory: ${path}`);
  throw codedError("EINVAL", `not a regular file: ${path}`);
}
