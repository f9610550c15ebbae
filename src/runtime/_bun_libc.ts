/**
 * The libc calls Bun's adapter binds through `bun:ffi` (glibc on Linux):
 * `statx` for listings (a batch at a time through `_bun_statx.c`, which
 * Bun's built-in C compiler builds), and for plain data connections reads
 * that skip Bun's copy of every received chunk, and `splice(2)`, which
 * moves received bytes into a file inside the kernel. Bun's own reads copy each
 * chunk out of its receive buffer into a new one, and a read-then-write
 * upload copies every byte twice more (socket to JavaScript, JavaScript to
 * the page cache); splice copies it once. 200 uploads of 10 MB into new
 * files, one thread, in C (`scripts/floors.ts`, rows "C" and "C, splice"):
 * read and write 1529 MiB/s, splice through one 1 MiB pipe 2198 on one
 * machine; through a 64 KiB pipe (Linux's default) a variant of the same
 * loop fell to 1040, below reading and writing.
 *
 * @module
 */

import { cc, dlopen, read as memory } from "bun:ffi";
import { constants } from "node:os";
import process from "node:process";
import { codedError } from "./_errors.ts";
import type { StatxCall, StatxManyCall } from "./_statx.ts";

const symbols = (() => {
  try {
    return dlopen("libc.so.6", {
      // At most 1 MiB a call: counts (or -1) fit in the low 32 bits.
      read: { args: ["i32", "ptr", "u64"], returns: "i32" },
      ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
      statx: { args: ["i32", "ptr", "i32", "u32", "ptr"], returns: "i32" },
      splice: { args: ["i32", "ptr", "i32", "ptr", "u64", "u32"], returns: "i32" },
      pipe2: { args: ["ptr", "i32"], returns: "i32" },
      fcntl: { args: ["i32", "i32", "i32"], returns: "i32" },
      close: { args: ["i32"], returns: "i32" },
      __errno_location: { args: [], returns: "ptr" },
    }).symbols;
  } catch {
    return undefined;
  }
})();

/** Whether libc could be bound: without it there are no direct reads. */
export const hasLibc = symbols !== undefined;

/** libc's `statx`, for `_statx.ts`; undefined without libc. */
export const statx: StatxCall | undefined = symbols?.statx;

function compileStatxMany(): StatxManyCall | null {
  const local = new URL(import.meta.url).protocol === "file:";
  if (!hasLibc || !local || process.platform !== "linux") return null;
  try {
    return cc({
      source: new URL("./_bun_statx.c", import.meta.url),
      symbols: {
        statx_many: { args: ["i32", "ptr", "u32", "u32", "i32", "u32", "ptr", "u32"], returns: "i32" },
      },
    }).symbols.statx_many;
  } catch {
    return null;
  }
}

/** `_bun_statx.c`, compiled the first time a folder is listed; `null` when
 * it can't be (a Bun without its compiler, a glibc without `statx`, a
 * module not loaded from a local file). */
let compiledStatxMany: StatxManyCall | null | undefined;

/**
 * {@link StatxManyCall} in C, or -1 (one call per entry, then) where it
 * can't be compiled. A 1000-entry folder's `readDir` took 2.5-2.7 ms of
 * CPU with a `statx` call through the FFI per entry, 0.04-0.14 ms less
 * with this, on one machine where the kernel's statx alone takes 1.0-1.3
 * µs an entry; in the bench's listing scenario (100 clients, medians of 4
 * interleaved runs) 399 → 417 listings/s in one process, 489 → 508 with
 * two workers.
 *
 * @example
 * ```ts
 * import { statxMany } from "./_bun_libc.ts";
 * declare const folderFd: number;
 * const out = new Uint32Array(36);
 * statxMany(folderFd, new TextEncoder().encode("a.txt\0"), 6, 1, 0x100, 0x35f, out, out.byteLength);
 * ```
 */
export const statxMany: StatxManyCall = (...args) => {
  compiledStatxMany ??= compileStatxMany();
  return compiledStatxMany ? compiledStatxMany(...args) : -1;
};

/** FIONREAD, as Linux numbers it on x64 and arm64, the only Linux
 * machines Bun runs on: the bytes a socket holds for reading. */
const FIONREAD = 0x541b;
const F_SETPIPE_SZ = 1031;
const O_NONBLOCK = 0o4000;
const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
/** The splice pipe's size, and so the most one call moves: the 1 MiB that
 * reads take at most (`MAX_BULK_RECEIVE_BUFFER`), and Linux's default
 * `pipe-max-size`, which needs no privilege. */
const PIPE_BYTES = 1024 * 1024;

const answer = new Int32Array(1);

/**
 * The bytes the kernel holds for reading on socket `fd`; 0 when none or
 * when it can't tell.
 *
 * @example
 * ```ts
 * import { bytesWaiting } from "./_bun_libc.ts";
 * declare const socketFd: number;
 * console.log(bytesWaiting(socketFd) >= 0); // true
 * ```
 */
export function bytesWaiting(fd: number): number {
  return symbols!.ioctl(fd, FIONREAD, answer) === 0 ? Math.max(answer[0], 0) : 0;
}

/**
 * read(2) of at most `count` bytes into `buffer`: the count read, 0 at the
 * end of the stream, -1 on an error.
 *
 * @example
 * ```ts
 * import { readInto } from "./_bun_libc.ts";
 * declare const socketFd: number;
 * const buffer = new Uint8Array(4096);
 * const received = readInto(socketFd, buffer, buffer.length);
 * ```
 */
export function readInto(fd: number, buffer: Uint8Array, count: number): number {
  return symbols!.read(fd, buffer, count);
}

/** The pipe every splice goes through, made at the first one: one per
 * process, as each splice empties it before the call returns. */
let pipe: Int32Array | undefined;
/** Offset for splices into a file at an explicit position. */
const fileOffset = new BigInt64Array(1);

function openPipe(): Int32Array | undefined {
  const ends = new Int32Array(2);
  if (symbols!.pipe2(ends, O_NONBLOCK) !== 0) return undefined;
  if (symbols!.fcntl(ends[1], F_SETPIPE_SZ, PIPE_BYTES) < PIPE_BYTES) {
    // A small pipe makes splice slower than reading and writing.
    closePipe(ends);
    return undefined;
  }
  return ends;
}

function closePipe(ends: Int32Array): void {
  symbols!.close(ends[0]);
  symbols!.close(ends[1]);
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, number]) => [number, name]));

function errno(): number {
  return memory.i32(symbols!.__errno_location()!, 0);
}

function lastError(what: string): Error {
  const code = errno();
  return codedError(errnoNames.get(code) ?? "EIO", `${what} failed (errno ${code})`);
}

/**
 * Moves up to `count` bytes, which socket `socketFd` holds already, into
 * file `fileFd` at `position` (null: the file's own position, which it
 * advances), through the kernel: the count moved, or undefined when the
 * socket can't be spliced (the caller reads instead, from then on). A
 * failed file write throws with its POSIX code (ENOSPC, EIO). A file
 * opened with O_APPEND can't be spliced into.
 *
 * @example
 * ```ts
 * import { bytesWaiting, spliceToFile } from "./_bun_libc.ts";
 * declare const socketFd: number;
 * declare const fileFd: number;
 * const moved = spliceToFile(socketFd, bytesWaiting(socketFd), fileFd, null);
 * ```
 */
export function spliceToFile(socketFd: number, count: number, fileFd: number, position: number | null): number | undefined {
  pipe ??= openPipe();
  if (!pipe) return undefined;
  const moved = symbols!.splice(socketFd, null, pipe[1], null, Math.min(count, PIPE_BYTES), SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  // EAGAIN: nothing to move after all; the caller's read() waits.
  if (moved < 0) return errno() === constants.errno.EAGAIN ? 0 : undefined;
  if (moved === 0) return 0;
  for (let done = 0; done < moved;) {
    if (position !== null) fileOffset[0] = BigInt(position + done);
    const written = symbols!.splice(pipe[0], null, fileFd, position === null ? null : fileOffset, moved - done, SPLICE_F_MOVE);
    if (written <= 0) {
      const error = written < 0 ? lastError("splice into the file") : codedError("EIO", "splice wrote nothing");
      // What is left in the pipe belongs to this upload only: drop it.
      closePipe(pipe);
      pipe = undefined;
      throw error;
    }
    done += written;
  }
  return moved;
}
