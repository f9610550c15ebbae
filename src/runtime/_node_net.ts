/**
 * `node:net` sockets as port {@link Connection}s: the Node adapter's sockets,
 * and the Deno adapter's for connections that TLS may take over (Deno's
 * native sockets have no server-side upgrade).
 *
 * @module
 */

import * as net from "node:net";
import { setImmediate } from "node:timers";
import type { Connection, ConnectOptions, Listener, ListenOptions, SocketAddress } from "../port.ts";
import { createPullQueue, type PullQueue, type PullQueueOptions } from "../_pull_queue.ts";
import { toSocketAddress } from "./_address.ts";
import { codedError, connectionClosedError } from "./_errors.ts";
import { FIRST_RECEIVE_BUFFER, MAX_BULK_RECEIVE_BUFFER, nextReceiveBuffer } from "./_receive_buffer.ts";

const DEFAULT_BACKLOG = 511;

/** Listening addresses whose accepted sockets each have their own local
 * address. */
const WILDCARDS = new Set(["::", "0.0.0.0", ""]);

/**
 * Takes the socket back from a connection made by {@link wrapSocket}: the
 * connection stops (its reads give `null`, its `close()` calls `closeWith`,
 * its `closed` still resolves when the socket closes), the socket is
 * paused, and the bytes read but not yet consumed are returned. `undefined` for any other
 * connection.
 *
 * @example
 * ```ts
 * import { detachSocket } from "./_node_net.ts";
 * import type { Connection } from "../port.ts";
 * declare const conn: Connection;
 * const taken = detachSocket(conn, () => {});
 * if (taken) taken.socket.write("bye\r\n");
 * ```
 */
export function detachSocket(
  conn: Connection,
  closeWith: () => void,
): { socket: net.Socket; queued: Uint8Array[] } | undefined {
  if (!(conn instanceof NetConnection)) return undefined;
  return conn.detach(closeWith);
}

/** How {@link wrapSocket} treats its socket.
 *
 * @example
 * ```ts
 * import type { WrapOptions } from "./_node_net.ts";
 * const options: WrapOptions = { pausable: false, endedByReset: () => false };
 * ```
 */
export interface WrapOptions {
  /** With `false` the socket is never paused (no receive-side
   * backpressure), for sockets that break when paused. Default `true`. */
  readonly pausable?: boolean;
  /** Asked at the socket's 'end': `true` turns it into an ECONNRESET
   * failure, for runtimes that report a reset as an end. */
  readonly endedByReset?: () => boolean;
}

/**
 * Wraps a connected `node:net` socket, or a `node:tls` socket on one, as a
 * {@link Connection}. Listeners are attached at once: Deno's `node:tls`
 * loses data that arrives before a `data` listener exists (pitfall P2).
 *
 * @example
 * ```ts
 * import * as net from "node:net";
 * import { wrapSocket } from "./_node_net.ts";
 * const socket = net.connect({ host: "127.0.0.1", port: 21 });
 * socket.once("connect", () => wrapSocket(socket).close());
 * socket.on("error", () => {});
 * ```
 */
export function wrapSocket(socket: net.Socket, options: WrapOptions = {}): Connection {
  return new NetConnection(socket, options);
}

/** The queue's source when the socket must never be paused. */
const NEVER_PAUSED: PullQueueOptions = { pause() {}, resume() {} };

/** Where a socket's listeners, shared by every socket, find its
 * connection. */
const OWNER = Symbol("tsftpd connection");

type OwnedSocket = net.Socket & { [OWNER]: NetConnection };

/**
 * The receive side of a bulk connection on Node: the socket reads into one
 * buffer of this connection's (`onread`) and stops after each chunk until
 * the consumer asks for the next, when the port lets the chunk be reused.
 */
class OwnBufferReceiver {
  readonly queue: PullQueue = createPullQueue(NEVER_PAUSED);
  readonly onread: net.OnReadOpts = {
    buffer: () => this.#buffer,
    callback: (received, buffer) => this.#received(received, buffer),
  };
  #buffer: Uint8Array = new Uint8Array(FIRST_RECEIVE_BUFFER);
  #stoppedOnChunk = false;

  /** Whether the socket must start reading again for the next `read()`:
   * it stopped on a chunk the consumer, asking again, is done with. */
  mayReadOn(): boolean {
    if (!this.#stoppedOnChunk || this.queue.queuedBytes > 0) return false;
    this.#stoppedOnChunk = false;
    return true;
  }

  #received(received: number, buffer: Uint8Array): false {
    this.queue.push(buffer.subarray(0, received));
    this.#buffer = nextReceiveBuffer(buffer, received, MAX_BULK_RECEIVE_BUFFER);
    this.#stoppedOnChunk = true;
    return false;
  }
}

/**
 * A class, without a closure or a promise it could do without: an idle
 * server's memory is mostly its connections'. So the socket listeners are
 * shared, finding the connection on the socket, and `closed` is made only
 * when asked for.
 */
class NetConnection implements Connection {
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  readonly #socket: net.Socket;
  readonly #queue: PullQueue;
  readonly #endedByReset: (() => boolean) | undefined;
  #isClosed = false;
  /** Set at the socket's 'close', when `closed` resolves. */
  #socketClosed = false;
  #closed: PromiseWithResolvers<void> | undefined;
  #detached = false;
  #writeClosed: Promise<void> | undefined;
  #drained: Promise<void> | undefined;
  #handedTo: (() => void) | undefined;
  readonly #receiver: OwnBufferReceiver | undefined;

  static #onData(this: OwnedSocket, chunk: Uint8Array): void {
    this[OWNER].#queue.push(chunk);
  }

  static #onEnd(this: OwnedSocket): void {
    const connection = this[OWNER];
    // A cut upload must fail, not end: its receiver would report it complete.
    if (connection.#endedByReset?.()) connection.#queue.fail(codedError("ECONNRESET", "connection reset by peer"));
    else connection.#queue.end();
  }

  static #onError(this: OwnedSocket, error: Error): void {
    this[OWNER].#queue.fail(error);
  }

  static #onClose(this: OwnedSocket): void {
    const connection = this[OWNER];
    connection.#isClosed = true;
    connection.#socketClosed = true;
    connection.#queue.end();
    connection.#closed?.resolve();
  }

  /** With a `receiver`, `socket` was made with its `onread`. `local` is
   * the local address when the caller knows it (an accepted socket of a
   * listener on one address), which spares a `getsockname` per connection. */
  constructor(socket: net.Socket, options: WrapOptions, receiver?: OwnBufferReceiver, local?: SocketAddress) {
    this.#socket = socket;
    this.#endedByReset = options.endedByReset;
    this.#receiver = receiver;
    if (receiver) {
      this.#queue = receiver.queue;
      // Flowing, or the socket never emits 'end'; reading stops by onread.
      socket.resume();
    } else {
      // The socket itself has the pause() and resume() the queue wants.
      this.#queue = createPullQueue(options.pausable === false ? NEVER_PAUSED : socket);
      socket.on("data", NetConnection.#onData);
    }
    this.localAddress = local ?? toSocketAddress(socket.localAddress ?? "", socket.localPort ?? 0);
    this.remoteAddress = toSocketAddress(socket.remoteAddress ?? "", socket.remotePort ?? 0);
    (socket as OwnedSocket)[OWNER] = this;
    socket.on("end", NetConnection.#onEnd);
    socket.on("error", NetConnection.#onError);
    socket.on("close", NetConnection.#onClose);
  }

  get closed(): Promise<void> {
    if (this.#socketClosed) return this.#closed?.promise ?? Promise.resolve();
    this.#closed ??= Promise.withResolvers();
    return this.#closed.promise;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#receiver?.mayReadOn()) this.#socket.resume();
    return this.#queue.read();
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#isClosed) return Promise.reject(connectionClosedError());
    // Node keeps a reference to `data` until it is flushed, which the write
    // callback reports; 'drain' then says the send buffer has room again.
    return new Promise<void>((resolve, reject) => {
      this.#socket.write(data, (error) => {
        if (error) {
          reject(this.#isClosed ? connectionClosedError() : error);
        } else if (this.#socket.writableNeedDrain) {
          this.#waitForDrain().then(resolve, reject);
        } else {
          resolve();
        }
      });
    });
  }

  closeWrite(): Promise<void> {
    if (this.#isClosed) return Promise.resolve();
    // On a TLS socket, end() in the same tick as the handshake's end (an
    // empty listing) makes TLS 1.3 clients fail with
    // SHUTDOWN_WHILE_IN_INIT on Node (pitfall P3): end one turn later.
    // A plain socket ends at once, which saves small downloads that turn.
    this.#writeClosed ??= new Promise<void>((resolve) => {
      const end = () => this.#socket.end(() => resolve());
      if ((this.#socket as { encrypted?: boolean }).encrypted) setImmediate(end);
      else end();
    });
    return this.#writeClosed;
  }

  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#queue.close();
    if (this.#handedTo) this.#handedTo();
    else this.#socket.destroy();
  }

  setNoDelay(noDelay: boolean): void {
    this.#socket.setNoDelay(noDelay);
  }

  /** For {@link detachSocket}: stops reading and hands back the socket and
   * what was queued; `undefined` once detached. */
  detach(closeWith: () => void): { socket: net.Socket; queued: Uint8Array[] } | undefined {
    // A bulk socket reads into its own buffer, which a TLS layer would not know.
    if (this.#detached || this.#receiver) return undefined;
    this.#detached = true;
    this.#handedTo = closeWith;
    this.#socket.pause();
    this.#socket.off("data", NetConnection.#onData);
    this.#socket.off("end", NetConnection.#onEnd);
    this.#socket.off("error", NetConnection.#onError);
    // 'close' stays: `closed` still tells when the socket is gone.
    return { socket: this.#socket, queued: this.#queue.takeQueued() };
  }

  // One shared wait for 'drain', so concurrent writers do not each add a
  // listener.
  #waitForDrain(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.#socket.off("close", onClosed);
        resolve();
      };
      const onClosed = () => {
        this.#socket.off("drain", onDrain);
        reject(connectionClosedError());
      };
      this.#socket.once("drain", onDrain);
      this.#socket.once("close", onClosed);
    }).finally(() => {
      this.#drained = undefined;
    });
    return this.#drained;
  }
}

/**
 * Listens with `node:net`; the Node adapter's `listen`.
 *
 * @example
 * ```ts
 * import { listenNet } from "./_node_net.ts";
 * const listener = await listenNet({ host: "127.0.0.1", port: 0, onConnection: (conn) => conn.close() });
 * await listener.close();
 * ```
 */
export async function listenNet(options: ListenOptions, receive: NetReceive = {}): Promise<Listener> {
  const ownBuffers = ownsBuffers(options, receive);
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: ownBuffers });
  // Every accepted socket's local address, unless the listener's is a wildcard.
  let local: SocketAddress | undefined;
  server.on("connection", (socket) => {
    options.onConnection(ownBuffers ? rewrapAccepted(socket, local) : new NetConnection(socket, {}, undefined, local));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      {
        host: options.host,
        port: options.port,
        backlog: options.backlog ?? DEFAULT_BACKLOG,
        reusePort: options.reusePort,
      },
      () => {
        server.off("error", reject);
        resolve();
      },
    );
  });
  // Later server errors are failed accepts (EMFILE and the like): without a
  // listener they would crash the process, and the server keeps listening.
  server.on("error", () => {});
  const bound = server.address() as net.AddressInfo;
  const address = toSocketAddress(bound.address, bound.port);
  if (!WILDCARDS.has(bound.address)) local = address;
  return {
    address,
    close() {
      // server.close()'s callback waits for every accepted connection to end,
      // but the listening socket itself is closed at once.
      if (server.listening) server.close();
      return Promise.resolve();
    },
  };
}

/**
 * Connects with `node:net`; the Node adapter's `connect`.
 *
 * @example
 * ```ts
 * import { connectNet } from "./_node_net.ts";
 * const conn = await connectNet({ host: "127.0.0.1", port: 21 });
 * conn.close();
 * ```
 */
export function connectNet(options: ConnectOptions, receive: NetReceive = {}): Promise<Connection> {
  const receiver = ownsBuffers(options, receive) ? new OwnBufferReceiver() : undefined;
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      localAddress: options.localAddress,
      allowHalfOpen: true,
      onread: receiver?.onread,
    });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(new NetConnection(socket, {}, receiver));
    });
  });
}

/** How the `node:net` adapters receive.
 *
 * @example
 * ```ts
 * import type { NetReceive } from "./_node_net.ts";
 * const receive: NetReceive = { ownBuffers: true };
 * ```
 */
export interface NetReceive {
  /** Bulk connections (not upgradable) read into their own growing buffer
   * through `onread`, instead of a fresh 64 KiB buffer per read. */
  readonly ownBuffers?: boolean;
}

function ownsBuffers(options: ListenOptions | ConnectOptions, receive: NetReceive): boolean {
  return receive.ownBuffers === true && options.bulk === true && !options.upgradable;
}

/** A socket accepted paused, moved to a new socket on the same handle that
 * reads into the connection's own buffer: `onread` is a constructor option,
 * which `node:net` servers do not pass on. A socket without `_handle` (a
 * future Node) is kept as it is. */
function rewrapAccepted(socket: net.Socket, local: SocketAddress | undefined): Connection {
  const holder = socket as net.Socket & { _handle?: unknown };
  const handle = holder._handle;
  if (!handle) return new NetConnection(socket.resume(), {}, undefined, local);
  holder._handle = null;
  // Without a handle, destroy() only settles the accepted socket's books.
  socket.destroy();
  const receiver = new OwnBufferReceiver();
  const options = { handle, allowHalfOpen: true, readable: true, writable: true, onread: receiver.onread };
  return new NetConnection(new net.Socket(options as net.SocketConstructorOpts), {}, receiver, local);
}
