/**
 * The behaviour every built-in {@link FileSystem} shares, as one table of
 * cases that each storage's test file registers against its own instances.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { FileSystem, WriteMode } from "../src/fs/file_system.ts";

/** A fresh, empty storage for one case, and how to dispose of it.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../src/fs/memory.ts";
 * import type { ContractSubject } from "./_fs_contract.ts";
 * const subject: ContractSubject = {
 *   fs: new MemoryFileSystem(),
 *   cleanup: () => Promise.resolve(),
 * };
 * ```
 */
export interface ContractSubject {
  readonly fs: FileSystem;
  cleanup(): Promise<void>;
}

const TRUNCATE: WriteMode = { kind: "truncate" };
const APPEND: WriteMode = { kind: "append" };

/** Writes `content` to `path` through one sink.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../src/fs/memory.ts";
 * import { put } from "./_fs_contract.ts";
 * await put(new MemoryFileSystem(), "/a.txt", "hello", { kind: "append" });
 * ```
 */
export async function put(
  fs: FileSystem,
  path: string,
  content: string | Uint8Array,
  mode: WriteMode = TRUNCATE,
): Promise<void> {
  const sink = await fs.write(path, mode);
  try {
    await sink.write(
      typeof content === "string" ? new TextEncoder().encode(content) : content,
    );
  } finally {
    await sink.close();
  }
}

/** Reads `path` from `start` to the end, copying each chunk (chunks are
 * only valid until the next read).
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../src/fs/memory.ts";
 * import { getBytes } from "./_fs_contract.ts";
 * const fs = new MemoryFileSystem({ files: { "/a.bin": new Uint8Array([1, 2]) } });
 * console.log(await getBytes(fs, "/a.bin", 1)); // Uint8Array [ 2 ]
 * ```
 */
export async function getBytes(
  fs: FileSystem,
  path: string,
  start = 0,
): Promise<Uint8Array> {
  const source = await fs.read(path, start);
  const chunks: Uint8Array[] = [];
  try {
    for (let chunk = await source.read(); chunk; chunk = await source.read()) {
      chunks.push(chunk.slice());
    }
  } finally {
    await source.close();
  }
  const all = new Uint8Array(
    chunks.reduce((sum, chunk) => sum + chunk.length, 0),
  );
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** Reads `path` as UTF-8.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../src/fs/memory.ts";
 * import { get } from "./_fs_contract.ts";
 * const fs = new MemoryFileSystem({ files: { "/a.txt": "hello" } });
 * console.log(await get(fs, "/a.txt", 1)); // "ello"
 * ```
 */
export async function get(
  fs: FileSystem,
  path: string,
  start = 0,
): Promise<string> {
  return new TextDecoder().decode(await getBytes(fs, path, start));
}

/** Asserts that `promise` rejects with POSIX code `code`.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../src/fs/memory.ts";
 * import { rejectsWith } from "./_fs_contract.ts";
 * await rejectsWith(new MemoryFileSystem().stat("/missing"), "ENOENT");
 * ```
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, String(error));
    return true;
  });
}

async function names(fs: FileSystem, path: string): Promise<string[]> {
  return (await fs.list(path)).map((entry) => entry.name).sort();
}

function chmodOf(
  fs: FileSystem,
): (path: string, mode: number) => Promise<void> {
  assert.ok(fs.chmod, "chmod is implemented");
  return fs.chmod.bind(fs);
}

function setModifiedTimeOf(
  fs: FileSystem,
): (path: string, mtimeMs: number) => Promise<void> {
  assert.ok(fs.setModifiedTime, "setModifiedTime is implemented");
  return fs.setModifiedTime.bind(fs);
}

/** A whole-millisecond time in the past (Deno reports whole milliseconds). */
const PAST = Date.UTC(2001, 1, 3, 4, 5, 6);

const CASES: Readonly<Record<string, (fs: FileSystem) => Promise<void>>> = {
  async "the root is an empty folder"(fs) {
    assert.equal((await fs.stat("/")).kind, "directory");
    assert.deepEqual(await fs.list("/"), []);
  },

  async "truncate creates a file that stat, list and read agree on"(fs) {
    await put(fs, "/a.txt", "hello");
    const stat = await fs.stat("/a.txt");
    assert.equal(stat.kind, "file");
    assert.equal(stat.size, 5);
    assert.equal(await get(fs, "/a.txt"), "hello");
    const [entry, ...rest] = await fs.list("/");
    assert.deepEqual(rest, []);
    assert.equal(entry.name, "a.txt");
    assert.equal(entry.stat.kind, "file");
    assert.equal(entry.stat.size, 5);
  },

  async "truncate replaces longer content"(fs) {
    await put(fs, "/a.txt", "hello world");
    await put(fs, "/a.txt", "bye");
    assert.equal(await get(fs, "/a.txt"), "bye");
    assert.equal((await fs.stat("/a.txt")).size, 3);
  },

  async "a sink closed without writing leaves an empty file"(fs) {
    await put(fs, "/a.txt", "hello");
    await (await fs.write("/a.txt", TRUNCATE)).close();
    await (await fs.write("/new.txt", TRUNCATE)).close();
    assert.equal((await fs.stat("/a.txt")).size, 0);
    assert.equal((await fs.stat("/new.txt")).size, 0);
  },

  async "append creates a missing file, then appends"(fs) {
    await put(fs, "/a.txt", "ab", APPEND);
    await put(fs, "/a.txt", "cd", APPEND);
    assert.equal(await get(fs, "/a.txt"), "abcd");
  },

  async "offset keeps the bytes past the written region"(fs) {
    await put(fs, "/a.txt", "0123456789");
    await put(fs, "/a.txt", "AB", { kind: "offset", offset: 2 });
    assert.equal(await get(fs, "/a.txt"), "01AB456789");
    await put(fs, "/a.txt", "XYZ", { kind: "offset", offset: 8 });
    assert.equal(await get(fs, "/a.txt"), "01AB4567XYZ");
  },

  async "offset past the end zero-fills the gap"(fs) {
    await put(fs, "/a.txt", "abc");
    await put(fs, "/a.txt", "Z", { kind: "offset", offset: 5 });
    assert.equal(await get(fs, "/a.txt"), "abc\0\0Z");
    assert.equal((await fs.stat("/a.txt")).size, 6);
  },

  async "offset on a missing file fails with ENOENT and creates nothing"(fs) {
    await rejectsWith(
      fs.write("/a.txt", { kind: "offset", offset: 0 }),
      "ENOENT",
    );
    await rejectsWith(fs.stat("/a.txt"), "ENOENT");
  },

  async "read starts at the given offset"(fs) {
    await put(fs, "/a.txt", "0123456789");
    assert.equal(await get(fs, "/a.txt", 4), "456789");
    assert.equal(await get(fs, "/a.txt", 10), "");
    assert.equal(await get(fs, "/a.txt", 20), "");
  },

  async "a large file survives many chunks and a reused write buffer"(fs) {
    const size = 3 * 1024 * 1024 + 123;
    const expected = new Uint8Array(size);
    for (let i = 0; i < size; i++) expected[i] = (i * 7 + (i >> 11)) & 0xff;
    const sink = await fs.write("/big.bin", TRUNCATE);
    const buffer = new Uint8Array(64 * 1024);
    for (let offset = 0; offset < size; offset += buffer.length) {
      const part = expected.subarray(offset, offset + buffer.length);
      buffer.set(part);
      await sink.write(buffer.subarray(0, part.length));
      buffer.fill(0xee);
    }
    await sink.close();
    assert.equal((await fs.stat("/big.bin")).size, size);
    assert.ok(Buffer.from(await getBytes(fs, "/big.bin")).equals(expected));
    const tail = await getBytes(fs, "/big.bin", size - 1000);
    assert.ok(Buffer.from(tail).equals(expected.subarray(size - 1000)));
  },

  async "closing a sink or a source twice is harmless"(fs) {
    const sink = await fs.write("/a.txt", TRUNCATE);
    await sink.write(new TextEncoder().encode("x"));
    await sink.close();
    await sink.close();
    const source = await fs.read("/a.txt", 0);
    await source.close();
    await source.close();
    assert.equal(await get(fs, "/a.txt"), "x");
  },

  async "read fails with EISDIR, ENOENT or ENOTDIR as POSIX would"(fs) {
    await fs.mkdir("/d");
    await put(fs, "/a.txt", "a");
    await rejectsWith(fs.read("/d", 0), "EISDIR");
    await rejectsWith(fs.read("/", 0), "EISDIR");
    await rejectsWith(fs.read("/missing", 0), "ENOENT");
    await rejectsWith(fs.read("/a.txt/x", 0), "ENOTDIR");
  },

  async "write fails into folders, missing folders and below files"(fs) {
    await fs.mkdir("/d");
    await put(fs, "/a.txt", "a");
    await rejectsWith(fs.write("/d", TRUNCATE), "EISDIR");
    await rejectsWith(fs.write("/d", APPEND), "EISDIR");
    await rejectsWith(fs.write("/", TRUNCATE), "EISDIR");
    await rejectsWith(fs.write("/missing/a.txt", TRUNCATE), "ENOENT");
    await rejectsWith(fs.write("/a.txt/b.txt", TRUNCATE), "ENOTDIR");
    assert.deepEqual(await names(fs, "/"), ["a.txt", "d"]);
  },

  async "stat and list report missing paths and non-folders"(fs) {
    await put(fs, "/a.txt", "a");
    await rejectsWith(fs.stat("/missing"), "ENOENT");
    await rejectsWith(fs.stat("/missing/deeper"), "ENOENT");
    await rejectsWith(fs.stat("/a.txt/x"), "ENOTDIR");
    await rejectsWith(fs.list("/missing"), "ENOENT");
    await rejectsWith(fs.list("/a.txt"), "ENOTDIR");
  },

  async "mkdir creates folders and refuses names in use"(fs) {
    await fs.mkdir("/d");
    await fs.mkdir("/d/e");
    await put(fs, "/d/f.txt", "f");
    assert.equal((await fs.stat("/d")).kind, "directory");
    const listed = (await fs.list("/d")).sort((a, b) =>
      a.name.localeCompare(b.name)
    );
    assert.deepEqual(listed.map((entry) => [entry.name, entry.stat.kind]), [
      ["e", "directory"],
      ["f.txt", "file"],
    ]);
    await rejectsWith(fs.mkdir("/d"), "EEXIST");
    await rejectsWith(fs.mkdir("/d/f.txt"), "EEXIST");
    await rejectsWith(fs.mkdir("/"), "EEXIST");
    await rejectsWith(fs.mkdir("/missing/x"), "ENOENT");
    await rejectsWith(fs.mkdir("/d/f.txt/x"), "ENOTDIR");
  },

  async "rmdir removes an empty folder only"(fs) {
    await fs.mkdir("/d");
    await fs.mkdir("/d/e");
    await put(fs, "/a.txt", "a");
    await rejectsWith(fs.rmdir("/d"), "ENOTEMPTY");
    await rejectsWith(fs.rmdir("/a.txt"), "ENOTDIR");
    await rejectsWith(fs.rmdir("/missing"), "ENOENT");
    await rejectsWith(fs.rmdir("/"), "EPERM");
    await fs.rmdir("/d/e");
    await fs.rmdir("/d");
    assert.deepEqual(await names(fs, "/"), ["a.txt"]);
  },

  async "remove deletes files only"(fs) {
    await fs.mkdir("/d");
    await put(fs, "/a.txt", "a");
    await rejectsWith(fs.remove("/d"), "EISDIR");
    await rejectsWith(fs.remove("/"), "EISDIR");
    await rejectsWith(fs.remove("/missing"), "ENOENT");
    await fs.remove("/a.txt");
    await rejectsWith(fs.stat("/a.txt"), "ENOENT");
    assert.deepEqual(await names(fs, "/"), ["d"]);
  },

  async "rename moves a file and replaces an existing one"(fs) {
    await put(fs, "/a.txt", "a");
    await put(fs, "/b.txt", "bb");
    await fs.rename("/a.txt", "/c.txt");
    await rejectsWith(fs.stat("/a.txt"), "ENOENT");
    assert.equal(await get(fs, "/c.txt"), "a");
    await fs.rename("/c.txt", "/b.txt");
    assert.equal(await get(fs, "/b.txt"), "a");
    assert.deepEqual(await names(fs, "/"), ["b.txt"]);
  },

  async "rename moves a folder with its contents"(fs) {
    await fs.mkdir("/d");
    await fs.mkdir("/d/sub");
    await put(fs, "/d/sub/x.txt", "x");
    await fs.mkdir("/e");
    await fs.rename("/d", "/e/moved");
    assert.equal(await get(fs, "/e/moved/sub/x.txt"), "x");
    assert.deepEqual(await names(fs, "/"), ["e"]);
  },

  async "rename of a folder into its own subtree fails with EINVAL"(fs) {
    await fs.mkdir("/d");
    await fs.mkdir("/d/sub");
    await rejectsWith(fs.rename("/d", "/d/sub/d"), "EINVAL");
    await rejectsWith(fs.rename("/d", "/d/new"), "EINVAL");
    assert.deepEqual(await names(fs, "/d"), ["sub"]);
  },

  async "rename refuses the root and missing paths"(fs) {
    await put(fs, "/a.txt", "a");
    await rejectsWith(fs.rename("/", "/x"), "EPERM");
    await rejectsWith(fs.rename("/a.txt", "/"), "EPERM");
    await rejectsWith(fs.rename("/missing", "/x"), "ENOENT");
    await rejectsWith(fs.rename("/a.txt", "/missing/a.txt"), "ENOENT");
    assert.deepEqual(await names(fs, "/"), ["a.txt"]);
  },

  async "rename follows POSIX between files and folders"(fs) {
    await put(fs, "/a.txt", "a");
    await fs.mkdir("/d");
    await fs.mkdir("/full");
    await put(fs, "/full/x", "x");
    await rejectsWith(fs.rename("/a.txt", "/d"), "EISDIR");
    await rejectsWith(fs.rename("/d", "/a.txt"), "ENOTDIR");
    await rejectsWith(fs.rename("/d", "/full"), "ENOTEMPTY");
    await fs.rename("/full", "/d");
    assert.deepEqual(await names(fs, "/"), ["a.txt", "d"]);
    assert.equal(await get(fs, "/d/x"), "x");
  },

  async "rename to the same path changes nothing"(fs) {
    await put(fs, "/a.txt", "a");
    await fs.mkdir("/d");
    await fs.rename("/a.txt", "/a.txt");
    await fs.rename("/d", "/d");
    assert.equal(await get(fs, "/a.txt"), "a");
    assert.equal((await fs.stat("/d")).kind, "directory");
  },

  async "chmod sets the permission bits"(fs) {
    const chmod = chmodOf(fs);
    await put(fs, "/a.txt", "a");
    await fs.mkdir("/d");
    await chmod("/a.txt", 0o600);
    await chmod("/d", 0o700);
    assert.equal((await fs.stat("/a.txt")).mode, 0o600);
    assert.equal((await fs.stat("/d")).mode, 0o700);
    await chmod("/a.txt", 0o100755);
    assert.equal((await fs.stat("/a.txt")).mode, 0o755);
    await rejectsWith(chmod("/missing", 0o600), "ENOENT");
  },

  async "setModifiedTime sets the modification time"(fs) {
    const setModifiedTime = setModifiedTimeOf(fs);
    await put(fs, "/a.txt", "a");
    await fs.mkdir("/d");
    await setModifiedTime("/a.txt", PAST);
    await setModifiedTime("/d", PAST + 1000);
    assert.equal((await fs.stat("/a.txt")).mtimeMs, PAST);
    assert.equal((await fs.stat("/d")).mtimeMs, PAST + 1000);
    await rejectsWith(setModifiedTime("/missing", PAST), "ENOENT");
  },

  async "writing updates the modification time"(fs) {
    const setModifiedTime = setModifiedTimeOf(fs);
    await put(fs, "/a.txt", "a");
    await setModifiedTime("/a.txt", PAST);
    await put(fs, "/a.txt", "b", APPEND);
    assert.ok((await fs.stat("/a.txt")).mtimeMs > PAST);
    await setModifiedTime("/a.txt", PAST);
    await put(fs, "/a.txt", "c");
    assert.ok((await fs.stat("/a.txt")).mtimeMs > PAST);
  },

  async "unique tells entries apart and survives a rename"(fs) {
    await put(fs, "/a.txt", "a");
    await put(fs, "/b.txt", "b");
    await fs.mkdir("/d");
    const a = (await fs.stat("/a.txt")).unique;
    const b = (await fs.stat("/b.txt")).unique;
    const d = (await fs.stat("/d")).unique;
    assert.equal(typeof a, "string");
    assert.equal(new Set([a, b, d]).size, 3);
    assert.equal((await fs.stat("/a.txt")).unique, a);
    await fs.rename("/a.txt", "/d/a.txt");
    assert.equal((await fs.stat("/d/a.txt")).unique, a);
  },

  async "new entries get owner read and write permission"(fs) {
    await put(fs, "/a.txt", "a");
    await fs.mkdir("/d");
    assert.equal((await fs.stat("/a.txt")).mode & 0o600, 0o600);
    assert.equal((await fs.stat("/d")).mode & 0o700, 0o700);
  },

  async "paths that are relative or climb are refused with EACCES"(fs) {
    await put(fs, "/a.txt", "a");
    await fs.mkdir("/d");
    await rejectsWith(fs.stat("/../a.txt"), "EACCES");
    await rejectsWith(fs.stat("/d/.."), "EACCES");
    await rejectsWith(fs.list("/d/./"), "EACCES");
    await rejectsWith(fs.read("a.txt", 0), "EACCES");
    await rejectsWith(fs.write("/d/../b.txt", TRUNCATE), "EACCES");
    await rejectsWith(fs.mkdir("/d/../../e"), "EACCES");
    await rejectsWith(fs.rmdir("/d/.."), "EACCES");
    await rejectsWith(fs.remove("/d/../a.txt"), "EACCES");
    await rejectsWith(fs.rename("/a.txt", "/../a.txt"), "EACCES");
    await rejectsWith(fs.rename("/d/../a.txt", "/b.txt"), "EACCES");
    await rejectsWith(fs.stat("/a.txt\0"), "EINVAL");
    assert.deepEqual(await names(fs, "/"), ["a.txt", "d"]);
  },
};

/**
 * Registers every contract case as a top-level test named `label: case`,
 * each against a fresh subject from `open`.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../src/fs/memory.ts";
 * import { fileSystemContract } from "./_fs_contract.ts";
 * fileSystemContract("memory", () =>
 *   Promise.resolve({ fs: new MemoryFileSystem(), cleanup: () => Promise.resolve() }));
 * ```
 */
export function fileSystemContract(
  label: string,
  open: () => Promise<ContractSubject>,
): void {
  for (const [name, run] of Object.entries(CASES)) {
    test(`${label}: ${name}`, async () => {
      const subject = await open();
      try {
        await run(subject.fs);
      } finally {
        await subject.cleanup();
      }
    });
  }
}
