/**
 * The Bun adapter: `Bun.listen`/`Bun.connect` sockets, files on `node:fs`.
 * Bun's file stream reads as fast as synchronous `node:fs` reads, but spends
 * a quarter more CPU when 200 downloads run at once, and its file writer
 * can neither append nor truncate. Connections that TLS may take over come
 * from `node:net`, for `node:tls` (see `_node_tls.ts` for why not
 * `upgradeTLS`).
 *
 * @module
 */

import type {
  Connection,
  ConnectOptions,
  Listener,
  ListenOptions,
  Runtime,
  SocketAddress,
} from "../port.ts";
import { createPullQueue, type PullQueue } from "../_pull_queue.ts";
import { toSocketAddress } from "./_address.ts";
import { connectionClosedError } from "./_errors.ts";
import { nodeFiles } from "./_node_files.ts";
import { connectNet, listenNet } from "./_node_net.ts";
import { nodeHost } from "./_node_process.ts";
import { createTlsContext, tlsUpgrade } from "./_node_tls.ts";

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

  /** `listenerPort` is the local port of an accepted socket, known without
   * the system call that `socket.localPort` makes. */
  constructor(socket: BunSocket, listenerPort?: number) {
    this.#socket = socket;
    this.#noDelay = listenerPort === undefined ? undefined : true;
    this.localAddress = toSocketAddress(socket.localAddress, listenerPort ?? socket.localPort);
    this.remoteAddress = toSocketAddress(socket.remoteAddress, socket.remotePort);
    // The socket itself has the pause() and resume() the queue wants.
    this.#queue = createPullQueue(socket);
  }

  get closed(): Promise<void> {
    if (this.#isClosed) return this.#closed?.promise ?? Promise.resolve();
    this.#closed ??= Promise.withResolvers();
    return this.#closed.promise;
  }

  read(): Promise<Uint8Array | null> {
    return this.#queue.read();
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

  /** Socket events, forwarded by {@link handlers}. */
  received(chunk: Uint8Array): void {
    this.#queue.push(chunk);
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

/** Handlers shared by every socket; each one forwards to `socket.data`. */
function handlers(onOpen?: (connection: Connection) => void, listenerPort?: () => number) {
  return {
    open(socket: BunSocket) {
      socket.data = new BunConnection(socket, listenerPort?.());
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
  if (options.upgradable) return listenNet(options);
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
    socket: handlers(options.onConnection, () => listener.port),
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
  // control connection's local address), node:net can.
  if (options.upgradable || options.localAddress !== undefined) return await connectNet(options);
  const socket = await Bun.connect<BunConnection>({
    hostname: options.host,
    port: options.port,
    allowHalfOpen: true,
    socket: handlers(),
  });
  return socket.data;
}

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
  upgradeTls: tlsUpgrade({ pausable: true }),
  files: nodeFiles,
  host: nodeHost,
};
