/**
 * A {@link FileSystem} held entirely in memory, for tests and fixtures.
 *
 * @module
 */

import { FileSystemError } from "./file_system.ts";
import type {
  FileSink,
  FileSource,
  FileStat,
  FileSystem,
  ListEntry,
  WriteMode,
} from "./file_system.ts";
import { pathSegments, resolvePath } from "../path.ts";

/** Largest chunk a reader hands out; big enough to keep sockets busy. */
const READ_CHUNK = 256 * 1024;

interface NodeBase {
  readonly id: number;
  mtimeMs: number;
  mode: number;
}

interface FileNode extends NodeBase {
  readonly kind: "file";
  /**
   * `data[0, size)` is the content; the rest is spare room for appends, all
   * zeros (nothing is written past `size` but the bytes that then extend it).
   * Bytes below `size` are never changed in place, because readers hold views
   * of them: a write that touches them installs a new buffer instead.
   */
  data: Uint8Array;
  size: number;
}

interface FolderNode extends NodeBase {
  readonly kind: "directory";
  readonly children: Map<string, MemoryNode>;
}

type MemoryNode = FileNode | FolderNode;

/** Where a path lands: its parent folder (null for `/`), name and node. */
interface Place {
  readonly segments: string[];
  readonly parent: FolderNode | null;
  readonly name: string;
  readonly entry: MemoryNode | undefined;
}

/** Options for {@link MemoryFileSystem}.
 *
 * @example
 * ```ts
 * import type { MemoryFileSystemOptions } from "./memory.ts";
 * const options: MemoryFileSystemOptions = { files: { "/readme.txt": "hi" } };
 * ```
 */
export interface MemoryFileSystemOptions {
  /** Files to start with, by path; strings are stored as UTF-8 and missing
   * parent folders are created. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
}

/**
 * A tree of folders and files in memory.
 *
 * A {@link FileSink}'s data becomes visible when it is closed (the file itself
 * is created when it is opened) and is dropped when the upload fails, so
 * every upload is atomic; a {@link FileSource} reads the content as it was
 * when opened, whatever is written meanwhile.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "./memory.ts";
 * const fs = new MemoryFileSystem({ files: { "/docs/a.txt": "hello" } });
 * console.log((await fs.stat("/docs/a.txt")).size); // 5
 * console.log((await fs.list("/docs")).map((entry) => entry.name)); // ["a.txt"]
 * ```
 */
export class MemoryFileSystem implements FileSystem {
  readonly #root: FolderNode;
  #lastId = 0;

  /** Starts with an empty root, plus any `options.files`; throws
   * `ENOTDIR`/`EISDIR` when those paths contradict each other. */
  constructor(options: MemoryFileSystemOptions = {}) {
    this.#root = this.#newFolder();
    for (const [path, content] of Object.entries(options.files ?? {})) {
      this.#seed(resolvePath("/", path), content);
    }
  }

  stat(path: string): Promise<FileStat> {
    return attempt(() => statOf(this.#find(path)));
  }

  list(path: string): Promise<ListEntry[]> {
    return attempt(() => {
      const folder = this.#find(path);
      if (folder.kind !== "directory") throw fail("ENOTDIR", path);
      return [...folder.children].map(([name, node]) => ({
        name,
        stat: statOf(node),
      }));
    });
  }

  read(path: string, start: number): Promise<FileSource> {
    return attempt(() => {
      checkOffset(start);
      const file = this.#find(path);
      if (file.kind !== "file") throw fail("EISDIR", path);
      return openSource(
        file.data.subarray(Math.min(start, file.size), file.size),
      );
    });
  }

  write(path: string, mode: WriteMode): Promise<FileSink> {
    return attempt(() => {
      if (mode.kind === "offset") checkOffset(mode.offset);
      const { parent, name, entry } = this.#place(path);
      if (!parent || entry?.kind === "directory") throw fail("EISDIR", path);
      if (entry) return openSink(entry, mode);
      if (mode.kind === "offset") throw fail("ENOENT", path);
      const file = this.#newFile(new Uint8Array(0));
      adopt(parent, name, file);
      return openSink(file, mode);
    });
  }

  /** Creates one folder; its parent must exist (`EEXIST` if taken). */
  mkdir(path: string): Promise<void> {
    return attempt(() => {
      const { parent, name, entry } = this.#place(path);
      if (!parent || entry) throw fail("EEXIST", path);
      adopt(parent, name, this.#newFolder());
    });
  }

  /** Removes an empty folder (`ENOTEMPTY` otherwise; `EPERM` for `/`). */
  rmdir(path: string): Promise<void> {
    return attempt(() => {
      const { parent, name, entry } = this.#existing(path);
      if (!parent) throw fail("EPERM", path);
      if (entry.kind !== "directory") throw fail("ENOTDIR", path);
      if (entry.children.size > 0) throw fail("ENOTEMPTY", path);
      disown(parent, name);
    });
  }

  remove(path: string): Promise<void> {
    return attempt(() => {
      const { parent, name, entry } = this.#existing(path);
      if (!parent || entry.kind !== "file") throw fail("EISDIR", path);
      disown(parent, name);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return attempt(() => {
      const source = this.#existing(from);
      if (!source.parent) throw fail("EPERM", from);
      const moved = source.entry;
      if (
        moved.kind === "directory" && isBelow(pathSegments(to), source.segments)
      ) {
        throw fail("EINVAL", to);
      }
      const target = this.#place(to);
      if (!target.parent) throw fail("EPERM", to);
      if (target.entry === moved) return;
      if (target.entry?.kind === "directory") {
        if (moved.kind !== "directory") throw fail("EISDIR", to);
        if (target.entry.children.size > 0) throw fail("ENOTEMPTY", to);
      } else if (target.entry && moved.kind === "directory") {
        throw fail("ENOTDIR", to);
      }
      disown(source.parent, source.name);
      adopt(target.parent, target.name, moved);
    });
  }

  chmod(path: string, mode: number): Promise<void> {
    return attempt(() => {
      this.#find(path).mode = mode & 0o7777;
    });
  }

  setModifiedTime(path: string, mtimeMs: number): Promise<void> {
    return attempt(() => {
      this.#find(path).mtimeMs = mtimeMs;
    });
  }

  #newFolder(): FolderNode {
    const id = ++this.#lastId;
    return {
      kind: "directory",
      id,
      mtimeMs: Date.now(),
      mode: 0o755,
      children: new Map(),
    };
  }

  #newFile(data: Uint8Array): FileNode {
    const id = ++this.#lastId;
    return {
      kind: "file",
      id,
      mtimeMs: Date.now(),
      mode: 0o644,
      data,
      size: data.length,
    };
  }

  #seed(path: string, content: string | Uint8Array): void {
    const segments = pathSegments(path);
    const name = segments.pop();
    if (name === undefined) throw fail("EISDIR", path);
    let folder = this.#root;
    for (const segment of segments) {
      const child = folder.children.get(segment) ?? this.#newFolder();
      if (child.kind !== "directory") throw fail("ENOTDIR", path);
      folder.children.set(segment, child);
      folder = child;
    }
    if (folder.children.get(name)?.kind === "directory") {
      throw fail("EISDIR", path);
    }
    const data = typeof content === "string"
      ? new TextEncoder().encode(content)
      : new Uint8Array(content);
    folder.children.set(name, this.#newFile(data));
  }

  /** Walks `segments` from the root; missing names and files on the way fail. */
  #walk(segments: readonly string[], path: string): MemoryNode {
    let current: MemoryNode = this.#root;
    for (const segment of segments) {
      if (current.kind !== "directory") throw fail("ENOTDIR", path);
      const child: MemoryNode | undefined = current.children.get(segment);
      if (!child) throw fail("ENOENT", path);
      current = child;
    }
    return current;
  }

  #find(path: string): MemoryNode {
    return this.#walk(pathSegments(path), path);
  }

  /** Locates `path`, which need not exist, though its parent folder must. */
  #place(path: string): Place {
    const segments = pathSegments(path);
    if (segments.length === 0) {
      return { segments, parent: null, name: "", entry: this.#root };
    }
    const parent = this.#walk(segments.slice(0, -1), path);
    if (parent.kind !== "directory") throw fail("ENOTDIR", path);
    const name = segments[segments.length - 1];
    return { segments, parent, name, entry: parent.children.get(name) };
  }

  #existing(path: string): Place & { readonly entry: MemoryNode } {
    const place = this.#place(path);
    const { entry } = place;
    if (!entry) throw fail("ENOENT", path);
    return { ...place, entry };
  }
}

/** Runs a synchronous operation, turning a throw into a rejection. */
function attempt<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error);
  }
}

const MESSAGES: Readonly<Record<string, string>> = {
  EACCES: "Permission denied",
  EBADF: "File already closed",
  EEXIST: "File exists",
  EINVAL: "Invalid argument",
  EISDIR: "Is a folder",
  ENOENT: "No such file or folder",
  ENOTDIR: "Not a folder",
  ENOTEMPTY: "Folder not empty",
  EPERM: "Operation not permitted",
};

function fail(code: string, path: string): FileSystemError {
  return new FileSystemError(code, `${MESSAGES[code] ?? code}: ${path}`);
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new FileSystemError("EINVAL", `Invalid file offset: ${offset}`);
  }
}

function statOf(item: MemoryNode): FileStat {
  const { kind, mtimeMs, mode } = item;
  const unique = `m${item.id.toString(16)}`;
  if (kind === "file") {
    return { kind, size: item.size, mtimeMs, mode, nlink: 1, unique };
  }
  let nlink = 2;
  for (const child of item.children.values()) {
    if (child.kind === "directory") nlink++;
  }
  return { kind, size: 0, mtimeMs, mode, nlink, unique };
}

/** Whether `inner` names something strictly below `outer`. */
function isBelow(inner: readonly string[], outer: readonly string[]): boolean {
  return inner.length > outer.length &&
    outer.every((segment, i) => inner[i] === segment);
}

function adopt(folder: FolderNode, name: string, item: MemoryNode): void {
  folder.children.set(name, item);
  folder.mtimeMs = Date.now();
}

function disown(folder: FolderNode, name: string): void {
  folder.children.delete(name);
  folder.mtimeMs = Date.now();
}

/** `bytes` if it has room for `needed` bytes, else a copy of its first `used`
 * bytes in a buffer at least twice as large, so appends cost amortised O(1). */
function withRoom(bytes: Uint8Array, used: number, needed: number): Uint8Array {
  if (needed <= bytes.length) return bytes;
  const grown = new Uint8Array(Math.max(needed, bytes.length * 2, 4096));
  grown.set(bytes.subarray(0, used));
  return grown;
}

function openSource(content: Uint8Array): FileSource {
  let position = 0;
  return {
    read() {
      if (position >= content.length) return Promise.resolve(null);
      const chunk = content.subarray(position, position + READ_CHUNK);
      position += chunk.length;
      return Promise.resolve(chunk);
    },
    close() {
      position = content.length;
      return Promise.resolve();
    },
  };
}

/** Collects written bytes privately and applies them to `file` on close. */
function openSink(file: FileNode, mode: WriteMode): FileSink {
  let buffer: Uint8Array = new Uint8Array(0);
  let length = 0;
  let closed = false;
  return {
    write(data) {
      if (closed) {
        return Promise.reject(new FileSystemError("EBADF", MESSAGES.EBADF));
      }
      buffer = withRoom(buffer, length, length + data.length);
      buffer.set(data, length);
      length += data.length;
      return Promise.resolve();
    },
    close() {
      if (!closed) {
        closed = true;
        commit(file, mode, buffer, length);
      }
      return Promise.resolve();
    },
    // A failed upload leaves the file as it was (a new one stays empty).
    abort() {
      closed = true;
      return Promise.resolve();
    },
  };
}

/** Applies a closed sink's `buffer[0, length)` to `file`. */
function commit(
  file: FileNode,
  mode: WriteMode,
  buffer: Uint8Array,
  length: number,
): void {
  if (mode.kind === "truncate") {
    // The sink's buffer, spare room included, becomes the file's own.
    file.data = buffer;
    file.size = length;
  } else if (length > 0) {
    const start = mode.kind === "append" ? file.size : mode.offset;
    overlay(file, start, buffer.subarray(0, length));
  } else {
    return;
  }
  file.mtimeMs = Date.now();
}

/** Writes `bytes` into `file` at `start`, zero-filling any gap past the end. */
function overlay(file: FileNode, start: number, bytes: Uint8Array): void {
  const end = start + bytes.length;
  if (start >= file.size) {
    // Only the spare room past `size` changes, which no reader can see; it
    // is still zero, so a gap past the end reads as zeros.
    file.data = withRoom(file.data, file.size, end);
  } else {
    const data = new Uint8Array(Math.max(file.data.length, end));
    data.set(file.data.subarray(0, file.size));
    file.data = data;
  }
  file.data.set(bytes, start);
  file.size = Math.max(file.size, end);
}
