/**
 * The Node adapter: `node:net` sockets and `node:fs/promises` files.
 *
 * @module
 */

import * as net from "node:net";
import process from "node:process";
import type { Connection, ConnectOptions, Listener, ListenOptions, Runtime } from "../port.ts";
import { createPullQueue } from "../_pull_queue.ts";
import { toSocketAddress } from "./_address.ts";
import { connectionClosedError } from "./_errors.ts";
import { nodeFiles } from "./_node_files.ts";
import { nodeHost } from "./_node_process.ts";

const DEFAULT_BACKLOG = 511;

function wrapSocket(socket: net.Socket): Connection {
  const queue = createPullQueue({
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  });
  let closed = false;
  let writeClosed: Promise<void> | undefined;
  let drained: Promise<void> | undefined;
  const { promise: closedPromise, resolve: resolveClosed } = Promise.withResolvers<void>();

  socket.on("data", (chunk: Uint8Array) => queue.push(chunk));
  socket.on("end", () => queue.end());
  socket.on("error", (error) => queue.fail(error));
  socket.on("close", () => {
    closed = true;
    queue.end();
    resolveClosed();
  });

  // One shared wait for 'drain', so concurrent writers do not each add a
  // listener.
  function waitForDrain(): Promise<void> {
    drained ??= new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        socket.off("close", onClose);
        resolve();
      };
      const onClose = () => {
        socket.off("drain", onDrain);
        reject(connectionClosedError());
      };
      socket.once("drain", onDrain);
      socket.once("close", onClose);
    }).finally(() => {
      drained = undefined;
    });
    return drained;
  }

  return {
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
      writeClosed ??= new Promise<void>((resolve) => socket.end(() => resolve()));
      return writeClosed;
    },
    close() {
      if (closed) return;
      closed = true;
      queue.close();
      socket.destroy();
    },
    setNoDelay(noDelay) {
      socket.setNoDelay(noDelay);
    },
    closed: closedPromise,
  };
}

async function listen(options: ListenOptions): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true });
  server.on("connection", (socket) => options.onConnection(wrapSocket(socket)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      { host: options.host, port: options.port, backlog: options.backlog ?? DEFAULT_BACKLOG },
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

function connect(options: ConnectOptions): Promise<Connection> {
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

/**
 * The port implemented with Node's built-in modules.
 *
 * @example
 * ```ts
 * import { runtime } from "./node.ts";
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
  name: "node",
  version: process.versions.node,
  listen,
  connect,
  files: nodeFiles,
  host: nodeHost,
};
