/**
 * TLS for the Deno and Node adapters, on `node:tls`: Deno's native TLS
 * can't upgrade an accepted socket (Bun has its own, `upgradeTLS`, see
 * `bun.ts`).
 *
 * So connections that TLS may take over are `node:net` sockets there
 * (`upgradable` in the listen and connect options), handed to `TLSSocket`
 * directly. `TLSSocket` over a JS `Duplex` around a native
 * socket was tried and fails: Deno never sends close_notify on it, Bun
 * truncates large sends.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { constants, createPrivateKey, X509Certificate } from "node:crypto";
import type * as net from "node:net";
import * as tls from "node:tls";
import type { Connection, TlsConnection, TlsContext, TlsContextOptions, UpgradeOptions } from "../port.ts";
import { codedError } from "./_errors.ts";
import { detachSocket, wrapSocket } from "./_node_net.ts";

/** Session IDs remembered for TLS 1.2 clients that resume by ID alone. */
const SESSION_CACHE_SIZE = 1024;

interface ContextState {
  readonly secureContext: tls.SecureContext;
  /** Never listens: Node keeps a session-ID cache only through a
   * `tls.Server`'s `newSession`/`resumeSession` events, which a `TLSSocket`
   * created with `server` uses. Absent when resumption is off. */
  readonly sessionServer?: tls.Server;
}

const states = new WeakMap<TlsContext, ContextState>();

function sessionIdServer(): tls.Server {
  const server = tls.createServer();
  const cache = new Map<string, Buffer>();
  server.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
    cache.set(id.toString("hex"), data);
    if (cache.size > SESSION_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    done();
  });
  server.on("resumeSession", (id: Buffer, done: (error: Error | null, data: Buffer | null) => void) => {
    done(null, cache.get(id.toString("hex")) ?? null);
  });
  return server;
}

/**
 * Throws unless `cert` is a valid certificate and `key` its private key:
 * TLS libraries that accept anything (Deno's `createSecureContext`, Bun's
 * `upgradeTLS`) would only fail at the first handshake.
 *
 * @example
 * ```ts
 * import { assertKeyPair } from "./_node_tls.ts";
 * declare const cert: string, key: string;
 * assertKeyPair({ cert, key });
 * ```
 */
export function assertKeyPair(options: Pick<TlsContextOptions, "cert" | "key">): void {
  const certificate = new X509Certificate(options.cert);
  if (!certificate.checkPrivateKey(createPrivateKey(options.key))) {
    throw new Error("the private key does not belong to the certificate");
  }
}

/**
 * Builds a secure context: one per certificate, shared by every control and
 * data connection so that data connections resume the control connection's
 * session (tickets are keyed per context).
 *
 * @example
 * ```ts
 * import { createTlsContext } from "./_node_tls.ts";
 * declare const cert: string, key: string;
 * const context = createTlsContext({ cert, key, minVersion: "TLSv1.2", resumption: true });
 * ```
 */
export function createTlsContext(options: TlsContextOptions): TlsContext {
  assertKeyPair(options);
  const secureContext = tls.createSecureContext({
    cert: options.cert,
    key: options.key,
    minVersion: options.minVersion,
    // Without tickets and without an ID cache nothing can be resumed.
    secureOptions: options.resumption ? 0 : constants.SSL_OP_NO_TICKET,
  });
  const context: TlsContext = { minVersion: options.minVersion };
  states.set(context, { secureContext, sessionServer: options.resumption ? sessionIdServer() : undefined });
  return context;
}

function writeRaw(socket: net.Socket, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

/** Takes the plain socket over from `conn` for TLS; closing `conn` from
 * now on calls `closeWith`. */
async function transportOf(conn: Connection, options: UpgradeOptions, closeWith: () => void): Promise<net.Socket> {
  // Detaching pauses the socket before the preface goes out, so the
  // ClientHello that answers it stays in the socket for TLS (pitfall P1).
  const taken = detachSocket(conn, closeWith);
  if (!taken) {
    conn.close();
    throw new Error("upgradeTls: the connection was not listened for or connected with `upgradable`");
  }
  const { socket, queued } = taken;
  try {
    if (options.preface) await writeRaw(socket, options.preface);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  // Bytes the plain reader had already taken (an eager client's ClientHello
  // on a data connection) go back in front, where TLS reads first.
  for (const chunk of queued.reverse()) socket.unshift(chunk);
  return socket;
}

/** How an adapter's TLS sockets behave. */
export interface TlsUpgradeOptions {
  /** Whether a TLS socket may be paused for receive-side backpressure.
   * Deno's `node:tls` never emits the peer's close_notify once a socket has
   * been paused and resumed, so an ftplib upload hangs in `unwrap()`. */
  readonly pausable: boolean;
  /** For runtimes whose `node:tls` reports a reset of the TCP connection as
   * a clean end (Deno): called on each new TLS socket, it returns whether
   * that socket's end was a reset. */
  readonly resetProbe?: (socket: tls.TLSSocket) => () => boolean;
}

/**
 * Makes the adapter's `upgradeTls`: a server-side TLS handshake on `conn`.
 *
 * @example
 * ```ts
 * import { createTlsContext, tlsUpgrade } from "./_node_tls.ts";
 * import type { Connection } from "../port.ts";
 * declare const conn: Connection, cert: string, key: string;
 * const upgradeTls = tlsUpgrade({ pausable: true });
 * const secure = await upgradeTls(conn, createTlsContext({ cert, key, minVersion: "TLSv1.2", resumption: true }));
 * console.log(secure.protocol);
 * ```
 */
export function tlsUpgrade(
  adapter: TlsUpgradeOptions,
): (conn: Connection, context: TlsContext, options?: UpgradeOptions) => Promise<TlsConnection> {
  return (conn, context, options = {}) => upgrade(conn, context, options, adapter);
}

async function upgrade(
  conn: Connection,
  context: TlsContext,
  options: UpgradeOptions,
  adapter: TlsUpgradeOptions,
): Promise<TlsConnection> {
  const state = states.get(context);
  if (!state) throw new Error("upgradeTls: the context was not made by this runtime's createTlsContext");
  // Whoever holds the plain connection (a data channel) closes the TLS one.
  let secure: Connection | undefined;
  const transport = await transportOf(conn, options, () => (secure ? secure.close() : transport.destroy()));
  const socket = new tls.TLSSocket(transport, {
    isServer: true,
    secureContext: state.secureContext,
    server: state.sessionServer,
  });
  // Wrapped at once, before any event can fire (pitfall P2).
  const connection = wrapSocket(socket, { pausable: adapter.pausable, endedByReset: adapter.resetProbe?.(socket) });
  // The peer's close_notify is answered with ours (ftplib waits for it in
  // unwrap()); the plain socket may allow half-open, TLS here does not.
  socket.once("end", () => socket.end());
  // The plain socket goes with it, so the plain connection's `closed`
  // resolves too.
  socket.once("close", () => transport.destroy());
  return await new Promise<TlsConnection>((resolve, reject) => {
    const fail = (error?: Error) => {
      socket.off("secure", onSecure);
      connection.close();
      reject(error ?? codedError("ECONNRESET", "connection closed during the TLS handshake"));
    };
    const onSecure = () => {
      socket.off("error", fail);
      socket.off("close", fail);
      const result: TlsConnection = {
        read: () => connection.read(),
        write: (data) => connection.write(data),
        setNoDelay: (noDelay) => connection.setNoDelay(noDelay),
        closed: connection.closed,
        // The plain socket's, known already.
        localAddress: conn.localAddress,
        remoteAddress: conn.remoteAddress,
        protocol: socket.getProtocol() ?? "unknown",
        sessionReused: socket.isSessionReused(),
        closeWrite: () => connection.closeWrite(),
        close: () => connection.close(),
      };
      secure = result;
      resolve(result);
    };
    socket.once("secure", onSecure);
    socket.once("error", fail);
    socket.once("close", () => fail());
  });
}
