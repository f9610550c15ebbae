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

/**
 * statx for `count` names at once, as a C loop (Bun's `_bun_statx.c`)
 * does it: `names` holds them NUL-terminated one after another in its
 * first `length` bytes; `out` receives, per name, the first
 * {@link STATX_PREFIX_WORDS} words of its buffer, the first (statx's mask of
 * the fields it filled) 0 for a name that can't be examined. 0, or -1 when
 * it did not run (the names are then examined one at a time).
 */
export type StatxManyCall = (
  dirfd: number,
  names: Uint8Array,
  length: number,
  count: number,
  flags: number,
  mask: number,
  out: Uint32Array,
  capacity: number,
) => number;

/** The words of a statx buffer a listing reads, up to the device numbers. */
export const STATX_PREFIX_WORDS = 36;

/** statx's flags for a listing: the entry itself, not what a link names. */
export const LISTING_FLAGS = 0x100; // AT_SYMLINK_NOFOLLOW
/** statx's mask for a listing: type, mode, nlink, uid, gid, mtime, ino,
 * size. */
export const LISTING_MASK = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x100 | 0x200;
/** Longer than any name readdir gives: 255 bytes, or three times that once
 * decoded with replacement characters. */
const NAME_BYTES = 1024;
const TWO_32 = 2 ** 32;

/** How a {@link FolderStatx} reports times. */
export interface FolderStatxOptions {
  /** Modification times truncated to whole milliseconds, as the runtime's
   * own `lstat` gives them (Deno). */
  readonly wholeMilliseconds?: boolean;
  /** statx for many names in one call, where the runtime has one. */
  readonly many?: StatxManyCall;
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
  /** {@link infoOf} of each of `names`, in one call where it can. */
  infosOf(names: readonly string[]): (FileInfo | undefined)[];
  close(): void;
}

/**
 * Reads the entries of folders through `statx`, one at a time or many; the
 * buffers are shared, so it is not reentrant (listings are synchronous
 * batches).
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
  readonly #many: StatxManyCall | undefined;
  readonly #wholeMilliseconds: boolean;
  readonly #name = new Uint8Array(NAME_BYTES);
  readonly #buffer = new Uint8Array(256);
  readonly #words = new Uint32Array(this.#buffer.buffer);
  readonly #encoder = new TextEncoder();
  #names = new Uint8Array(16 * 1024);
  #infoWords = new Uint32Array(0);

  constructor(statx: StatxCall, options: FolderStatxOptions = {}) {
    this.#statx = statx;
    this.#many = options.many;
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
    return {
      infoOf: (name) => this.#infoOf(fd, name),
      infosOf: (names) => this.#infosOf(fd, names),
      close: () => closeSync(fd),
    };
  }

  #infosOf(fd: number, names: readonly string[]): (FileInfo | undefined)[] {
    const many = this.#many;
    if (many) {
      const length = this.#encodeAll(names);
      const words = this.#wordsFor(names.length);
      if (many(fd, this.#names, length, names.length, LISTING_FLAGS, LISTING_MASK, words, words.byteLength) === 0) {
        return names.map((_, i) => {
          const base = i * STATX_PREFIX_WORDS;
          return words[base] === 0 ? undefined : statxInfo(words, base, this.#wholeMilliseconds);
        });
      }
    }
    return names.map((name) => this.#infoOf(fd, name));
  }

  /** Writes `names` NUL-terminated one after another into the names
   * buffer, which grows to fit: the bytes written. */
  #encodeAll(names: readonly string[]): number {
    const text = `${names.join("\0")}\0`;
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    if (this.#names.length < text.length * 3) this.#names = new Uint8Array(text.length * 3);
    return this.#encoder.encodeInto(text, this.#names).written;
  }

  #wordsFor(count: number): Uint32Array {
    if (this.#infoWords.length < count * STATX_PREFIX_WORDS) this.#infoWords = new Uint32Array(count * STATX_PREFIX_WORDS);
    return this.#infoWords;
  }

  #infoOf(fd: number, name: string): FileInfo | undefined {
    if (!this.#encode(name)) return undefined;
    if (this.#statx(fd, this.#name, LISTING_FLAGS, LISTING_MASK, this.#buffer) !== 0) return undefined;
    return statxInfo(this.#words, 0, this.#wholeMilliseconds);
  }

  /** Writes `text` NUL-terminated into the name buffer; false if too long. */
  #encode(text: string): boolean {
    const { read, written } = this.#encoder.encodeInto(text, this.#name);
    if (read !== text.length || written >= NAME_BYTES) return false;
    this.#name[written] = 0;
    return true;
  }
}

/**
 * The {@link FileInfo} in a `statx` buffer whose words start at `base` in
 * `words`.
 *
 * @example
 * ```ts
 * import { statxInfo } from "./_statx.ts";
 * const words = new Uint32Array(64);
 * words[7] = 0o100644;
 * console.log(statxInfo(words, 0, false).kind); // "file"
 * ```
 */
export function statxInfo(words: Uint32Array, base: number, wholeMilliseconds: boolean): FileInfo {
  const mode = words[base + 7] & 0xffff;
  // As Node computes `mtimeMs`: seconds (signed) and nanoseconds.
  const mtimeMs = (words[base + 28] + (words[base + 29] | 0) * TWO_32) * 1000 + words[base + 30] / 1e6;
  return {
    kind: kindOfMode(mode),
    size: words[base + 10] + words[base + 11] * TWO_32,
    mtimeMs: wholeMilliseconds ? Math.trunc(mtimeMs) : mtimeMs,
    mode: mode & 0o7777,
    nlink: words[base + 4],
    uid: words[base + 5],
    gid: words[base + 6],
    dev: makedev(words[base + 34], words[base + 35]),
    ino: words[base + 8] + words[base + 9] * TWO_32,
  };
}

/** glibc's `makedev`, which libuv (Node, Bun) applies to `statx`'s device
 * numbers: the same `dev` as their `lstat` gives. */
function makedev(major: number, minor: number): number {
  return (major & 0xfffff000) * TWO_32 + (major & 0xfff) * 256 + (minor & 0xffffff00) * 4096 + (minor & 0xff);
}
