/**
 * The Bun adapter: `Bun.listen`/`Bun.connect` sockets, files on `node:fs`.
 * Bun's file stream reads as fast as synchronous `node:fs` reads, but spends
 * a quarter more CPU when 200 downloads run at once, and its file writer
 * can neither append nor truncate.
 *
 * TLS is Bun's own `upgradeTLS` on those sockets, for control, implicit and
 * data connections alike: its sessions resume across listeners, where
 * `node:tls` on a `node:net` socket never resumes an `upgradeTLS` session,
 * and a `node:net` control connection costs Bun twice the CPU per login of
 * a native one. Two pitfalls shape it: bytes the plain handlers were given
 * never reach TLS, so a connection that TLS may take over reads nothing
 * until it is first read (a data connection's ClientHello waits in the
 * kernel); and the plain handlers go on receiving the ciphertext, which
 * they drop.
 *
 * A plain data connection reads what the kernel already holds with libc's
 * `read(2)`, bound through `bun:ffi`, into a buffer of its own, whenever
 * its consumer asks: Bun copies each chunk it receives out of its receive
 * buffer into a new one, and that copy and allocation cost uploads a third
 * or more of their rate (STOR of 1 GiB 4150 → 6700-7350 MiB/s, 200 × STOR
 * 10 MB 2640 → 3740-4240 on one machine). An upload's file sink goes
 * further: it splices those bytes into the file (`_bun_libc.ts`; 200 ×
 * STOR 10 MB 1320-1550 → 2170-2380 MiB/s on another machine). Bun's own
 * read still waits for data, and sees the end of the stream and resets.
 *
 * @module
 */

import { constants } from "node:crypto";
import type {
  Connection,
  ConnectOptions,
  FilePort,
  Listener,
  ListenOptions,
  Runtime,
  SocketAddress,
  TlsConnection,
  TlsContext,
  TlsContextOptions,
  UpgradeOptions,
} from "../port.ts";
import { createPullQueue, type PullQueue } from "../_pull_queue.ts";
import { toSocketAddress } from "./_address.ts";
import { bytesWaiting, hasLibc, readInto, spliceToFile, statx, statxMany } from "./_bun_libc.ts";
import { codedError, connectionClosedError } from "./_errors.ts";
import { nodeFiles, openWriteWith, readDirWith } from "./_node_files.ts";
import { connectNet } from "./_node_net.ts";
import { nodeHost } from "./_node_process.ts";
import { assertKeyPair } from "./_node_tls.ts";
import { FIRST_RECEIVE_BUFFER, MAX_BULK_RECEIVE_BUFFER, nextReceiveBuffer } from "./_receive_buffer.ts";
import { folderStatx } from "./_statx.ts";

/** A write the kernel has not wholly taken yet, waiting for `drain`; later
 * writes queue behind it. */
interface PendingWrite {
  readonly data: Uint8Array;
  offset: number;
  readonly written: PromiseWithResolvers<void>;
  next: PendingWrite | undefined;
}

type BunSocket = Bun.Socket<BunConnection>;

/**
 * One Bun socket as the port's {@link Connection}. A class, without a
 * closure or a promise it could do without: an idle server's memory is
 * mostly its connections'. So `closed` is made only when asked for, and
 * writes queue here rather than in a promise chain.
 */
class BunConnection implements Connection {
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  readonly #socket: BunSocket;
  readonly #queue: PullQueue;
  #isClosed = false;
  #closed: PromiseWithResolvers<void> | undefined;
  /** Oldest and newest unfinished writes. */
  #head: PendingWrite | undefined;
  #tail: PendingWrite | undefined;
  #writeClosed: Promise<void> | undefined;
  /** Whether Nagle's algorithm is off, when known: Bun turns it off on
   * every socket it accepts, so a session's setNoDelay(true) can skip the
   * system call. */
  #noDelay: boolean | undefined;
  /** Paused until the first read, for TLS to take over untouched. */
  #held: boolean;
  /** The TLS connection this socket now carries. */
  #upgraded: BunTlsConnection | undefined;
  /** A plain data connection's own receive buffer, for direct reads;
   * dropped when TLS takes the socket over. */
  #buffer: Uint8Array | undefined;

  constructor(socket: BunSocket, options: BunConnectionOptions) {
    this.#socket = socket;
    this.#noDelay = options.noDelay;
    this.localAddress = options.localAddress;
    this.remoteAddress = options.remoteAddress;
    // The socket itself has the pause() and resume() the queue wants.
    this.#queue = createPullQueue(socket);
    this.#held = options.held === true;
    if (this.#held) socket.pause();
    if (options.bulk && hasLibc) this.#buffer = new Uint8Array(FIRST_RECEIVE_BUFFER);
  }

  get closed(): Promise<void> {
    if (this.#isClosed) return this.#closed?.promise ?? Promise.resolve();
    this.#closed ??= Promise.withResolvers();
    return this.#closed.promise;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#held) {
      this.#held = false;
      this.#socket.resume();
    }
    if (this.#buffer && this.#queue.queuedBytes === 0) {
      const chunk = this.#readDirect(this.#buffer);
      if (chunk) return Promise.resolve(chunk);
    }
    return this.#queue.read();
  }

  /** What the kernel holds for this socket already, or nothing. Only
   * bytes known to be there are read: with none, read(2) would take the
   * end of the stream or a reset for itself, and Bun's read would then see
   * a clean end where the peer had reset (an upload cut short taken for
   * a whole one). Those stay for Bun to see and report. */
  #readDirect(buffer: Uint8Array): Uint8Array | undefined {
    const fd = this.#fd;
    const count = fd < 0 ? 0 : bytesWaiting(fd);
    if (count === 0) return undefined;
    const received = readInto(fd, buffer, Math.min(count, buffer.length));
    if (received <= 0) return undefined;
    this.#buffer = nextReceiveBuffer(buffer, received, MAX_BULK_RECEIVE_BUFFER);
    return buffer.subarray(0, received);
  }

  /** The socket's descriptor; -1 once Bun has closed it, whose number may
   * already name another file. `fd` is missing from bun-types 1.4.5. */
  get #fd(): number {
    return (this.#socket as BunSocket & { readonly fd: number }).fd;
  }

  /** Moves what the kernel holds for this plain data connection into file
   * `fileFd` ({@link spliceToFile}), as the direct reads take it: only
   * bytes known to be there, and none while Bun's own chunks wait to be
   * read first. */
  spliceTo(fileFd: number, position: number | null): number | undefined {
    if (!this.#buffer) return undefined;
    const fd = this.#fd;
    if (fd < 0 || this.#queue.queuedBytes > 0) return 0;
    const count = bytesWaiting(fd);
    return count === 0 ? 0 : spliceToFile(fd, count, fileFd, position);
  }

  // Bun's write is unbuffered: it returns how much the kernel accepted, and
  // the rest is ours to retry on 'drain', before any later write.
  write(data: Uint8Array): Promise<void> {
    if (this.#isClosed) return Promise.reject(connectionClosedError());
    let offset = 0;
    if (!this.#head) {
      offset = this.#socket.write(data);
      if (offset < 0) return Promise.reject(connectionClosedError());
      if (offset === data.length) return Promise.resolve();
    }
    const pending: PendingWrite = { data, offset, written: Promise.withResolvers(), next: undefined };
    if (this.#tail) this.#tail.next = pending;
    else this.#head = pending;
    this.#tail = pending;
    return pending.written.promise;
  }

  closeWrite(): Promise<void> {
    this.#writeClosed ??= (this.#tail?.written.promise.catch(() => {}) ?? Promise.resolve()).then(() => {
      if (!this.#isClosed) this.#socket.shutdown();
    });
    return this.#writeClosed;
  }

  close(): void {
    if (this.#upgraded) return this.#upgraded.close();
    if (this.#isClosed) return;
    this.#queue.close();
    // end() sends FIN and closes the socket at once (the 'close' handler
    // runs inside it); terminate() would send RST and drop unsent bytes.
    this.#socket.end();
    this.settle();
  }

  setNoDelay(noDelay: boolean): void {
    if (noDelay === this.#noDelay) return;
    this.#noDelay = noDelay;
    this.#socket.setNoDelay(noDelay);
  }

  /**
   * Hands the socket over to a TLS server handshake. Plain bytes the
   * reader has not taken are dropped, never run (CVE-2011-0411); reading
   * stops before `preface` goes out, so the ClientHello that answers it
   * stays in the kernel for TLS.
   */
  async upgrade(settings: BunTlsSettings, preface: Uint8Array | undefined): Promise<TlsConnection> {
    this.#held = true;
    this.#socket.pause();
    this.#queue.takeQueued();
    this.#buffer = undefined;
    try {
      if (preface) await this.write(preface);
      if (this.#isClosed) throw connectionClosedError();
      // `isServer`, which bun-types 1.4.5 lacks, makes an outgoing socket
      // (active mode) the TLS server too.
      const upgradeOptions: Bun.TLSUpgradeOptions<BunConnection> & { isServer: boolean } = {
        tls: settings,
        isServer: true,
        socket: tlsHandlers,
      };
      const [, tls] = this.#socket.upgradeTLS<BunConnection>(upgradeOptions);
      const secure = new BunTlsConnection(tls, this);
      tls.data = secure;
      this.#upgraded = secure;
      tls.resume();
      return await secure.handshaken;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Socket events, forwarded by {@link handlers}. */
  received(chunk: Uint8Array): void {
    // After an upgrade the plain socket still sees the ciphertext.
    if (!this.#upgraded) this.#queue.push(chunk);
  }

  drained(): void {
    while (this.#head) {
      const pending = this.#head;
      const written = this.#socket.write(pending.data.subarray(pending.offset));
      if (written < 0) return this.#failWrites(connectionClosedError());
      pending.offset += written;
      if (pending.offset < pending.data.length) return;
      this.#head = pending.next;
      if (!this.#head) this.#tail = undefined;
      pending.written.resolve();
    }
  }

  ended(): void {
    this.#queue.end();
  }

  settle(error?: Error): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#upgraded?.settle(error);
    if (error) this.#queue.fail(error);
    else this.#queue.end();
    // Most connections close with no write pending: no error to build.
    if (this.#head) this.#failWrites(error ?? connectionClosedError());
    this.#closed?.resolve();
  }

  #failWrites(error: Error): void {
    for (let pending = this.#head; pending; pending = pending.next) pending.written.reject(error);
    this.#head = this.#tail = undefined;
  }
}

/** How a {@link BunConnection} starts. */
interface BunConnectionOptions {
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  /** Whether Nagle's algorithm is known to be off already. */
  readonly noDelay?: boolean;
  /** Read nothing until the first `read()`: TLS may take the socket over. */
  readonly held?: boolean;
  /** A plain socket that carries file data: read it directly. */
  readonly bulk?: boolean;
}

/** What `upgradeTLS` is given for one {@link TlsContext}. */
interface BunTlsSettings {
  readonly cert: string;
  readonly key: string;
  readonly secureOptions: number;
}

/**
 * The TLS side of an upgraded socket. Its addresses are the plain socket's;
 * the peer's close_notify is answered with ours (ftplib waits for it).
 */
class BunTlsConnection extends BunConnection implements TlsConnection {
  protocol = "unknown";
  sessionReused = false;
  readonly #handshake = Promise.withResolvers<TlsConnection>();
  #shaken = false;

  constructor(socket: BunSocket, plain: BunConnection) {
    super(socket, { localAddress: plain.localAddress, remoteAddress: plain.remoteAddress });
  }

  get handshaken(): Promise<TlsConnection> {
    return this.#handshake.promise;
  }

  shaken(socket: BunSocket, success: boolean): void {
    if (this.#shaken) return;
    this.#shaken = true;
    if (!success) {
      this.close();
      this.#handshake.reject(codedError("ECONNRESET", "the TLS handshake failed"));
      return;
    }
    this.protocol = socket.getTLSVersion() ?? "unknown";
    this.sessionReused = socket.isSessionReused();
    this.#handshake.resolve(this);
  }

  override ended(): void {
    super.ended();
    void this.closeWrite();
  }

  override settle(error?: Error): void {
    if (!this.#shaken) {
      this.#shaken = true;
      this.#handshake.reject(error ?? codedError("ECONNRESET", "connection closed during the TLS handshake"));
    }
    super.settle(error);
  }
}

/** Handlers of every TLS socket; `socket.data` is set just after the
 * upgrade, before any of them but `open` can run. */
const tlsHandlers: Bun.SocketHandler<BunConnection> = {
  handshake(socket, success) {
    (socket.data as BunTlsConnection).shaken(socket, success);
  },
  data(socket, chunk) {
    socket.data.received(chunk);
  },
  drain(socket) {
    socket.data.drained();
  },
  end(socket) {
    socket.data.ended();
  },
  close(socket, error) {
    socket.data?.settle(error);
  },
};

/** Handlers shared by every plain socket; each one forwards to `socket.data`.
 * `listenerPort` is the local port of an accepted socket, known without the
 * system call that `socket.localPort` makes; Bun turns Nagle's algorithm off
 * on every socket it accepts. */
function handlers(
  options: { onOpen?: (connection: Connection) => void; listenerPort?: () => number; held?: boolean; bulk?: boolean },
) {
  const { onOpen, listenerPort, held, bulk } = options;
  return {
    open(socket: BunSocket) {
      const port = listenerPort?.();
      socket.data = new BunConnection(socket, {
        localAddress: toSocketAddress(socket.localAddress, port ?? socket.localPort),
        remoteAddress: toSocketAddress(socket.remoteAddress, socket.remotePort),
        noDelay: port === undefined ? undefined : true,
        held,
        bulk,
      });
      onOpen?.(socket.data);
    },
    data(socket: BunSocket, chunk: Uint8Array) {
      socket.data.received(chunk);
    },
    drain(socket: BunSocket) {
      socket.data.drained();
    },
    end(socket: BunSocket) {
      socket.data.ended();
    },
    close(socket: BunSocket, error?: Error) {
      socket.data?.settle(error);
    },
  };
}

function listen(options: ListenOptions): Promise<Listener> {
  // Bun.listen has no backlog option, so options.backlog is ignored here;
  // its own backlog is 512 (`ss -ltn`).
  // Bun.listen takes `reusePort` (SO_REUSEPORT), which bun-types 1.4.5 lacks.
  const listenOptions: Bun.TCPSocketListenOptions<BunConnection> & { reusePort?: boolean } = {
    hostname: options.host,
    port: options.port,
    reusePort: options.reusePort,
    // Without it Bun closes the socket as soon as the peer half-closes.
    allowHalfOpen: true,
    // The listener exists before its first connection opens.
    socket: handlers({
      onOpen: options.onConnection,
      listenerPort: () => listener.port,
      held: options.upgradable,
      bulk: options.bulk,
    }),
  };
  let listener: Bun.TCPSocketListener<BunConnection>;
  try {
    listener = Bun.listen<BunConnection>(listenOptions);
  } catch (error) {
    return Promise.reject(error);
  }
  let stopped = false;
  return Promise.resolve({
    address: toSocketAddress(listener.hostname, listener.port),
    close() {
      if (!stopped) {
        stopped = true;
        listener.stop(false);
      }
      return Promise.resolve();
    },
  });
}

async function connect(options: ConnectOptions): Promise<Connection> {
  // Bun.connect cannot bind a source address (active mode connects from the
  // control connection's local address), node:net can. A connection for
  // TLS must be Bun's own to resume the control connection's session, so
  // there the kernel picks the source address: the control connection's on
  // a host with one route to the client.
  if (!options.upgradable && options.localAddress !== undefined) return await connectNet(options);
  const socket = await Bun.connect<BunConnection>({
    hostname: options.host,
    port: options.port,
    allowHalfOpen: true,
    socket: handlers({ held: options.upgradable, bulk: options.bulk }),
  });
  return socket.data;
}

const tlsSettings = new WeakMap<TlsContext, BunTlsSettings>();

function createTlsContext(options: TlsContextOptions): TlsContext {
  assertKeyPair(options);
  // upgradeTLS has no minVersion; BoringSSL takes the same as option bits.
  let secureOptions = constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1;
  if (options.minVersion === "TLSv1.3") secureOptions |= constants.SSL_OP_NO_TLSv1_2;
  // Without tickets nothing can be resumed (Bun keeps no session-ID cache).
  if (!options.resumption) secureOptions |= constants.SSL_OP_NO_TICKET;
  const context: TlsContext = { minVersion: options.minVersion };
  tlsSettings.set(context, { cert: options.cert, key: options.key, secureOptions });
  return context;
}

function upgradeTls(conn: Connection, context: TlsContext, options: UpgradeOptions = {}): Promise<TlsConnection> {
  const settings = tlsSettings.get(context);
  if (!settings) return Promise.reject(new Error("upgradeTls: the context was not made by this runtime's createTlsContext"));
  if (!(conn instanceof BunConnection)) {
    conn.close();
    return Promise.reject(new Error("upgradeTls: the connection was not listened for or connected with `upgradable`"));
  }
  return conn.upgrade(settings, options.preface);
}

/** Listings by libc's `statx`. */
const listingStatx = folderStatx(() => statx, { many: statxMany });

const files: FilePort = {
  ...nodeFiles,
  readDir: listingStatx ? (path) => readDirWith(path, listingStatx) : nodeFiles.readDir,
  openWrite: hasLibc
    ? (path, mode) =>
      openWriteWith(path, mode, (source, fd, position) =>
        source instanceof BunConnection ? source.spliceTo(fd, position) : undefined)
    : nodeFiles.openWrite,
};

/**
 * The port implemented with Bun's native sockets.
 *
 * @example
 * ```ts
 * import { runtime } from "./bun.ts";
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
  name: "bun",
  version: Bun.version,
  listen,
  connect,
  createTlsContext,
  upgradeTls,
  files,
  host: nodeHost,
};
