/**
 * A {@link FileSystem} backed by a real folder, jailed inside it.
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
import type { FileInfo, FileKind, FilePort, Runtime } from "../port.ts";
import { loadRuntime } from "../runtime/load.ts";
import { pathSegments } from "../path.ts";

/** Options for {@link LocalFileSystem}.
 *
 * @example
 * ```ts
 * import type { LocalFileSystemOptions } from "./local.ts";
 * const options: LocalFileSystemOptions = {};
 * ```
 */
export interface LocalFileSystemOptions {
  /** The runtime whose file port reaches the disk (default: the detected one). */
  readonly runtime?: Runtime;
  /** Uploads that replace a whole file (STOR) go to a temporary file in the
   * same folder, renamed over the target only once complete, so a failed
   * or aborted upload never replaces a good file. Appends and REST resumes
   * write in place (their point is to keep what is there). Default true. */
  readonly atomicUploads?: boolean;
}

/** The disk and the root's canonical path, as every operation needs them. */
interface Jail {
  readonly files: FilePort;
  readonly root: string;
}

/** A virtual path checked against the jail. */
interface Resolved extends Jail {
  /** Whether the path is the user's root. */
  readonly isRoot: boolean;
  /** The entry itself: its canonical parent plus its name. Operations that
   * act on a name rather than on what it points to (unlink, rename, rmdir)
   * use this, so a symlink is removed, not its target. */
  readonly entry: string;
  /** The canonical path the entry leads to, inside the root, or null when
   * nothing exists there yet. */
  readonly target: string | null;
}

/**
 * Serves a real folder as the user's root.
 *
 * No path may reach outside `root`: `.` and `..` segments are refused, and
 * every path is checked with `realpath`, so a symlink (at any depth) that
 * points outside the root, or dangles, cannot be followed: such operations
 * throw `EACCES`. Symlinks that stay inside the root work normally, and
 * `list()` shows the others as `symlink` entries without following them.
 *
 * @example
 * ```ts
 * import { LocalFileSystem } from "./local.ts";
 * const fs = new LocalFileSystem("/srv/ftp/alice");
 * for (const entry of await fs.list("/")) console.log(entry.name, entry.stat.size);
 * ```
 */
export class LocalFileSystem implements FileSystem {
  readonly #root: string;
  readonly #atomicUploads: boolean;
  #runtime: Runtime | undefined;
  #realRoot: string | undefined;

  /** Serves `root` (resolved on first use, so it may not exist yet). */
  constructor(root: string, options: LocalFileSystemOptions = {}) {
    this.#root = root;
    this.#runtime = options.runtime;
    this.#atomicUploads = options.atomicUploads ?? true;
  }

  async stat(path: string): Promise<FileStat> {
    const { files, target } = await this.#existing(path);
    return new LocalStat(await files.stat(target));
  }

  async list(path: string): Promise<ListEntry[]> {
    const folder = await this.#existing(path);
    // Links keep their place, so the entries stay in readDir's name order
    // and the listing commands need not sort them.
    const entries: (ListEntry | null)[] = [];
    const links: Promise<void>[] = [];
    for (const { name, info } of await folder.files.readDir(folder.target)) {
      if (info.kind === "symlink") {
        const slot = entries.push(null) - 1;
        links.push(describeLink(folder, folder.target, name, info).then((entry) => void (entries[slot] = entry)));
      } else {
        entries.push({ name, stat: new LocalStat(info) });
      }
    }
    if (links.length === 0) return entries as ListEntry[];
    await Promise.all(links);
    return entries.filter((entry) => entry !== null);
  }

  async read(path: string, start: number): Promise<FileSource> {
    const { files, target } = await this.#existing(path);
    const source = await files.openRead(target, start);
    await this.#recheck(path, target, source);
    return source;
  }

  async write(path: string, mode: WriteMode): Promise<FileSink> {
    const { files, isRoot, entry, target } = await this.#resolve(path);
    if (isRoot) throw fail("EISDIR", path);
    const destination = target ?? entry;
    if (mode.kind !== "truncate" || !this.#atomicUploads) {
      const sink = await files.openWrite(destination, mode);
      await this.#recheck(path, destination, sink);
      return sink;
    }
    if (target !== null && (await files.stat(target)).kind === "directory") throw fail("EISDIR", path);
    const cut = destination.lastIndexOf("/");
    const temporary = `${destination.slice(0, cut)}/.${destination.slice(cut + 1)}.${randomTag()}.part`;
    const sink = await files.openWrite(temporary, mode);
    try {
      await this.#recheck(path, destination, null);
    } catch (error) {
      await sink.close();
      await files.unlink(temporary).catch(() => {});
      throw error;
    }
    return atomicSink(files, sink, temporary, destination);
  }

  /**
   * Closes the window between checking a path and opening it: a folder on
   * the way swapped for a symlink to the outside meanwhile makes the path
   * resolve elsewhere now, and the opened handle is closed with `EACCES`.
   * (The port has no descriptor-relative opens, so a swap that is undone
   * between the open and this check stays unseen.)
   */
  async #recheck(path: string, expected: string, opened: { close(): Promise<void> } | null): Promise<void> {
    let now: string | null;
    try {
      const again = await this.#resolve(path);
      now = again.target ?? again.entry;
    } catch (error) {
      now = null;
      if (codeOf(error) !== "EACCES") now = expected;
    }
    if (now === expected) return;
    await opened?.close();
    throw fail("EACCES", path);
  }

  /** Creates one folder; its parent must exist (`EEXIST` if taken). */
  async mkdir(path: string): Promise<void> {
    const { files, entry, target } = await this.#resolve(path);
    if (target !== null) throw fail("EEXIST", path);
    await files.mkdir(entry);
  }

  /** Removes an empty folder (`ENOTEMPTY` otherwise; `EPERM` for `/`). */
  async rmdir(path: string): Promise<void> {
    const { files, isRoot, entry } = await this.#existing(path);
    if (isRoot) throw fail("EPERM", path);
    await files.rmdir(entry);
  }

  async remove(path: string): Promise<void> {
    const { files, isRoot, entry } = await this.#existing(path);
    if (isRoot) throw fail("EISDIR", path);
    await files.unlink(entry);
  }

  async rename(from: string, to: string): Promise<void> {
    const source = await this.#existing(from);
    const destination = await this.#resolve(to);
    if (source.isRoot) throw fail("EPERM", from);
    if (destination.isRoot) throw fail("EPERM", to);
    await source.files.rename(source.entry, destination.entry);
  }

  async chmod(path: string, mode: number): Promise<void> {
    const { files, target } = await this.#existing(path);
    await files.chmod(target, mode & 0o7777);
  }

  async setModifiedTime(path: string, mtimeMs: number): Promise<void> {
    const { files, target } = await this.#existing(path);
    await files.utime(target, Date.now(), mtimeMs);
  }

  /** Free space of the real file system holding `path`, as statfs tells
   * it to an unprivileged user. */
  async availableSpace(path: string): Promise<number> {
    const { files, target } = await this.#existing(path);
    return await files.availableSpace(target);
  }

  async #jail(): Promise<Jail> {
    this.#runtime ??= await loadRuntime();
    const { files } = this.#runtime;
    // Resolved on first use rather than in the constructor, so the folder may
    // be created after the instance; a missing root fails each call (ENOENT).
    this.#realRoot ??= await files.realpath(this.#root);
    return { files, root: this.#realRoot };
  }

  /** Checks `path` against the jail; it need not exist, but its parent must. */
  async #resolve(path: string): Promise<Resolved> {
    const segments = pathSegments(path);
    const jail = await this.#jail();
    const name = segments.pop();
    if (name === undefined) {
      return { ...jail, isRoot: true, entry: jail.root, target: jail.root };
    }
    const parent = await canonicalParent(jail, segments, path);
    const entry = join(parent, name);
    let info: FileInfo;
    try {
      info = await jail.files.lstat(entry);
    } catch (error) {
      if (codeOf(error) !== "ENOENT") throw error;
      return { ...jail, isRoot: false, entry, target: null };
    }
    const target = info.kind === "symlink"
      ? await followLink(jail, entry, path)
      : entry;
    return { ...jail, isRoot: false, entry, target };
  }

  async #existing(
    path: string,
  ): Promise<Resolved & { readonly target: string }> {
    const resolved = await this.#resolve(path);
    const { target } = resolved;
    if (target === null) throw fail("ENOENT", path);
    return { ...resolved, target };
  }
}

/** Why `realpath` may fail on a path that leads outside, or nowhere. */
const WALK_UP_CODES: ReadonlySet<unknown> = new Set([
  "ENOENT",
  "ENOTDIR",
  "ELOOP",
]);

/**
 * The canonical path of the folder named by `segments` under the root, which
 * must lie inside the root. When it cannot be resolved, the deepest ancestor
 * that exists is checked instead, so that a missing name behind a symlink to
 * the outside (or a dangling or looping one) reports `EACCES` and not whether
 * the outside has that name.
 */
async function canonicalParent(
  jail: Jail,
  segments: readonly string[],
  path: string,
): Promise<string> {
  const native = nativePath(jail.root, segments);
  try {
    return checkInside(jail, await jail.files.realpath(native), path);
  } catch (error) {
    if (!WALK_UP_CODES.has(codeOf(error))) throw error;
    for (let depth = segments.length; depth > 0; depth--) {
      if (
        await existingAncestorIsInside(
          jail,
          nativePath(jail.root, segments.slice(0, depth)),
          path,
        )
      ) {
        break;
      }
    }
    throw error;
  }
}

/** For an ancestor of an unresolvable `path`: false if it does not exist
 * either, true if it exists inside the root; throws `EACCES` otherwise. */
async function existingAncestorIsInside(
  jail: Jail,
  native: string,
  path: string,
): Promise<boolean> {
  let info: FileInfo;
  try {
    info = await jail.files.lstat(native);
  } catch {
    return false;
  }
  if (info.kind === "symlink") await followLink(jail, native, path);
  else checkInside(jail, await jail.files.realpath(native), path);
  return true;
}

/** Where the symlink `native` leads; `EACCES` (naming the virtual `path`) if
 * that is outside the root or nowhere, since a dangling link could create a
 * file wherever it points. */
async function followLink(
  jail: Jail,
  native: string,
  path: string,
): Promise<string> {
  let real: string;
  try {
    real = await jail.files.realpath(native);
  } catch {
    throw fail("EACCES", path);
  }
  return checkInside(jail, real, path);
}

function checkInside(jail: Jail, real: string, path: string): string {
  const { root } = jail;
  if (real !== root && !real.startsWith(join(root, ""))) {
    throw fail("EACCES", path);
  }
  return real;
}

function nativePath(root: string, segments: readonly string[]): string {
  return segments.length === 0 ? root : join(root, segments.join("/"));
}

function join(folder: string, relative: string): string {
  return folder.endsWith("/")
    ? `${folder}${relative}`
    : `${folder}/${relative}`;
}

/** A symlink's listing entry: what it points to when that stays inside the
 * root; otherwise the link itself, never its target's metadata. Null when it
 * vanished while the folder was being read. */
async function describeLink(
  jail: Jail,
  folder: string,
  name: string,
  info: FileInfo,
): Promise<ListEntry | null> {
  const native = join(folder, name);
  try {
    const real = await followLink(jail, native, native).catch(() => null);
    if (real !== null) return { name, stat: new LocalStat(await jail.files.stat(real)) };
    return { name, stat: new LocalStat(info, await jail.files.readLink(native)) };
  } catch (error) {
    if (codeOf(error) === "ENOENT") return null;
    throw error;
  }
}

function randomTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A sink that writes `temporary` and, on close, renames it over
 * `destination`; abort() removes it instead. */
function atomicSink(files: FilePort, sink: FileSink, temporary: string, destination: string): FileSink {
  let settled = false;
  return {
    write: (data) => sink.write(data),
    receive: sink.receive && ((source) => sink.receive!(source)),
    async close() {
      if (settled) return;
      settled = true;
      try {
        await sink.close();
        await files.rename(temporary, destination);
      } catch (error) {
        await files.unlink(temporary).catch(() => {});
        throw error;
      }
    },
    async abort() {
      if (settled) return;
      settled = true;
      await sink.close().catch(() => {});
      await files.unlink(temporary).catch(() => {});
    },
  };
}

/** A class, not an object literal with a getter, which one engine builds
 * ten times slower, per entry of every listing. */
class LocalStat implements FileStat {
  readonly kind: FileKind;
  readonly size: number;
  readonly mtimeMs: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly linkTarget: string | undefined;
  readonly #info: FileInfo;

  constructor(info: FileInfo, linkTarget?: string) {
    this.kind = info.kind;
    this.size = info.size;
    this.mtimeMs = info.mtimeMs;
    this.mode = info.mode;
    this.nlink = info.nlink;
    this.uid = info.uid;
    this.gid = info.gid;
    this.linkTarget = linkTarget;
    this.#info = info;
  }

  /** Formatted only when asked for (MLSx with the fact on): a listing of a
   * big folder would otherwise format two hex numbers per entry for nothing. */
  get unique(): string {
    const { dev, ino } = this.#info;
    if (dev !== lastDevice.dev) lastDevice = { dev, hex: dev.toString(16) };
    return `${lastDevice.hex}g${ino.toString(16)}`;
  }
}

/** A folder's entries share their device. */
let lastDevice = { dev: NaN, hex: "" };

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

function fail(code: string, path: string): FileSystemError {
  return new FileSystemError(code, `${code}: ${path}`);
}
