/**
 * The Bun adapter: `Bun.listen`/`Bun.connect` sockets and `Bun.file` reads;
 * everything else on `node:fs/promises`, because Bun's file writer can
 * neither append nor truncate. Connections that TLS may take over come from
 * `node:net`, for `node:tls` (see `_node_tls.ts` for why not `upgradeTLS`).
 *
 * @module
 */

import type {
  Connection,
  ConnectOptions,
  FilePort,
  Listener,
  ListenOptions,
  Runtime,
} from "../port.ts";
import { createPullQueue } from "../_pull_queue.ts";
import { toSocketAddress } from "./_address.ts";
import { connectionClosedError } from "./_errors.ts";
import { assertRegularFile } from "./_file_kind.ts";
import { nodeFiles } from "./_node_files.ts";
import { connectNet, listenNet } from "./_node_net.ts";
import { nodeHost } from "./_node_process.ts";
import { createTlsContext, tlsUpgrade } from "./_node_tls.ts";
import { createWriteChain } from "./_write_chain.ts";

/** The part of a write the kernel has not taken yet, waiting for `drain`. */
interface PendingWrite {
  readonly data: Uint8Array;
  offset: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** What the socket handlers forward to one connection. */
interface SocketEvents {
  readonly connection: Connection;
  data(chunk: Uint8Array): void;
  drain(): void;
  end(): void;
  close(error?: Error): void;
}

type BunSocket = Bun.Socket<SocketEvents>;

function wrapSocket(socket: BunSocket): SocketEvents {
  const queue = createPullQueue({
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  });
  let closed = false;
  let pending: PendingWrite | undefined;
  let writeClosed: Promise<void> | undefined;
  const { promise: closedPromise, resolve: resolveClosed } = Promise.withResolvers<void>();

  /** Writes what the kernel takes now; true once `write` is complete. */
  function flush(write: PendingWrite): boolean {
    const written = socket.write(write.data.subarray(write.offset));
    if (written < 0) {
      write.reject(connectionClosedError());
      return true;
    }
    write.offset += written;
    if (write.offset < write.data.length) return false;
    write.resolve();
    return true;
  }

  // Bun's write is unbuffered: it returns how much the kernel accepted, and
  // the rest is ours to retry on 'drain'.
  const writes = createWriteChain((data) => {
    if (closed) return Promise.reject(connectionClosedError());
    return new Promise<void>((resolve, reject) => {
      const write = { data, offset: 0, resolve, reject };
      if (!flush(write)) pending = write;
    });
  });

  function settle(error?: Error): void {
    if (closed) return;
    closed = true;
    if (error) queue.fail(error);
    else queue.end();
    pending?.reject(error ?? connectionClosedError());
    pending = undefined;
    resolveClosed();
  }

  const connection: Connection = {
    localAddress: toSocketAddress(socket.localAddress, socket.localPort),
    remoteAddress: toSocketAddress(socket.remoteAddress, socket.remotePort),
    read() {
      return queue.read();
    },
    write(data) {
      return writes.write(data);
    },
    closeWrite() {
      writeClosed ??= writes.idle().then(() => {
        if (!closed) socket.shutdown();
      });
      return writeClosed;
    },
    close() {
      if (closed) return;
      queue.close();
      // end() sends FIN and closes the socket at once (the 'close' handler
      // runs inside it); terminate() would send RST and drop unsent bytes.
      socket.end();
      settle();
    },
    setNoDelay(noDelay) {
      socket.setNoDelay(noDelay);
    },
    closed: closedPromise,
  };

  return {
    connection,
    data(chunk) {
      queue.push(chunk);
    },
    drain() {
      if (pending && flush(pending)) pending = undefined;
    },
    end() {
      queue.end();
    },
    close: settle,
  };
}

/** Handlers shared by every socket; each one forwards to `socket.data`. */
function handlers(onOpen?: (connection: Connection) => void) {
  return {
    open(socket: BunSocket) {
      socket.data = wrapSocket(socket);
      onOpen?.(socket.data.connection);
    },
    data(socket: BunSocket, chunk: Uint8Array) {
      socket.data.data(chunk);
    },
    drain(socket: BunSocket) {
      socket.data.drain();
    },
    end(socket: BunSocket) {
      socket.data.end();
    },
    close(socket: BunSocket, error?: Error) {
      socket.data?.close(error);
    },
  };
}

function listen(options: ListenOptions): Promise<Listener> {
  if (options.upgradable) return listenNet(options);
  // Bun.listen has no backlog option, so options.backlog is ignored here;
  // its own backlog is 512 (`ss -ltn`).
  // Bun.listen takes `reusePort` (SO_REUSEPORT), which bun-types 1.4.5 lacks.
  const listenOptions: Bun.TCPSocketListenOptions<SocketEvents> & { reusePort?: boolean } = {
    hostname: options.host,
    port: options.port,
    reusePort: options.reusePort,
    // Without it Bun closes the socket as soon as the peer half-closes.
    allowHalfOpen: true,
    socket: handlers(options.onConnection),
  };
  let listener: Bun.TCPSocketListener<SocketEvents>;
  try {
    listener = Bun.listen<SocketEvents>(listenOptions);
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
  const socket = await Bun.connect<SocketEvents>({
    hostname: options.host,
    port: options.port,
    allowHalfOpen: true,
    socket: handlers(),
  });
  return socket.data.connection;
}

const files: FilePort = {
  ...nodeFiles,
  // Bun.file reads lazily, so a missing file or a folder is caught here, as
  // the port wants openRead itself to fail.
  async openRead(path, offset) {
    assertRegularFile((await nodeFiles.stat(path)).kind, path);
    const reader = Bun.file(path).slice(offset).stream().getReader();
    let closed = false;
    return {
      async read() {
        if (closed) return null;
        const { done, value } = await reader.read();
        return done ? null : value;
      },
      async close() {
        if (closed) return;
        closed = true;
        await reader.cancel();
      },
    };
  },
};

/**
 * The port implemented with Bun's native sockets and files.
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
  files,
  host: nodeHost,
};
