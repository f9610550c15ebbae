/**
 * The Deno adapter, on Deno's native APIs: `Deno.listen`/`Deno.connect`
 * receive about twice as fast as Deno's `node:net`, and `Deno.open` reads
 * files faster than its `node:fs`. TLS is the exception: only Deno's
 * `node:tls` can upgrade an accepted socket, so connections that may be
 * upgraded come from `node:net`.
 *
 * @module
 */

import type {
  Connection,
  ConnectOptions,
  FileInfo,
  FilePort,
  FileSink,
  FileSource,
  HostProcess,
  Listener,
  ListenOptions,
  Runtime,
  WorkerProcess,
  WriteMode,
} from "../port.ts";
import { toSocketAddress } from "./_address.ts";
import { codedError, connectionClosedError } from "./_errors.ts";
import { entriesWithInfo } from "./_dir_entries.ts";
import { assertRegularFile, fileKind } from "./_file_kind.ts";
import { nodeFiles } from "./_node_files.ts";
import { fileChunks } from "./_file_reader.ts";
import { fileSink } from "./_file_writer.ts";
import { folderStatx } from "./_statx.ts";
import { adaptiveCall, syncCall } from "./_sync_call.ts";
import { connectNet, listenNet } from "./_node_net.ts";
import { createTlsContext, tlsUpgrade } from "./_node_tls.ts";
import { tlsResetProbe } from "./_deno_tls_reset.ts";
import { createWriteChain } from "./_write_chain.ts";
import {
  FIRST_RECEIVE_BUFFER,
  MAX_BULK_RECEIVE_BUFFER,
  MAX_RECEIVE_BUFFER,
  nextReceiveBuffer,
} from "./_receive_buffer.ts";

/** Pause before accepting again after a failed accept (EMFILE and the like). */
const ACCEPT_RETRY_MS = 100;

/** POSIX names for the Deno errors that come without a `code`: the
 * runtime's own, not the operating system's. */
const CODES_BY_ERROR_NAME: Readonly<Record<string, string>> = {
  NotCapable: "EACCES",
  BadResource: "EBADF",
  Interrupted: "EINTR",
};

/** Makes sure `error` has the POSIX `code` the port promises. */
function withCode(error: unknown): unknown {
  if (!(error instanceof Error) || "code" in error) return error;
  const code = CODES_BY_ERROR_NAME[error.name] ?? "EIO";
  return Object.assign(error, { code });
}

async function posix<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw withCode(error);
  }
}

/** A file-system call made synchronously (see `_sync_call.ts`), with the
 * POSIX code the port promises on its error. */
function posixSync<T>(call: () => T): Promise<T> {
  return syncCall(call, withCode);
}

/** What `call` gives, or `undefined` when the path it looks at is missing. */
function unlessMissing<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function wrapConn(conn: Deno.TcpConn, bulk: boolean | undefined): Connection {
  const maxBuffer = bulk ? MAX_BULK_RECEIVE_BUFFER : MAX_RECEIVE_BUFFER;
  let buffer: Uint8Array = new Uint8Array(FIRST_RECEIVE_BUFFER);
  let closed = false;
  let readDone = false;
  let writeClosed: Promise<void> | undefined;
  let writeDone = false;
  const { promise: closedPromise, resolve: resolveClosed } = Promise.withResolvers<void>();

  function finish(): void {
    if (closed) return;
    closed = true;
    conn.close();
    resolveClosed();
  }

  function fail(error: unknown): never {
    if (closed) throw connectionClosedError();
    finish();
    throw withCode(error);
  }

  // Deno's conn.write can be short, and it copies into the kernel before it
  // resolves, so the caller's buffer is free once the loop ends.
  const writes = createWriteChain(async (data) => {
    if (closed) throw connectionClosedError();
    try {
      for (let done = 0; done < data.length;) {
        done += await conn.write(data.subarray(done));
      }
    } catch (error) {
      fail(error);
    }
  });

  return {
    localAddress: toSocketAddress(conn.localAddr.hostname, conn.localAddr.port),
    remoteAddress: toSocketAddress(conn.remoteAddr.hostname, conn.remoteAddr.port),
    async read() {
      if (closed || readDone) return null;
      let received: number | null;
      try {
        received = await conn.read(buffer);
      } catch (error) {
        // close() makes a pending read fail; the port wants null then.
        if (closed) return null;
        fail(error);
      }
      if (received === null) {
        readDone = true;
        if (writeDone) finish();
        return null;
      }
      const chunk = buffer.subarray(0, received);
      buffer = nextReceiveBuffer(buffer, received, maxBuffer);
      return chunk;
    },
    write(data) {
      return writes.write(data);
    },
    closeWrite() {
      writeClosed ??= writes.idle().then(async () => {
        if (closed) return;
        try {
          await conn.closeWrite();
        } catch (error) {
          fail(error);
        }
        writeDone = true;
        if (readDone) finish();
      });
      return writeClosed;
    },
    close() {
      finish();
    },
    setNoDelay(noDelay) {
      if (!closed) conn.setNoDelay(noDelay);
    },
    closed: closedPromise,
  };
}

async function acceptLoop(
  listener: Deno.TcpListener,
  options: ListenOptions,
  isStopped: () => boolean,
): Promise<void> {
  while (!isStopped()) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch {
      if (isStopped()) return;
      await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
      continue;
    }
    options.onConnection(wrapConn(conn, options.bulk));
  }
}

/** Whether Deno runs with `--unstable-net`, which `Deno.listen`'s
 * `reusePort` needs (without it Deno ends the program); the flag also
 * brings `Deno.listenDatagram`. */
const UNSTABLE_NET = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";

function listen(options: ListenOptions): Promise<Listener> {
  // Deno's native sockets have no server-side TLS upgrade, its node:net
  // sockets do; and they can share a port without --unstable-net. Only
  // control connections arrive on either, so node:net's slower receive path
  // costs little.
  if (options.upgradable || (options.reusePort && !UNSTABLE_NET)) return listenNet(options);
  // Deno.listen has no backlog option, so options.backlog is ignored here;
  // its own backlog is 511 (`ss -ltn`), as the port's default.
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({
      hostname: options.host,
      port: options.port,
      transport: "tcp",
      ...(options.reusePort ? { reusePort: true } : {}),
    });
  } catch (error) {
    return Promise.reject(withCode(error));
  }
  let stopped = false;
  const accepting = acceptLoop(listener, options, () => stopped);
  return Promise.resolve({
    address: toSocketAddress(listener.addr.hostname, listener.addr.port),
    close() {
      if (!stopped) {
        stopped = true;
        listener.close();
      }
      // The socket is only released once the pending accept has failed.
      return accepting;
    },
  });
}

async function connect(options: ConnectOptions): Promise<Connection> {
  // Deno.connect cannot bind a source address (active mode connects from the
  // control connection's local address), node:net can.
  if (options.upgradable || options.localAddress !== undefined) return await connectNet(options);
  const conn = await posix(Deno.connect({ hostname: options.host, port: options.port }));
  return wrapConn(conn, options.bulk);
}

function toFileInfo(info: Deno.FileInfo): FileInfo {
  return {
    kind: fileKind(info),
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    mode: (info.mode ?? 0) & 0o7777,
    nlink: info.nlink ?? 1,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    dev: info.dev,
    ino: info.ino ?? 0,
  };
}

function openRead(path: string, offset: number): FileSource {
  // Deno can't open with O_NONBLOCK: a FIFO is refused before it is opened,
  // since opening it would wait for a writer.
  assertRegularFile(fileKind(Deno.statSync(path)), path);
  const file = Deno.openSync(path, { read: true });
  let next: () => Promise<Uint8Array | null>;
  try {
    const info = file.statSync();
    assertRegularFile(fileKind(info), path);
    file.seekSync(offset, Deno.SeekMode.Start);
    const readInto = adaptiveCall<[Uint8Array], number>({
      sync: (buffer) => file.readSync(buffer) ?? 0,
      pooled: async (buffer) => (await file.read(buffer)) ?? 0,
      mapError: withCode,
    });
    next = fileChunks(info.size, offset, readInto);
  } catch (error) {
    file.close();
    throw error;
  }
  let closed = false;
  return {
    read: () => closed ? Promise.resolve(null) : next(),
    close() {
      if (!closed) {
        closed = true;
        file.close();
      }
      return Promise.resolve();
    },
  };
}

const OPEN_OPTIONS: Readonly<Record<WriteMode["kind"], Deno.OpenOptions>> = {
  truncate: { write: true, create: true, truncate: true },
  append: { append: true, create: true },
  offset: { write: true },
};

async function openWrite(path: string, mode: WriteMode): Promise<FileSink> {
  // A FIFO or a device would hold up a synchronous write indefinitely (or
  // the open itself: Deno can't open with O_NONBLOCK).
  const existing = unlessMissing(() => Deno.statSync(path));
  if (existing) assertRegularFile(fileKind(existing), path);
  const file = await Deno.open(path, OPEN_OPTIONS[mode.kind]);
  if (mode.kind === "offset") {
    try {
      await file.seek(mode.offset, Deno.SeekMode.Start);
    } catch (error) {
      file.close();
      throw error;
    }
  }
  const writePart = adaptiveCall<[Uint8Array], number>({
    sync: (data) => file.writeSync(data),
    pooled: (data) => file.write(data),
    mapError: withCode,
  });
  return fileSink(writePart, () => file.close());
}

/** Listings by libc's `statx`, bound through `Deno.dlopen` when the program
 * may (`--allow-ffi`, which `-A` gives); asking first never prompts. */
const listingStatx = folderStatx(
  () =>
    Deno.permissions.querySync({ name: "ffi" }).state === "granted"
      ? Deno.dlopen("libc.so.6", {
        statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
      }).symbols.statx
      : undefined,
  { wholeMilliseconds: true },
);

/** What unlink(2) gives for a directory: Linux says EISDIR, POSIX EPERM. */
const UNLINK_DIRECTORY_CODE = Deno.build.os === "linux" ? "EISDIR" : "EPERM";

const files: FilePort = {
  stat(path) {
    return posixSync(() => toFileInfo(Deno.statSync(path)));
  },
  lstat(path) {
    return posixSync(() => toFileInfo(Deno.lstatSync(path)));
  },
  // Deno.readDir makes one async op per entry (12 ms for 1000 entries); the
  // sync iterator takes about 1 µs per entry.
  async readDir(path) {
    try {
      const names = Array.from(Deno.readDirSync(path), (entry) => entry.name);
      return await entriesWithInfo(path, names, (entry) => unlessMissing(() => toFileInfo(Deno.lstatSync(entry))), listingStatx);
    } catch (error) {
      throw withCode(error);
    }
  },
  mkdir(path) {
    return posix(Deno.mkdir(path));
  },
  // Deno.remove deletes files and folders alike; checking the kind first keeps
  // rmdir(2) and unlink(2) semantics. Deno.remove itself also decides by lstat.
  async rmdir(path) {
    if ((await files.lstat(path)).kind !== "directory") {
      throw codedError("ENOTDIR", `not a directory: ${path}`);
    }
    await posix(Deno.remove(path));
  },
  async unlink(path) {
    if ((await files.lstat(path)).kind === "directory") {
      throw codedError(UNLINK_DIRECTORY_CODE, `is a directory: ${path}`);
    }
    await posix(Deno.remove(path));
  },
  rename(from, to) {
    return posix(Deno.rename(from, to));
  },
  chmod(path, mode) {
    return posix(Deno.chmod(path, mode));
  },
  utime(path, atimeMs, mtimeMs) {
    return posix(Deno.utime(path, new Date(atimeMs), new Date(mtimeMs)));
  },
  realpath(path) {
    return posixSync(() => Deno.realPathSync(path));
  },
  readLink(path) {
    return posixSync(() => Deno.readLinkSync(path));
  },
  // Deno has no native statfs; its node:fs one is the only way to ask.
  availableSpace: nodeFiles.availableSpace,
  openRead(path, offset) {
    return posixSync(() => openRead(path, offset));
  },
  openWrite(path, mode) {
    return posix(openWrite(path, mode));
  },
};

const encoder = new TextEncoder();

/** Writes a whole line; writeSync may be short, like every write(2). */
function writeLine(stream: { writeSync(data: Uint8Array): number }, line: string): void {
  const data = encoder.encode(`${line}\n`);
  for (let done = 0; done < data.length;) {
    done += stream.writeSync(data.subarray(done));
  }
}

/** Permissions a copy of this program needs, as `deno run` flags: `-A` when
 * everything was granted, else the kinds granted without restriction (a
 * grant limited to some paths or hosts is not passed on). */
function permissionFlags(): string[] {
  const names = ["read", "write", "net", "env", "sys", "run", "ffi", "import"] as const;
  const granted = names.filter((name) => {
    try {
      return Deno.permissions.querySync({ name }).state === "granted";
    } catch {
      return false;
    }
  });
  return granted.length === names.length ? ["-A"] : granted.map((name) => `--allow-${name}`);
}

/** Runs this program again with the same permissions; `--unstable-net`
 * gives the copy Deno's native listener on a shared port. Its standard input
 * is a pipe that only closes when this process ends (see `onParentExit`). */
function spawnWorker(env: Readonly<Record<string, string>>): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissionFlags(), "--unstable-net", Deno.mainModule, ...Deno.args],
    env,
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return {
    pid: child.pid,
    exited: child.status.then((status) => status.signal === null ? status.code : null),
    stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already ended
      }
    },
  };
}

const host: HostProcess = {
  args() {
    return [...Deno.args];
  },
  cwd() {
    return Deno.cwd();
  },
  onSignal(signal, handler) {
    Deno.addSignalListener(signal, handler);
  },
  exit(code) {
    return Deno.exit(code);
  },
  printError(line) {
    writeLine(Deno.stderr, line);
  },
  print(line) {
    writeLine(Deno.stdout, line);
  },
  isTerminal() {
    return Deno.stderr.isTerminal();
  },
  env(name) {
    // Asking first: reading without the permission would prompt or throw.
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    return Deno.env.get(name);
  },
  spawnWorker,
  onParentExit(handler) {
    void (async () => {
      const scratch = new Uint8Array(64);
      try {
        while ((await Deno.stdin.read(scratch)) !== null) {
          // nothing is ever sent; only the end matters
        }
      } catch {
        // a broken pipe means the parent is gone as well
      }
      handler();
    })();
  },
};

/**
 * The port implemented with Deno's native APIs.
 *
 * @example
 * ```ts
 * import { runtime } from "./deno.ts";
 * const listener = await runtime.listen({
 *   host: "127.0.0.1",
 *   port: 0,
 *   onConnection: (conn) => conn.close(),
 * });
 * console.log(listener.address.port > 0); // true
 * await listener.close();
 * ```
 */
export const runtime: Runtime = {
  name: "deno",
  version: Deno.version.deno,
  listen,
  connect,
  createTlsContext,
  upgradeTls: tlsUpgrade({ pausable: false, resetProbe: tlsResetProbe }),
  files,
  host,
};
