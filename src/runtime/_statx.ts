/**
 * Listing metadata by `statx(2)` relative to the open folder, for runtimes
 * with a foreign-function interface (Bun, Deno) on Linux. The runtimes'
 * own `lstat` takes a path, which the kernel walks from the root for every
 * entry, and builds a stats object of some twenty fields; `statx` on the
 * folder's descriptor looks up one name and fills a buffer read in place
 * (`scripts/floors.ts` measures both). The `statx` layout is the same on
 * every Linux architecture.
 *
 * @module
 */

import { closeSync, constants, openSync } from "node:fs";
import process from "node:process";
import type { FileInfo } from "../port.ts";
import { kindOfMode } from "./_file_kind.ts";

/** libc's `statx(dirfd, name, flags, mask, buffer)` as a runtime's FFI
 * binds it: 0, or -1. `name` is NUL-terminated UTF-8. */
export type StatxCall = (dirfd: number, name: Uint8Array, flags: number, mask: number, buffer: Uint8Array) => number;

const AT_SYMLINK_NOFOLLOW = 0x100;
/** type, mode, nlink, uid, gid, mtime, ino, size: what a listing shows. */
const STATX_WANTED = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x100 | 0x200;
/** Longer than any name readdir gives: 255 bytes, or three times that once
 * decoded with replacement characters. */
const NAME_BYTES = 1024;
const TWO_32 = 2 ** 32;

/** How a {@link FolderStatx} reports times. */
export interface FolderStatxOptions {
  /** Modification times truncated to whole milliseconds, as the runtime's
   * own `lstat` gives them (Deno). */
  readonly wholeMilliseconds?: boolean;
}

/**
 * A {@link FolderStatx} on `statx` as `bind` binds it, on Linux (the only
 * system with `statx`) on a little-endian machine (the layout is read as
 * its words); `undefined` elsewhere, or when `bind` gives nothing or
 * throws (no libc to open, no permission).
 *
 * @example
 * ```ts
 * import { folderStatx, type StatxCall } from "./_statx.ts";
 * declare function bindStatx(): StatxCall | undefined;
 * const statx = folderStatx(bindStatx);
 * ```
 */
export function folderStatx(
  bind: () => StatxCall | undefined,
  options: FolderStatxOptions = {},
): FolderStatx | undefined {
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (process.platform !== "linux" || !littleEndian) return undefined;
  try {
    const statx = bind();
    return statx && new FolderStatx(statx, options);
  } catch {
    return undefined;
  }
}

/** One open folder whose entries {@link FolderStatx} examines. */
export interface OpenFolder {
  /** The metadata of `name`, without following a symlink; `undefined` when
   * it no longer exists (or can't be examined). */
  infoOf(name: string): FileInfo | undefined;
  close(): void;
}

/**
 * Reads the entries of folders through `statx`, one at a time; the buffers
 * are shared, so it is not reentrant (listings are synchronous batches).
 *
 * @example
 * ```ts
 * import { FolderStatx, type StatxCall } from "./_statx.ts";
 * declare const statx: StatxCall;
 * const folder = new FolderStatx(statx).open("/srv");
 * if (folder !== undefined) {
 *   console.log(folder.infoOf("a.txt")?.size);
 *   folder.close();
 * }
 * ```
 */
export class FolderStatx {
  readonly #statx: StatxCall;
  readonly #wholeMilliseconds: boolean;
  readonly #name = new Uint8Array(NAME_BYTES);
  readonly #buffer = new Uint8Array(256);
  readonly #words = new Uint32Array(this.#buffer.buffer);
  readonly #encoder = new TextEncoder();

  constructor(statx: StatxCall, options: FolderStatxOptions = {}) {
    this.#statx = statx;
    this.#wholeMilliseconds = options.wholeMilliseconds === true;
  }

  /** Folder `path`, or `undefined` when it can't be opened (the caller
   * falls back to paths). */
  open(path: string): OpenFolder | undefined {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch {
      return undefined;
    }
    return { infoOf: (name) => this.#infoOf(fd, name), close: () => closeSync(fd) };
  }

  #infoOf(fd: number, name: string): FileInfo | undefined {
    if (!this.#encode(name)) return undefined;
    if (this.#statx(fd, this.#name, AT_SYMLINK_NOFOLLOW, STATX_WANTED, this.#buffer) !== 0) return undefined;
    const w = this.#words;
    const mode = w[7] & 0xffff;
    // As Node computes `mtimeMs`: seconds (signed) and nanoseconds.
    const mtimeMs = (w[28] + (w[29] | 0) * TWO_32) * 1000 + w[30] / 1e6;
    return {
      kind: kindOfMode(mode),
      size: w[10] + w[11] * TWO_32,
      mtimeMs: this.#wholeMilliseconds ? Math.trunc(mtimeMs) : mtimeMs,
      mode: mode & 0o7777,
      nlink: w[4],
      uid: w[5],
      gid: w[6],
      dev: makedev(w[34], w[35]),
      ino: w[8] + w[9] * TWO_32,
    };
  }

  /** Writes `text` NUL-terminated into the name buffer; false if too long. */
  #encode(text: string): boolean {
    const { read, written } = this.#encoder.encodeInto(text, this.#name);
    if (read !== text.length || written >= NAME_BYTES) return false;
    this.#name[written] = 0;
    return true;
  }
}

/** glibc's `makedev`, which libuv (Node, Bun) applies to `statx`'s device
 * numbers: the same `dev` as their `lstat` gives. */
function makedev(major: number, minor: number): number {
  return (major & 0xfffff000) * TWO_32 + (major & 0xfff) * 256 + (minor & 0xffffff00) * 4096 + (minor & 0xff);
}
