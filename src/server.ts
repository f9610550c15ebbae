/**
 * The FTP server: listens, accepts control connections, runs a session for
 * each.
 *
 * @module
 */

import { type Authorizer, MemoryAuthorizer } from "./authorizer.ts";
import { commandTable, type CustomCommand, customCommandSpec } from "./command.ts";
import { builtinCommands } from "./commands/mod.ts";
import { builtinSiteCommands } from "./commands/site.ts";
import type { FileSystem } from "./fs/file_system.ts";
import { LocalFileSystem } from "./fs/local.ts";
import type { ServerHooks } from "./hooks.ts";
import { type MasqueradeAddressMap, masqueradeLookup } from "./masquerade.ts";
import { createConsoleLogger, type Logger, type LogFormat, type LogLevel } from "./logger.ts";
import { MetricsCollector, type ServerMetrics } from "./metrics.ts";
import type { Connection, Listener, Runtime, SocketAddress } from "./port.ts";
import { loadRuntime } from "./runtime/load.ts";
import { encodeReply, Reply } from "./reply.ts";
import { Security, type SecurityOptions } from "./security.ts";
import { Session, type SessionContext } from "./session.ts";
import { closeIfSlow } from "./timeouts.ts";
import { tlsCommands } from "./commands/tls.ts";
import { createTlsContextFrom, type FtpsOptions, type SessionTls, type TlsCertificate, type TlsSettings } from "./tls.ts";
import { VERSION } from "./version.ts";
import { hostKey, type VirtualHost, type VirtualHostOptions } from "./virtual_host.ts";
import { planWorkers, startWorkers, type WorkerGroup, type WorkerRole } from "./workers.ts";

/** Options of {@link FtpServer}; the limits, timeouts, bans, throttling and
 * quotas are the {@link SecurityOptions}.
 *
 * @example
 * ```ts
 * import { MemoryAuthorizer, type FtpServerOptions } from "../mod.ts";
 * const options: FtpServerOptions = {
 *   host: "127.0.0.1",
 *   port: 2121,
 *   root: "/srv/ftp",
 *   authorizer: new MemoryAuthorizer({ users: { alice: { password: "secret", permissions: "elradfmwMT" } } }),
 * };
 * ```
 */
export interface FtpServerOptions extends SecurityOptions, FtpsOptions {
  /** Address to listen on; default all interfaces (`::`, or `0.0.0.0`
   * where IPv6 is unavailable). */
  readonly host?: string;
  /** Port to listen on; 0 lets the system choose; default 2121. */
  readonly port?: number;
  /** A folder served to accounts that bring no file system of their own. */
  readonly root?: string;
  /** Storage served to accounts that bring none (takes precedence over
   * `root`). */
  readonly fs?: FileSystem;
  /** Who may log in; default anonymous, read-only. */
  readonly authorizer?: Authorizer;
  /** Inclusive range for passive data ports; default a random free port of
   * the dynamic range 49152-65535. */
  readonly passivePorts?: readonly [number, number];
  /** Public IPv4 address announced in PASV replies, for servers behind
   * NAT. */
  readonly masqueradeAddress?: string;
  /** Per-client-network exceptions to `masqueradeAddress`, e.g.
   * `{ private: null }` to give LAN and loopback clients the real address.
   * See {@link MasqueradeAddressMap}. */
  readonly masqueradeAddressMap?: MasqueradeAddressMap;
  /** Allow PORT/EPRT to, and passive data connections from, an address
   * other than the client's (FXP; opens the bounce attack of RFC 2577);
   * default false. */
  readonly permitForeignAddresses?: boolean;
  /** Allow PORT/EPRT to ports below 1024; default false. */
  readonly permitPrivilegedPorts?: boolean;
  /** Virtual hosts a client selects with HOST (RFC 7151) before logging
   * in, by name (`ftp.example.org`) or address (`192.0.2.1`). A name not
   * listed gets 504; without HOST the server's own settings apply. */
  readonly virtualHosts?: Readonly<Record<string, VirtualHostOptions>>;
  /** Text of the 220 greeting. */
  readonly banner?: string;
  /** How long a PASV/EPSV port waits for the client after its reply (then
   * it closes), and a PORT/EPRT connection may take; default 30 s. */
  readonly passiveTimeoutMs?: number;
  /** Where logs go; default standard error at `logLevel`. */
  readonly logger?: Logger;
  /** Level of the default logger; default `info`. */
  readonly logLevel?: LogLevel;
  /** Line format of the default logger: pyftpdlib-style `text` (coloured
   * when standard error is a terminal) or `json`; default `text`. */
  readonly logFormat?: LogFormat;
  /** Extra commands (new verbs), or replacements for built-in ones. They
   * appear in HELP, and in FEAT with their `features`. */
  readonly commands?: readonly CustomCommand[];
  /** Extra SITE subcommands (`SITE <verb> ...`), listed by SITE HELP. */
  readonly siteCommands?: readonly CustomCommand[];
  /** Functions called on connections, logins, transfers, commands and
   * replies; see {@link ServerHooks}. */
  readonly hooks?: ServerHooks;
  /** The runtime adapter; default the one for the runtime running this. */
  readonly runtime?: Runtime;
  /** Processes serving the control port (Linux `SO_REUSEPORT`); default 1.
   * With N > 1, {@link FtpServer.listen} starts N-1 copies of the running
   * program, which must create this server with the same options; each
   * worker takes its own slice of `passivePorts`. See `src/workers.ts`. */
  readonly workers?: number;
}

/** Options of {@link FtpServer.close}.
 *
 * @example
 * ```ts
 * import type { CloseOptions } from "../mod.ts";
 * const options: CloseOptions = { graceMs: 30_000 };
 * ```
 */
export interface CloseOptions {
  /** How long running transfers may go on before they are cut; default 0
   * (cut at once). Sessions without a transfer are closed at once. */
  readonly graceMs?: number;
}

/** How long a closing session's 421 may wait for a client that does not
 * read. */
const FAREWELL_MS = 1000;

function sleep(ms: number): { readonly done: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { done, cancel: () => clearTimeout(timer) };
}

/** Frees the client's connection slot once its socket has closed. A
 * function of its own, so that a running session's frame holds no closure
 * for it. */
function releaseWhenClosed(security: Security, conn: Connection): void {
  const address = conn.remoteAddress.address;
  conn.closed.then(() => security.release(address));
}

/** Default control port: a high port, usable without privileges.
 *
 * @example
 * ```ts
 * import { DEFAULT_PORT } from "../mod.ts";
 * console.log(`ftp://127.0.0.1:${DEFAULT_PORT}/`); // ftp://127.0.0.1:2121/
 * ```
 */
export const DEFAULT_PORT = 2121;

/**
 * An FTP server.
 *
 * @example
 * ```ts
 * import { FtpServer, MemoryFileSystem } from "../mod.ts";
 * const server = new FtpServer({ fs: new MemoryFileSystem(), port: 0 });
 * const { port } = await server.listen();
 * console.log(`ftp://127.0.0.1:${port}/`);
 * await server.close();
 * ```
 */
export class FtpServer {
  readonly #options: FtpServerOptions;
  /** Each open session and the promise of its end. */
  readonly #sessions = new Map<Session, Promise<void>>();
  readonly #metrics = new MetricsCollector();
  #listener: Listener | null = null;
  #closing = false;
  #implicitListener: Listener | null = null;
  #workers: WorkerGroup | null = null;
  #role: WorkerRole | null = null;
  #tls: TlsSettings | undefined;
  /** The sessions' logger, flushed once the server has closed. */
  #logger: Logger | undefined;

  /** Only stores the options; nothing is bound until {@link listen}. */
  constructor(options: FtpServerOptions = {}) {
    this.#options = options;
  }

  /**
   * Creates a server and starts listening, in one step.
   *
   * @example
   * ```ts
   * import { FtpServer, MemoryFileSystem } from "../mod.ts";
   * const server = await FtpServer.start({ fs: new MemoryFileSystem(), port: 0 });
   * await server.close();
   * ```
   */
  static async start(options: FtpServerOptions = {}): Promise<FtpServer> {
    const server = new FtpServer(options);
    await server.listen();
    return server;
  }

  /** Binds and starts accepting; resolves with the bound address. Rejects
   * with `code` `EADDRINUSE` or `EACCES` when the port can't be used. */
  async listen(): Promise<SocketAddress> {
    if (this.#listener) throw new Error("FtpServer is already listening");
    this.#closing = false;
    const options = this.#options;
    const runtime = options.runtime ?? await loadRuntime();
    this.#tls = options.tls && {
      context: await createTlsContextFrom(runtime, options.tls, options.tlsSessionReuse ?? "allow"),
      controlRequired: options.tlsControlRequired ?? false,
      dataRequired: options.tlsDataRequired ?? false,
      sessionReuse: options.tlsSessionReuse ?? "allow",
    };
    const plan = planWorkers(runtime.host, options);
    const context = this.#context(runtime, plan.passivePorts);
    this.#logger = context.logger;
    const onConnection = (conn: Connection) => this.#serve(context, conn);
    const port = plan.port ?? DEFAULT_PORT;
    const upgradable = this.#tls !== undefined;
    const reusePort = plan.role !== null;
    if (options.host !== undefined) {
      this.#listener = await runtime.listen({ host: options.host, port, onConnection, upgradable, reusePort });
    } else {
      try {
        this.#listener = await runtime.listen({ host: "::", port, onConnection, upgradable, reusePort });
      } catch (error) {
        // Only a host without IPv6 falls back; a busy or forbidden port is
        // the same on IPv4, so that error is the one to report.
        const code = (error as { code?: string }).code;
        if (code === "EADDRINUSE" || code === "EACCES") throw error;
        this.#listener = await runtime.listen({ host: "0.0.0.0", port, onConnection, upgradable, reusePort });
      }
    }
    if (options.implicitTlsPort !== undefined) {
      if (!this.#tls) throw new Error("implicitTlsPort needs the tls option");
      try {
        this.#implicitListener = await runtime.listen({
          host: this.#listener.address.address,
          port: options.implicitTlsPort,
          onConnection: (conn) => void this.#serveImplicit(context, conn),
          upgradable,
          reusePort,
        });
      } catch (error) {
        await this.#listener.close();
        this.#listener = null;
        throw error;
      }
    }
    this.#role = plan.role;
    if (plan.role?.index === 0) {
      this.#workers = startWorkers(runtime.host, plan.role.count, this.#listener.address.port, context.logger);
    } else if (plan.role) {
      // A copy ends with its primary, whichever way that ends.
      runtime.host.onParentExit(() => void this.close().finally(() => runtime.host.exit(0)));
    }
    return this.#listener.address;
  }

  /** The implicit FTPS address; throws unless `implicitTlsPort` was given
   * and {@link listen} has resolved. */
  get implicitTlsAddress(): SocketAddress {
    if (!this.#implicitListener) throw new Error("FtpServer has no implicit TLS listener");
    return this.#implicitListener.address;
  }

  /**
   * Replaces the certificate and key without a restart: connections made
   * from now on get the new ones; open sessions keep theirs. Rejects (and
   * keeps the old certificate) when the new one can't be loaded.
   *
   * @example
   * ```ts
   * import { FtpServer } from "../mod.ts";
   * declare const server: FtpServer;
   * await server.reloadTls({ cert: "/etc/tsftpd/cert.pem", key: "/etc/tsftpd/key.pem" });
   * ```
   */
  async reloadTls(certificate: TlsCertificate): Promise<void> {
    const settings = this.#tls;
    if (!settings) throw new Error("FtpServer was not started with the tls option");
    const runtime = this.#options.runtime ?? await loadRuntime();
    settings.context = await createTlsContextFrom(runtime, certificate, settings.sessionReuse);
  }

  /** The bound address; throws before {@link listen} has resolved. */
  get address(): SocketAddress {
    if (!this.#listener) throw new Error("FtpServer is not listening");
    return this.#listener.address;
  }

  /** Which worker of a `workers: N` server this is (index 0 is the one that
   * started the others); null when the server runs alone. */
  get worker(): WorkerRole | null {
    return this.#role;
  }

  /** Number of open control connections. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /**
   * The server's counters (connections, logins, transfers, bytes, errors)
   * since it was created; {@link formatPrometheus} turns them into
   * Prometheus text.
   *
   * @example
   * ```ts
   * import { FtpServer, MemoryFileSystem } from "../mod.ts";
   * const server = await FtpServer.start({ fs: new MemoryFileSystem(), port: 0 });
   * console.log(server.metrics().connectionsOpen); // 0
   * await server.close();
   * ```
   */
  metrics(): ServerMetrics {
    return this.#metrics.snapshot();
  }

  /**
   * Stops accepting connections, lets running transfers go on for up to
   * `graceMs`, and closes every session with a 421 reply (a transfer still
   * running then is cut). Resolves once every session has ended, its hooks
   * included. It never exits the program or touches signals: a CLI calls
   * it from its own signal handler.
   *
   * @example
   * ```ts
   * import { FtpServer, MemoryFileSystem } from "../mod.ts";
   * const server = await FtpServer.start({ fs: new MemoryFileSystem(), port: 0 });
   * await server.close({ graceMs: 10_000 });
   * ```
   */
  async close(options: CloseOptions = {}): Promise<void> {
    this.#closing = true;
    const listeners = [this.#listener, this.#implicitListener];
    this.#listener = null;
    this.#implicitListener = null;
    for (const listener of listeners) await listener?.close();
    const workers = this.#workers;
    this.#workers = null;
    await workers?.stop();
    const grace = sleep(options.graceMs ?? 0);
    try {
      await Promise.all([...this.#sessions.keys()].map(async (session) => {
        if (options.graceMs) await Promise.race([session.waitForTransfer(), grace.done]);
        const farewell = sleep(FAREWELL_MS);
        await Promise.race([session.reply(Reply.ServiceUnavailable, "Server shutting down."), farewell.done]);
        farewell.cancel();
        session.close();
      }));
    } finally {
      grace.cancel();
    }
    await Promise.all(this.#sessions.values());
    this.#logger?.flush?.();
  }

  #context(runtime: Runtime, passivePorts: readonly [number, number] | undefined): SessionContext {
    const options = this.#options;
    const defaultFs = options.fs ??
      (options.root !== undefined ? new LocalFileSystem(options.root, { runtime }) : undefined);
    const authorizer = options.authorizer ?? new MemoryAuthorizer({ anonymous: true });
    const virtualHosts = new Map<string, VirtualHost>();
    for (const [name, host] of Object.entries(options.virtualHosts ?? {})) {
      const key = hostKey(name);
      virtualHosts.set(key, {
        name: key,
        authorizer: host.authorizer ?? authorizer,
        defaultFs: host.fs ?? (host.root !== undefined ? new LocalFileSystem(host.root, { runtime }) : defaultFs),
        banner: host.banner,
      });
    }
    return {
      runtime,
      authorizer,
      defaultFs,
      commands: commandTable([
        ...builtinCommands,
        ...(this.#tls ? tlsCommands : []),
        ...(options.commands ?? []).map(customCommandSpec),
      ]),
      siteCommands: commandTable([...builtinSiteCommands, ...(options.siteCommands ?? []).map(customCommandSpec)]),
      virtualHosts,
      logger: this.#metrics.logger(
        options.logger ?? createConsoleLogger({
          level: options.logLevel ?? "info",
          format: options.logFormat,
          colour: runtime.host.isTerminal(),
        }),
      ),
      banner: options.banner ?? `tsftpd ${VERSION} ready.`,
      passivePorts,
      masqueradeAddressFor: masqueradeLookup(options.masqueradeAddress, options.masqueradeAddressMap),
      passiveTimeoutMs: options.passiveTimeoutMs ?? 30_000,
      hooks: this.#metrics.hooks(options.hooks ?? {}),
      counters: this.#metrics,
      permitForeignAddresses: options.permitForeignAddresses ?? false,
      permitPrivilegedPorts: options.permitPrivilegedPorts ?? false,
      security: new Security(options),
      tls: this.#tls,
      sessionEnded: (session) => this.#sessionEnded(session),
    };
  }

  /** Runs a session on `conn`, unless the limits refuse it; `admitted` when
   * the caller has already counted it (implicit FTPS, before the handshake). */
  #serve(context: SessionContext, conn: Connection, tls?: SessionTls, admitted = false): void {
    const { security } = context;
    const address = conn.remoteAddress.address;
    if (this.#closing) {
      if (admitted) security.release(address);
      conn.close();
      return;
    }
    const refusal = admitted ? null : security.admit(address);
    if (refusal !== null) {
      context.logger.log({ level: "warn", time: new Date(), message: `Refused ${address}: ${refusal}` });
      // The reply is tiny, so it fits in the socket buffer even if the
      // client never reads it.
      conn.write(encodeReply(Reply.ServiceUnavailable, refusal)).catch(() => {}).finally(() => conn.close());
      return;
    }
    const session = new Session(context, conn);
    if (tls) session.tls = tls;
    this.#sessions.set(session, session.run());
  }

  #sessionEnded(session: Session): void {
    this.#sessions.delete(session);
    const { security } = session.context;
    security.releaseUser(session);
    releaseWhenClosed(security, session.connection);
  }

  /** Implicit FTPS: TLS from the first byte, data protected by default. */
  async #serveImplicit(context: SessionContext, conn: Connection): Promise<void> {
    const tls = context.tls as TlsSettings;
    const tlsContext = tls.context;
    const { security } = context;
    const address = conn.remoteAddress.address;
    // Counted from the first byte, so that clients stuck in the handshake
    // meet the connection limits too; a refusal can only be a close here.
    if (security.admit(address) !== null) return conn.close();
    let secure;
    try {
      const handshake = context.runtime.upgradeTls(conn, tlsContext);
      secure = await closeIfSlow(handshake, conn, security.tlsHandshakeTimeoutMs, "TLS handshake");
    } catch {
      security.release(address);
      return; // the adapter has closed it; nothing was said in the clear
    }
    this.#serve(context, secure, { control: tlsContext, pbsz: true, protectData: true }, true);
  }
}
