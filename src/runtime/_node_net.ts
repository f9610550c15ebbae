/**
 * `node:net` sockets as port {@link Connection}s: the Node adapter's sockets,
 * and the Deno adapter's for connections that TLS may take over (Deno's
 * native sockets have no server-side upgrade).
 *
 * @module
 */

import * as net from "node:net";
import { setImmediate } from "node:timers";
import type { Connection, ConnectOptions, Listener, ListenOptions } from "../port.ts";
import { createPullQueue } from "../_pull_queue.ts";
import { toSocketAddress } from "./_address.ts";
import { codedError, connectionClosedError } from "./_errors.ts";

const DEFAULT_BACKLOG = 511;

/** A socket whose wrapper can hand it over, with the bytes it had queued. */
interface Detachable {
  readonly socket: net.Socket;
  detach(closeWith: () => void): Uint8Array[];
}

const detachables = new WeakMap<Connection, Detachable>();

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
  const detachable = detachables.get(conn);
  if (!detachable) return undefined;
  detachables.delete(conn);
  return { socket: detachable.socket, queued: detachable.detach(closeWith) };
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
  const { pausable = true, endedByReset } = options;
  const queue = createPullQueue({
    pause: () => pausable && socket.pause(),
    resume: () => pausable && socket.resume(),
  });
  let closed = false;
  let writeClosed: Promise<void> | undefined;
  let drained: Promise<void> | undefined;
  let handedTo: (() => void) | undefined;
  const { promise: closedPromise, resolve: resolveClosed } = Promise.withResolvers<void>();

  const onData = (chunk: Uint8Array) => queue.push(chunk);
  const onEnd = () => {
    // A cut upload must fail, not end: its receiver would report it complete.
    if (endedByReset?.()) queue.fail(codedError("ECONNRESET", "connection reset by peer"));
    else queue.end();
  };
  const onError = (error: Error) => queue.fail(error);
  const onClose = () => {
    closed = true;
    queue.end();
    resolveClosed();
  };
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("error", onError);
  socket.on("close", onClose);

  // One shared wait for 'drain', so concurrent writers do not each add a
  // listener.
  function waitForDrain(): Promise<void> {
    drained ??= new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        socket.off("close", onClosed);
        resolve();
      };
      const onClosed = () => {
        socket.off("drain", onDrain);
        reject(connectionClosedError());
      };
      socket.once("drain", onDrain);
      socket.once("close", onClosed);
    }).finally(() => {
      drained = undefined;
    });
    return drained;
  }

  const connection: Connection = {
    localAddress: toSocketAddress(socket.localAddress ?? "", socket.localPort ?? 0),
    remoteAddress: toSocketAddress(socket.remoteAddress ?? "", socket.remotePort ?? 0),
    read() {
      return queue.read();
    },
    write(data) {
      if (closed) return Promise.reject(connectionClosedError());
      // Node keeps a reference to `data` until it is flushed, which the write
      // callback reports; 'drain' then says the send buffer has room again.
      return new Promise<void>((resolve, reject) => {
        socket.write(data, (error) => {
          if (error) {
            reject(closed ? connectionClosedError() : error);
          } else if (socket.writableNeedDrain) {
            waitForDrain().then(resolve, reject);
          } else {
            resolve();
          }
        });
      });
    },
    closeWrite() {
      if (closed) return Promise.resolve();
      // On a TLS socket, end() in the same tick as the handshake's end (an
      // empty listing) makes TLS 1.3 clients fail with
      // SHUTDOWN_WHILE_IN_INIT on Node (pitfall P3): end one turn later.
      // A plain socket ends at once, which saves small downloads that turn.
      writeClosed ??= new Promise<void>((resolve) => {
        const end = () => socket.end(() => resolve());
        if ((socket as { encrypted?: boolean }).encrypted) setImmediate(end);
        else end();
      });
      return writeClosed;
    },
    close() {
      if (closed) return;
      closed = true;
      queue.close();
      if (handedTo) handedTo();
      else socket.destroy();
    },
    setNoDelay(noDelay) {
      socket.setNoDelay(noDelay);
    },
    closed: closedPromise,
  };
  detachables.set(connection, {
    socket,
    detach(closeWith) {
      handedTo = closeWith;
      socket.pause();
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onError);
      // 'close' stays: `closed` still tells when the socket is gone.
      return queue.takeQueued();
    },
  });
  return connection;
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
export async function listenNet(options: ListenOptions): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true });
  server.on("connection", (socket) => options.onConnection(wrapSocket(socket)));
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
  return {
    address: toSocketAddress(bound.address, bound.port),
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
export function connectNet(options: ConnectOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      localAddress: options.localAddress,
      allowHalfOpen: true,
    });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(wrapSocket(socket));
    });
  });
}
