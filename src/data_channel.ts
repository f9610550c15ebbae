/**
 * Data connections. A session prepares one {@link DataChannel}, passive
 * (PASV/EPSV: the server listens) or active (PORT/EPRT: the server
 * connects), and the next transfer command takes it.
 *
 * @module
 */

import { sameIp } from "./ip.ts";
import type { Connection, Listener, Runtime } from "./port.ts";

/** A prepared data connection, used by exactly one transfer.
 *
 * @example
 * ```ts
 * import type { DataChannel } from "./data_channel.ts";
 * async function send(channel: DataChannel, bytes: Uint8Array): Promise<void> {
 *   const conn = await channel.connect();
 *   try {
 *     await conn.write(bytes);
 *     await conn.closeWrite();
 *   } finally {
 *     channel.close();
 *   }
 * }
 * ```
 */
export interface DataChannel {
  /** Resolves with the data connection once the peer is connected; rejects
   * when it does not come in time or the channel was closed. */
  connect(): Promise<Connection>;
  /** Releases everything: the listener and any data connection. Idempotent. */
  close(): void;
}

/** How to open a passive data channel.
 *
 * @example
 * ```ts
 * import type { PassiveChannelOptions } from "./data_channel.ts";
 * declare const runtime: import("./port.ts").Runtime;
 * const options: PassiveChannelOptions = {
 *   runtime,
 *   host: "127.0.0.1",
 *   clientAddress: "127.0.0.1",
 *   acceptTimeoutMs: 30_000,
 *   onForeignPeer: (address) => console.warn(`refused ${address}`),
 * };
 * ```
 */
export interface PassiveChannelOptions {
  readonly runtime: Runtime;
  /** The control connection's local address: data comes to the same one. */
  readonly host: string;
  /** Inclusive port range to listen in; when absent, a random port of the
   * dynamic range 49152-65535 (the system's choice if a few are taken). */
  readonly portRange?: readonly [number, number];
  /** Only this peer may connect (anti connection-stealing, RFC 2577); any
   * peer when absent (`permitForeignAddresses`). */
  readonly clientAddress?: string;
  /** How long the listener waits for the peer after opening; then it
   * closes, so an unused PASV does not hold a port of the range. */
  readonly acceptTimeoutMs: number;
  /** Told about a refused connection from another address. */
  readonly onForeignPeer: (address: string) => void;
  /** The connection will get TLS (PROT P). */
  readonly upgradable?: boolean;
}

/** A listening passive channel and the port it listens on.
 *
 * @example
 * ```ts
 * import { openPassiveChannel, type PassiveChannelOptions } from "./data_channel.ts";
 * declare const options: PassiveChannelOptions;
 * const { port, channel } = await openPassiveChannel(options);
 * ```
 */
export interface PassiveChannel {
  readonly port: number;
  readonly channel: DataChannel;
}

/**
 * Listens for the client's data connection (PASV/EPSV). The first
 * connection from the client's own address is kept and the listener closed;
 * connections from any other address are closed at once and the listener
 * keeps waiting. Fails with `code` `EADDRINUSE` when every port of the range
 * is taken.
 *
 * @example
 * ```ts
 * import { openPassiveChannel, type PassiveChannelOptions } from "./data_channel.ts";
 * declare const options: PassiveChannelOptions;
 * const { port, channel } = await openPassiveChannel(options);
 * console.log(`227 ... port ${port}`);
 * const conn = await channel.connect();
 * ```
 */
export async function openPassiveChannel(options: PassiveChannelOptions): Promise<PassiveChannel> {
  let accepted: Connection | null = null;
  let closed = false;
  let waiter: { resolve(conn: Connection): void; reject(error: Error): void } | null = null;
  // Replaced once bound; a connection racing the bind is handled below.
  let stopListening = () => {};

  const onConnection = (conn: Connection) => {
    const foreign = options.clientAddress !== undefined &&
      !sameIp(conn.remoteAddress.address, options.clientAddress);
    if (accepted || closed || foreign) {
      if (!accepted && !closed) options.onForeignPeer(conn.remoteAddress.address);
      conn.close();
      return;
    }
    accepted = conn;
    stopListening();
    waiter?.resolve(conn);
  };
  const bound = await listenInRange(options, onConnection);
  // From the 227/229 reply, as pyftpdlib does: a client that never connects
  // must not keep the port, whether or not it sent the transfer command.
  const acceptTimer = setTimeout(() => {
    if (!accepted) channel.close();
  }, options.acceptTimeoutMs);
  stopListening = () => {
    clearTimeout(acceptTimer);
    void bound.close();
  };
  if (accepted) stopListening();

  const channel: DataChannel = {
    connect() {
      if (accepted) return Promise.resolve(accepted);
      if (closed) return Promise.reject(new Error("data channel closed"));
      return new Promise<Connection>((resolve, reject) => (waiter = { resolve, reject }));
    },
    close() {
      if (closed) return;
      closed = true;
      stopListening();
      accepted?.close();
      waiter?.reject(new Error("no data connection"));
    },
  };
  return { port: bound.address.port, channel };
}

async function listenInRange(
  options: PassiveChannelOptions,
  onConnection: (conn: Connection) => void,
): Promise<Listener> {
  const { host, upgradable } = options;
  for (const port of candidatePorts(options.portRange)) {
    try {
      return await options.runtime.listen({ host, port, onConnection, upgradable, bulk: true });
    } catch (error) {
      if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    }
  }
  const [from, to] = options.portRange ?? DYNAMIC_PORTS;
  throw Object.assign(new Error(`no free passive port in ${from}-${to}`), { code: "EADDRINUSE" });
}

/** Passive ports without a configured range: the IANA dynamic range. */
const DYNAMIC_PORTS = [49152, 65535] as const;
const DYNAMIC_PORT_ATTEMPTS = 8;

/** The ports to try, in order. */
function* candidatePorts(range: readonly [number, number] | undefined): Generator<number> {
  if (!range) {
    // Not port 0 first: once data connections have left thousands of ports
    // in TIME_WAIT, the kernel's search for a free port costs more than the
    // listing it serves. A random port is one lookup and as hard to guess.
    const [from, to] = DYNAMIC_PORTS;
    for (let attempt = 0; attempt < DYNAMIC_PORT_ATTEMPTS; attempt++) {
      yield from + Math.floor(Math.random() * (to - from + 1));
    }
    yield 0;
    return;
  }
  const [from, to] = range;
  const size = to - from + 1;
  // A random start spreads sessions over the range and makes the next port
  // hard to guess (port stealing).
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) yield from + ((start + i) % size);
}

/** How to open an active data channel.
 *
 * @example
 * ```ts
 * import type { ActiveChannelOptions } from "./data_channel.ts";
 * declare const runtime: import("./port.ts").Runtime;
 * const options: ActiveChannelOptions = {
 *   runtime,
 *   host: "127.0.0.1",
 *   port: 50123,
 *   localAddress: "127.0.0.1",
 *   connectTimeoutMs: 30_000,
 * };
 * ```
 */
export interface ActiveChannelOptions {
  readonly runtime: Runtime;
  /** The client's data address, as PORT/EPRT gave it (already checked). */
  readonly host: string;
  readonly port: number;
  /** The control connection's local address, to connect from (RFC 959:
   * the server's data port sits on the control connection's host). */
  readonly localAddress?: string;
  /** How long `connect()` may take. */
  readonly connectTimeoutMs: number;
  /** The connection will get TLS (PROT P). */
  readonly upgradable?: boolean;
}

/**
 * An active channel (PORT/EPRT). Nothing is connected until the transfer
 * asks, after its 150 reply (RFC 959 §5.2), so a channel that is replaced or
 * dropped never touches the network. The caller checks the target first.
 *
 * @example
 * ```ts
 * import { openActiveChannel, type ActiveChannelOptions } from "./data_channel.ts";
 * declare const options: ActiveChannelOptions;
 * const channel = openActiveChannel(options);
 * const conn = await channel.connect();
 * ```
 */
export function openActiveChannel(options: ActiveChannelOptions): DataChannel {
  let closed = false;
  let connection: Connection | null = null;
  let attempt: Promise<Connection> | null = null;
  let fail: ((error: Error) => void) | null = null;
  const channel: DataChannel = {
    connect() {
      if (closed) return Promise.reject(new Error("data channel closed"));
      attempt ??= new Promise<Connection>((resolve, reject) => {
        const timer = setTimeout(() => channel.close(), options.connectTimeoutMs);
        fail = (error) => {
          clearTimeout(timer);
          reject(error);
        };
        const { host, port, localAddress, upgradable } = options;
        options.runtime.connect({ host, port, localAddress, upgradable, bulk: true }).then(
          (conn) => {
            clearTimeout(timer);
            if (closed) {
              conn.close();
              return reject(new Error("data channel closed"));
            }
            connection = conn;
            resolve(conn);
          },
          (error: Error) => fail?.(error),
        );
      });
      return attempt;
    },
    close() {
      if (closed) return;
      closed = true;
      connection?.close();
      fail?.(new Error("no data connection"));
    },
  };
  return channel;
}
