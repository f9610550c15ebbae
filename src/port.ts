/**
 * The runtime port: everything the FTP core needs from the outside world.
 *
 * The core (every file under `src/` except `src/runtime/`) reaches sockets and
 * the real file system only through these interfaces. Each adapter in
 * `src/runtime/` implements {@link Runtime} with its runtime's native API.
 * Timers are the Web-standard `setTimeout`/`clearTimeout`, which all three
 * runtimes share, so they need no adapter.
 *
 * TLS (FTPS) plugs in as {@link Runtime.upgradeTls}, which turns an accepted
 * plain {@link Connection} into an encrypted one. Every connection of a
 * server is upgraded with one shared {@link TlsContext}, so that data
 * connections can resume the control connection's session. The result is
 * again a `Connection`, so sessions and data channels need no TLS code.
 *
 * @module
 */

/** An IP endpoint. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are always
 * reported as plain IPv4 (`a.b.c.d`, family `IPv4`).
 *
 * @example
 * ```ts
 * import type { SocketAddress } from "./port.ts";
 * const peer: SocketAddress = { address: "127.0.0.1", port: 50123, family: "IPv4" };
 * ```
 */
export interface SocketAddress {
  /** The IP address as text, without brackets (`127.0.0.1`, `::1`). */
  readonly address: string;
  /** The TCP port number, 0-65535. */
  readonly port: number;
  /** The IP version of `address`; decides, for example, whether PASV (IPv4
   * only) can be answered and which protocol number EPSV/EPRT use. */
  readonly family: "IPv4" | "IPv6";
}

/** A connected TCP (or, later, TLS) byte stream.
 *
 * @example
 * ```ts
 * import type { Connection } from "./port.ts";
 * async function echo(conn: Connection): Promise<void> {
 *   for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
 *     await conn.write(chunk);
 *   }
 *   conn.close();
 * }
 * ```
 */
export interface Connection {
  /** This end: on an accepted connection, the server address the client
   * reached, which is what PASV/EPSV announce. */
  readonly localAddress: SocketAddress;
  /** The peer's end; used in logs and login requests, and to check that a
   * passive data connection comes from the control connection's client. */
  readonly remoteAddress: SocketAddress;
  /**
   * The next chunk of received bytes, or `null` once the peer has finished
   * sending (or the connection was closed). The returned bytes stay valid only
   * until the next call, so adapters may reuse one receive buffer. While no
   * `read()` is pending the adapter stops reading from the socket, which is the
   * receive-side backpressure. At most one `read()` may be pending.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Sends every byte of `data` (adapters loop over short writes). Resolves once
   * the runtime no longer needs `data`, so the caller may reuse the buffer, and
   * only when the socket's send buffer has room again (send-side backpressure).
   * Rejects if the connection is closed or reset.
   */
  write(data: Uint8Array): Promise<void>;
  /** Half-close: sends FIN after everything written so far; reading goes on. */
  closeWrite(): Promise<void>;
  /** Closes both directions at once; pending reads resolve `null`. Idempotent. */
  close(): void;
  /** Turns Nagle's algorithm off (true) or on (false). */
  setNoDelay(noDelay: boolean): void;
  /** Resolves once the connection is fully closed, by either side. */
  readonly closed: Promise<void>;
}

/** What to listen on.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "./port.ts";
 * const options: ListenOptions = {
 *   host: "127.0.0.1",
 *   port: 0,
 *   onConnection: (conn) => conn.close(),
 * };
 * ```
 */
export interface ListenOptions {
  /** Address to bind; `"::"` or `"0.0.0.0"` for all interfaces. */
  readonly host: string;
  /** Port to bind; 0 lets the system choose. */
  readonly port: number;
  /** Listen backlog (default 511). */
  readonly backlog?: number;
  /** Lets other processes listen on the same port too (`SO_REUSEPORT`), the
   * kernel spreading incoming connections among them (Linux). */
  readonly reusePort?: boolean;
  /** Called once for each accepted connection. */
  readonly onConnection: (conn: Connection) => void;
  /** Accepted connections will be handed to {@link Runtime.upgradeTls}; an
   * adapter whose fastest sockets can't be upgraded uses another kind. */
  readonly upgradable?: boolean;
  /** Connections will carry file data (data channels): an adapter may read
   * them into large buffers. Control connections, idle by the thousand,
   * leave it unset. */
  readonly bulk?: boolean;
}

/** A bound, listening TCP socket.
 *
 * @example
 * ```ts
 * import type { Listener } from "./port.ts";
 * function describe(listener: Listener): string {
 *   return `${listener.address.address}:${listener.address.port}`;
 * }
 * ```
 */
export interface Listener {
  /** The bound address; the real port when 0 was asked for. */
  readonly address: SocketAddress;
  /** Stops accepting; already accepted connections are not touched. */
  close(): Promise<void>;
}

/** Where to connect (active-mode data connections, test clients).
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "./port.ts";
 * const target: ConnectOptions = { host: "127.0.0.1", port: 2121 };
 * ```
 */
export interface ConnectOptions {
  /** The peer's IP address (or host name). */
  readonly host: string;
  /** The peer's TCP port, 1-65535. */
  readonly port: number;
  /** Source address to bind before connecting, where the runtime allows it. */
  readonly localAddress?: string;
  /** The connection will be handed to {@link Runtime.upgradeTls}. */
  readonly upgradable?: boolean;
  /** The connection will carry file data: see {@link ListenOptions.bulk}. */
  readonly bulk?: boolean;
}

/** What kind of thing a path names. Symlinks are only reported by `lstat`
 * and `readDir`.
 *
 * @example
 * ```ts
 * import type { FileKind } from "./port.ts";
 * const kind: FileKind = "directory";
 * ```
 */
export type FileKind = "file" | "directory" | "symlink" | "other";

/** File metadata, as `stat(2)` gives it.
 *
 * @example
 * ```ts
 * import type { FileInfo } from "./port.ts";
 * const info: FileInfo = {
 *   kind: "file", size: 3, mtimeMs: Date.now(), mode: 0o644,
 *   nlink: 1, uid: 0, gid: 0, dev: 1, ino: 2,
 * };
 * ```
 */
export interface FileInfo {
  /** What the path names; `symlink` only from `lstat`, since `stat` follows
   * links. */
  readonly kind: FileKind;
  /** Size in bytes, as the system reports it (not meaningful for folders). */
  readonly size: number;
  /** Last modification, in milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  /** Number of hard links (1 where the runtime cannot tell). */
  readonly nlink: number;
  /** Numeric owner id (0 where the runtime cannot tell). */
  readonly uid: number;
  /** Numeric group id (0 where the runtime cannot tell). */
  readonly gid: number;
  /** Id of the device holding the file; with `ino` it identifies the file. */
  readonly dev: number;
  /** Inode number, unique within `dev`. */
  readonly ino: number;
}

/** One directory entry with its metadata, as `readdir` plus `lstat` give it.
 *
 * @example
 * ```ts
 * import type { DirEntry, FileInfo } from "./port.ts";
 * declare const info: FileInfo;
 * const entry: DirEntry = { name: "notes.txt", kind: "file", info };
 * ```
 */
export interface DirEntry {
  /** The entry's own name, without the folder's path; never `.` or `..`. */
  readonly name: string;
  /** What the entry is, without following symlinks (a link is `symlink`). */
  readonly kind: FileKind;
  /** The entry's own metadata, as `lstat` gives it. */
  readonly info: FileInfo;
}

/** A file opened for reading, from an offset on.
 *
 * @example
 * ```ts
 * import type { FileSource } from "./port.ts";
 * async function drain(source: FileSource): Promise<number> {
 *   let total = 0;
 *   try {
 *     for (let chunk = await source.read(); chunk; chunk = await source.read()) {
 *       total += chunk.length;
 *     }
 *   } finally {
 *     await source.close();
 *   }
 *   return total;
 * }
 * ```
 */
export interface FileSource {
  /** The next chunk, or `null` at end of file. Valid only until the next call. */
  read(): Promise<Uint8Array | null>;
  /** Releases the file handle. Idempotent. */
  close(): Promise<void>;
}

/** A file opened for writing.
 *
 * @example
 * ```ts
 * import type { FileSink } from "./port.ts";
 * async function save(sink: FileSink, data: Uint8Array): Promise<void> {
 *   try {
 *     await sink.write(data);
 *   } finally {
 *     await sink.close();
 *   }
 * }
 * ```
 */
export interface FileSink {
  /** Writes all of `data`; `data` may be reused once this resolves. */
  write(data: Uint8Array): Promise<void>;
  /** Flushes and releases the file handle. Idempotent. */
  close(): Promise<void>;
  /** Optional: gives up a failed upload instead of keeping it (an atomic
   * upload removes its temporary file and leaves the target untouched).
   * Releases the handle; does nothing after `close()`. Idempotent. */
  abort?(): Promise<void>;
  /** Optional: moves bytes that `source` has received already into the
   * file without passing them through JavaScript (on Linux, `splice(2)`,
   * where the runtime can call it), in the order `source.read()` would
   * give them; resolves with their count, 0 when `source` holds none yet
   * (read from it instead, then ask again), or undefined when this sink
   * can't take from `source` (ask no more). For binary uploads; wrappers
   * that look at the data leave it out. */
  receive?(source: Connection): Promise<number | undefined>;
}

/** How {@link FilePort.openWrite} positions the first byte.
 * - `truncate`: create or empty the file, write from 0;
 * - `append`: create if missing, every write goes to the end;
 * - `offset`: the file must exist; write from `offset`, keep what lies past it.
 *
 * @example
 * ```ts
 * import type { WriteMode } from "./port.ts";
 * const mode: WriteMode = { kind: "offset", offset: 1024 };
 * ```
 */
export type WriteMode =
  | { readonly kind: "truncate" }
  | { readonly kind: "append" }
  | { readonly kind: "offset"; readonly offset: number };

/**
 * Real file-system access on absolute native paths. Errors are thrown as
 * `Error`s whose `code` is the POSIX name (`ENOENT`, `EEXIST`, `ENOTDIR`,
 * `EISDIR`, `ENOTEMPTY`, `EACCES`, `EPERM`, `ENOSPC`, `ELOOP`, ...), the same
 * on every runtime.
 *
 * @example
 * ```ts
 * import type { FilePort } from "./port.ts";
 * async function isFolder(files: FilePort, path: string): Promise<boolean> {
 *   return (await files.stat(path)).kind === "directory";
 * }
 * ```
 */
export interface FilePort {
  /** Metadata, following symlinks. */
  stat(path: string): Promise<FileInfo>;
  /** Metadata of the link itself when `path` is a symlink. */
  lstat(path: string): Promise<FileInfo>;
  /** The entries of folder `path` with their `lstat` metadata, without `.`
   * and `..`, sorted by name in code-unit order; an entry removed meanwhile
   * is left out. One call for both, because listings need both and adapters
   * can gather them several times cheaper than one `lstat` call per entry. */
  readDir(path: string): Promise<DirEntry[]>;
  /** Creates one folder (not its parents); `EEXIST` if the path is taken. */
  mkdir(path: string): Promise<void>;
  /** Removes an empty folder; `ENOTEMPTY` otherwise. */
  rmdir(path: string): Promise<void>;
  /** Removes a file, or a symlink itself (never its target); not folders. */
  unlink(path: string): Promise<void>;
  /** Renames, replacing an existing file at `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Sets the permission bits (`mode & 0o7777`), following symlinks. */
  chmod(path: string, mode: number): Promise<void>;
  /** Sets access and modification times, in milliseconds since the epoch. */
  utime(path: string, atimeMs: number, mtimeMs: number): Promise<void>;
  /** The canonical absolute path, with every symlink resolved. */
  realpath(path: string): Promise<string>;
  /** Where the symlink `path` points, as stored in the link. */
  readLink(path: string): Promise<string>;
  /** Bytes an unprivileged user may still write on the file system that
   * holds `path` (statfs: available blocks × block size), for AVBL. */
  availableSpace(path: string): Promise<number>;
  /** Opens a regular file for reading from `offset`. */
  openRead(path: string, offset: number): Promise<FileSource>;
  /** Opens a file for writing, creating and positioning it as `mode` says. */
  openWrite(path: string, mode: WriteMode): Promise<FileSink>;
}

/** A certificate, its key and the lowest protocol version to accept, as PEM
 * text.
 *
 * @example
 * ```ts
 * import type { TlsContextOptions } from "./port.ts";
 * declare const cert: string, key: string;
 * const options: TlsContextOptions = { cert, key, minVersion: "TLSv1.2", resumption: true };
 * ```
 */
export interface TlsContextOptions {
  /** The certificate chain, PEM. */
  readonly cert: string;
  /** The private key, PEM (unencrypted). */
  readonly key: string;
  /** The lowest TLS version a client may negotiate. */
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
  /** Whether clients may resume sessions (tickets, and session IDs). */
  readonly resumption: boolean;
}

/** An adapter's secure context: certificate, key and the session caches
 * that let a data connection resume the control connection's session.
 * Opaque to the core.
 *
 * @example
 * ```ts
 * import type { Runtime, TlsContext } from "./port.ts";
 * declare const runtime: Runtime, cert: string, key: string;
 * const context: TlsContext = runtime.createTlsContext({ cert, key, minVersion: "TLSv1.2", resumption: true });
 * ```
 */
export interface TlsContext {
  /** The lowest TLS version it accepts. */
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
}

/** A connection after a successful TLS handshake.
 *
 * @example
 * ```ts
 * import type { TlsConnection } from "./port.ts";
 * function describe(conn: TlsConnection): string {
 *   return `${conn.protocol}${conn.sessionReused ? ", resumed" : ""}`;
 * }
 * ```
 */
export interface TlsConnection extends Connection {
  /** The negotiated version, such as `TLSv1.3`. */
  readonly protocol: string;
  /** Whether the client resumed an earlier session of the same context
   * (what a data connection does with its control connection's session). */
  readonly sessionReused: boolean;
}

/** How {@link Runtime.upgradeTls} starts the handshake.
 *
 * @example
 * ```ts
 * import type { UpgradeOptions } from "./port.ts";
 * const options: UpgradeOptions = { preface: new TextEncoder().encode("234 AUTH TLS ok.\r\n") };
 * ```
 */
export interface UpgradeOptions {
  /** Bytes sent in the clear just before the handshake (the 234 reply to
   * AUTH TLS). The adapter stops reading first, so that the client's
   * ClientHello, which follows at once, is never read as plain data. */
  readonly preface?: Uint8Array;
}

/** A copy of this program started by {@link HostProcess.spawnWorker}.
 *
 * @example
 * ```ts
 * import type { WorkerProcess } from "./port.ts";
 * async function stopAndWait(worker: WorkerProcess): Promise<number | null> {
 *   worker.stop();
 *   return await worker.exited;
 * }
 * ```
 */
export interface WorkerProcess {
  /** The operating system's id of the copy (pid). */
  readonly pid: number;
  /** Resolves with the exit status once the copy has ended (null when a
   * signal ended it). */
  readonly exited: Promise<number | null>;
  /** Asks the copy to end (SIGTERM). */
  stop(): void;
}

/**
 * The program around the server: for the CLI, and for starting the worker
 * processes of `workers: N` (the library never exits the program or installs
 * signal handlers by itself otherwise).
 *
 * @example
 * ```ts
 * import type { HostProcess } from "./port.ts";
 * function onStop(host: HostProcess, stop: () => void): void {
 *   host.onSignal("SIGINT", stop);
 * }
 * ```
 */
export interface HostProcess {
  /** Command-line arguments after the script name. */
  args(): string[];
  /** Current working directory. */
  cwd(): string;
  /** Calls `handler` on SIGINT/SIGTERM instead of the default exit. */
  onSignal(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  /** Ends the program at once with exit status `code`; never returns. */
  exit(code: number): never;
  /** Writes a line to standard error. */
  printError(line: string): void;
  /** Writes a line to standard output. */
  print(line: string): void;
  /** Whether standard error is a terminal (for coloured logs). */
  isTerminal(): boolean;
  /** An environment variable; `undefined` when unset or not readable (no
   * permission to read the environment). */
  env(name: string): string | undefined;
  /** Starts this same program again (same runtime, script, arguments and,
   * where the runtime has them, permissions) with `env` added to its
   * environment, sharing standard output and error. */
  spawnWorker(env: Readonly<Record<string, string>>): WorkerProcess;
  /** In a copy started by `spawnWorker`: calls `handler` once the parent
   * has ended, however it ended, so no copy outlives it. */
  onParentExit(handler: () => void): void;
}

/**
 * One runtime's implementation of the port.
 *
 * @example
 * ```ts
 * import type { Runtime } from "./port.ts";
 * async function serveNothing(runtime: Runtime): Promise<number> {
 *   const listener = await runtime.listen({
 *     host: "127.0.0.1",
 *     port: 0,
 *     onConnection: (conn) => conn.close(),
 *   });
 *   const { port } = listener.address;
 *   await listener.close();
 *   return port;
 * }
 * ```
 */
export interface Runtime {
  /** Which adapter this is. */
  readonly name: "deno" | "bun" | "node";
  /** The runtime's version, for the start line. */
  readonly version: string;
  /** Binds and listens; rejects with `code` `EADDRINUSE`/`EACCES` on failure. */
  listen(options: ListenOptions): Promise<Listener>;
  /** Opens an outgoing TCP connection; rejects with a POSIX `code` (such as
   * `ECONNREFUSED`) on failure. */
  connect(options: ConnectOptions): Promise<Connection>;
  /** Builds a secure context; throws when the PEM text is not a valid
   * certificate and matching key. */
  createTlsContext(options: TlsContextOptions): TlsContext;
  /** Runs the server side of a TLS handshake on `conn` (which must not be
   * read from afterwards) with `context`. One awaitable step: a caller
   * bounding the handshake time closes `conn` when its timer fires. Rejects
   * (closing `conn`) when the handshake fails or the peer goes away. */
  upgradeTls(conn: Connection, context: TlsContext, options?: UpgradeOptions): Promise<TlsConnection>;
  /** Native file access, used by `LocalFileSystem` and the CLI. */
  readonly files: FilePort;
  /** The surrounding program (arguments, signals, exit, output); used only
   * by the CLI. */
  readonly host: HostProcess;
}
