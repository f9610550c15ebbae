/**
 * One control connection: reads command lines, dispatches them, keeps the
 * session's state and runs its data transfers.
 *
 * @module
 */

import type { Authorizer, Permission, UserAccount } from "./authorizer.ts";
import { type CommandSpec, runCommand } from "./command.ts";
import type { DataChannel } from "./data_channel.ts";
import { FtpError, replyForError } from "./errors.ts";
import type { FileSystem } from "./fs/file_system.ts";
import { callHook, type HookEvents, type ServerHooks, type SessionInfo } from "./hooks.ts";
import type { HashAlgorithm } from "./hash/mod.ts";
import { LineReader, parseCommand } from "./line_reader.ts";
import { MLSX_FACTS, type MlsxFact } from "./listing.ts";
import type { LogLevel, Logger } from "./logger.ts";
import type { MetricsCollector } from "./metrics.ts";
import { resolvePath } from "./path.ts";
import { permissionsAt } from "./permissions.ts";
import type { Connection, Runtime, SocketAddress } from "./port.ts";
import { encodeReply, Reply } from "./reply.ts";
import type { Security } from "./security.ts";
import { expel, guardSession, watchStall } from "./session_guard.ts";
import { enforceTlsPolicy, protectDataConnection, type SessionTls, type TlsSettings } from "./tls.ts";
import type { VirtualHost } from "./virtual_host.ts";

/** Server-wide settings and services a session uses.
 *
 * @example
 * ```ts
 * import type { SessionContext } from "./session.ts";
 * function describe(context: SessionContext): string {
 *   return `${context.runtime.name}: ${context.commands.size} verbs`;
 * }
 * ```
 */
export interface SessionContext {
  readonly runtime: Runtime;
  readonly authorizer: Authorizer;
  /** Storage for accounts that bring none. */
  readonly defaultFs?: FileSystem;
  readonly commands: ReadonlyMap<string, CommandSpec>;
  /** SITE's subcommands, by name. */
  readonly siteCommands: ReadonlyMap<string, CommandSpec>;
  /** Hosts HOST may select, by lower-case name; empty when none are set. */
  readonly virtualHosts: ReadonlyMap<string, VirtualHost>;
  readonly logger: Logger;
  readonly banner: string;
  readonly passivePorts?: readonly [number, number];
  /** The address a 227 reply announces to a client (NAT); `undefined` for
   * the control connection's real local address. */
  readonly masqueradeAddressFor: (client: string) => string | undefined;
  /** How long a data connection may take to come up, either way. */
  readonly passiveTimeoutMs: number;
  readonly hooks: ServerHooks;
  /** Counts commands and replies (the other counters are fed by `hooks`). */
  readonly counters: Pick<MetricsCollector, "countCommand" | "countReply">;
  /** Allow PORT/EPRT to, and passive connections from, other hosts (FXP). */
  readonly permitForeignAddresses: boolean;
  /** Allow PORT/EPRT to ports below 1024. */
  readonly permitPrivilegedPorts: boolean;
  /** Limits, timeouts and bans (see `SecurityOptions`). */
  readonly security: Security;
  /** FTPS, when configured. */
  readonly tls?: TlsSettings;
  /** Told once, when a session has ended, its hooks settled. */
  readonly sessionEnded: (session: Session) => void;
}

/** A logged-in user as the session holds them.
 *
 * @example
 * ```ts
 * import type { SessionUser } from "./session.ts";
 * function home(user: SessionUser): string {
 *   return `${user.account.username} may ${user.account.permissions}`;
 * }
 * ```
 */
export interface SessionUser {
  readonly account: UserAccount;
  readonly fs: FileSystem;
}

/** Progress of the running transfer, for STAT and logs.
 *
 * @example
 * ```ts
 * import type { TransferProgress } from "./session.ts";
 * const progress: TransferProgress = { label: "RETR /a", startedMs: Date.now(), bytes: 0, aborted: false };
 * ```
 */
export interface TransferProgress {
  /** What is moving, as {@link TransferJob.label}. */
  readonly label: string;
  /** When the transfer started, in milliseconds since the epoch. */
  readonly startedMs: number;
  bytes: number;
  /** Set by ABOR, a timeout or the session closing; the transfer must not
   * succeed. */
  aborted: boolean;
  /** Why it was aborted, when not by ABOR (text of the 426 reply). */
  reason?: string;
}

/** One transfer: how to move the bytes and what to release afterwards.
 *
 * @example
 * ```ts
 * import type { TransferJob } from "./session.ts";
 * const job: TransferJob = {
 *   label: "LIST /",
 *   direction: "send",
 *   async run(data, progress) {
 *     const bytes = new TextEncoder().encode("a.txt\r\n");
 *     await data.write(bytes);
 *     progress.bytes += bytes.length;
 *     await data.closeWrite();
 *   },
 *   release: () => Promise.resolve(),
 * };
 * ```
 */
export interface TransferJob {
  /** For the log and the 150 reply, e.g. `RETR /docs/a.txt`. */
  readonly label: string;
  /** Which way the bytes go, as the server sees it. */
  readonly direction: "send" | "receive";
  /** The file's virtual path, for file transfers (not listings); the file
   * hooks fire only for these. */
  readonly path?: string;
  /** Text of the 150 reply when it must say more than the label (STOU's
   * `FILE: name`, RFC 1123 §4.1.2.9). */
  readonly startText?: string;
  /** Moves the bytes. Resolves only when the transfer is complete: a
   * received file closed on storage, sent data handed to the network. */
  run(data: Connection, progress: TransferProgress): Promise<void>;
  /** Always called once at the end, success or not (close handles). */
  release(): Promise<void>;
}

let lastSessionId = 0;

/** Commands logged at `info` with their outcome, as pyftpdlib's
 * `log_cmds_list`: those that change the tree or the working folder. */
const LOGGED_VERBS = new Set(["CWD", "DELE", "MFMT", "MKD", "RMD", "RNFR", "RNTO", "SITE"]);

/** Every plain session's TLS state, shared: PBSZ and PROT change it only
 * after AUTH TLS has replaced it, and frozen, that is enforced. */
const PLAIN_CONTROL: SessionTls = Object.freeze({ control: null, pbsz: false, protectData: false });

interface RunningTransfer {
  readonly progress: TransferProgress;
  readonly channel: DataChannel;
  readonly done: Promise<void>;
}

/**
 * The state and behaviour of one control connection. Command handlers get
 * the session and use its methods; everything else is internal.
 *
 * @example
 * ```ts
 * import type { Session } from "./session.ts";
 * async function hello(session: Session): Promise<void> {
 *   await session.reply(200, `Hello from ${session.cwd}.`);
 * }
 * ```
 */
export class Session {
  /** Unique while the program runs, for hooks and logs. */
  readonly id: number = ++lastSessionId;
  readonly context: SessionContext;
  readonly remoteAddress: SocketAddress;
  readonly localAddress: SocketAddress;
  /** Name given by USER, waiting for PASS. */
  pendingUsername: string | null = null;
  user: SessionUser | null = null;
  /** Virtual working directory. */
  cwd = "/";
  /** RFC 959 §3.1.1: ASCII until the client asks for image. */
  transferType: "ascii" | "binary" = "ascii";
  /** Offset from REST for the next RETR/STOR. */
  restartOffset = 0;
  /** Path named by RNFR; valid only for the command right after it. */
  renameFrom: string | null = null;
  /** After EPSV ALL, only EPSV may set up data connections (RFC 2428). */
  epsvAll = false;
  /** MLSx facts chosen with OPTS MLST. */
  mlstFacts: readonly MlsxFact[] = MLSX_FACTS;
  /** When the client last sent a command or a transfer ended (`Date.now()`
   * scale), for the idle timeout. */
  lastActivityAt: number = Date.now();
  /** AUTH TLS, PBSZ and PROT state. */
  tls: SessionTls = PLAIN_CONTROL;
  #connection: Connection;
  /** Algorithm of HASH, chosen with OPTS HASH. */
  hashAlgorithm: HashAlgorithm = "SHA-256";
  /** Host chosen with HOST (RFC 7151); `null` for the server's own. */
  virtualHost: VirtualHost | null = null;
  /** What the client called itself with CLNT, for the log. */
  clientName: string | null = null;
  #dataChannel: DataChannel | null = null;
  #transfer: RunningTransfer | null = null;
  #closed = false;
  #quitting = false;
  #lines = new LineReader();
  /** Made by the first async hook: most sessions never have one. */
  #pendingHooks: Set<Promise<void>> | undefined;
  // Kept as two fields, the text unjoined: a reply must not allocate for
  // the one log line a few verbs write.
  #lastReplyCode = 0;
  #lastReplyText: string | readonly string[] = "";

  constructor(context: SessionContext, connection: Connection) {
    this.context = context;
    this.#connection = connection;
    this.remoteAddress = connection.remoteAddress;
    this.localAddress = connection.localAddress;
  }

  /** The control connection; AUTH TLS replaces it with its encrypted
   * self. */
  get connection(): Connection {
    return this.#connection;
  }

  /** Carries on over `connection` (the same peer, now encrypted). */
  replaceConnection(connection: Connection): void {
    this.#connection = connection;
    if (this.#closed) connection.close();
  }

  /** Serves the connection until the client quits or disconnects, then
   * tells `context.sessionEnded`. One async frame for the whole session:
   * an idle server's memory is mostly its sessions'. */
  async run(): Promise<void> {
    try {
      if (await this.#addressBanned()) {
        await expel(this, "Too many failed logins from your address; try again later.");
        return;
      }
      this.log("info", "FTP session opened (connect).");
      this.emit("onConnect", {});
      const guard = guardSession(this);
      try {
        this.connection.setNoDelay(true);
        await this.reply(Reply.ServiceReady, this.context.banner);
        while (!this.#quitting) {
          const chunk = await this.connection.read();
          if (!chunk) break;
          await this.#handle(chunk);
        }
      } catch (error) {
        this.log("debug", `control connection failed: ${(error as Error).message}`);
      } finally {
        guard.stop();
        this.close();
        await this.#transfer?.done;
        await this.#hooksSettled();
        this.log("info", "FTP session closed (disconnect).");
        this.emit("onDisconnect", {});
        await this.#hooksSettled();
      }
    } catch (error) {
      this.log("error", `session failed: ${(error as Error)?.stack ?? error}`);
      this.close();
    } finally {
      this.context.sessionEnded(this);
    }
  }

  /** Whether a ban keeps this client's address out. Async even when no
   * bans are set, so that `run` never ends before its caller has it. */
  async #addressBanned(): Promise<boolean> {
    const { bans } = this.context.security;
    return !!bans && await bans.isAddressBanned(this.remoteAddress.address);
  }

  /** Runs the commands that `chunk` completes. A method of its own, so that
   * nothing of it stays referenced while the session waits for the next
   * chunk. */
  async #handle(chunk: Uint8Array): Promise<void> {
    for (const event of this.#lines.push(chunk)) {
      if (this.#quitting) return;
      this.lastActivityAt = Date.now();
      if (event.kind === "line") {
        const control = this.#connection;
        await this.#execute(event.text);
        // Plain bytes that came after AUTH TLS may have been injected by a
        // third party (CVE-2011-0411): they are dropped, not run.
        if (this.#connection !== control) {
          this.#lines = new LineReader();
          return;
        }
      } else if (event.kind === "too-long") {
        this.log("warn", "Refused a command line longer than 2 KiB.");
        await this.reply(Reply.SyntaxError, "Command line too long.");
      } else {
        this.log("warn", "Refused a command line that is not valid UTF-8.");
        await this.reply(Reply.SyntaxError, "Command line is not valid UTF-8.");
      }
    }
  }

  /** Sends a reply; a client that is gone is noticed by the read loop. */
  async reply(code: number, text: string | readonly string[]): Promise<void> {
    if (this.#closed) return;
    if (this.#logs("debug")) this.log("debug", `-> ${code} ${typeof text === "string" ? text : text.join(" | ")}`);
    try {
      await this.connection.write(encodeReply(code, text));
    } catch {
      this.close();
      return;
    }
    this.#lastReplyCode = code;
    this.#lastReplyText = text;
    this.context.counters.countReply(code);
    if (this.context.hooks.onReply) this.emit("onReply", { code, lines: typeof text === "string" ? [text] : text });
  }

  /** What hooks are told about this session. */
  get info(): SessionInfo {
    return {
      id: this.id,
      remoteAddress: this.remoteAddress,
      localAddress: this.localAddress,
      username: this.user?.account.username,
    };
  }

  /**
   * Calls the server's hook `name` with `event` and this session's info.
   * Never throws and never waits: a failing hook is logged, a running one is
   * awaited only when the session ends.
   */
  emit<K extends keyof ServerHooks>(name: K, event: Omit<HookEvents[K], "session">): void {
    const full = { ...event, session: this.info } as HookEvents[K];
    const pending = callHook(this.context.hooks, name, full, (error) => {
      this.log("error", `${name} hook failed: ${(error as Error)?.stack ?? error}`);
    });
    if (!pending) return;
    const pendingHooks = this.#pendingHooks ??= new Set();
    pendingHooks.add(pending);
    pending.then(() => pendingHooks.delete(pending));
  }

  async #hooksSettled(): Promise<void> {
    while (this.#pendingHooks?.size) await Promise.all(this.#pendingHooks);
  }

  /** Whether records at `level` are written: per-line messages are not even
   * built otherwise. A failing user logger counts as writing nothing. */
  #logs(level: LogLevel): boolean {
    try {
      return this.context.logger.enabled?.(level) !== false;
    } catch {
      return false;
    }
  }

  /** Logs a record tagged with this session. A failing user logger must
   * not take the session down with it, so its errors are swallowed. */
  log(level: LogLevel, message: string): void {
    try {
      if (!this.#logs(level)) return;
      this.context.logger.log({
        level,
        time: new Date(),
        message,
        session: {
          remote: `${this.remoteAddress.address}:${this.remoteAddress.port}`,
          user: this.user?.account.username ?? this.pendingUsername ?? undefined,
          id: this.id,
        },
      });
    } catch {
      // nowhere left to report it
    }
  }

  /** The logged-in user's storage. */
  get fs(): FileSystem {
    if (!this.user) throw new FtpError(Reply.NotLoggedIn, "Log in with USER and PASS first.");
    return this.user.fs;
  }

  /** Whether the logged-in user holds `permission` on virtual path `path`
   * (default the working folder), folder overrides included. */
  can(permission: Permission, path: string = this.cwd): boolean {
    return this.permissionsAt(path).includes(permission);
  }

  /** The logged-in user's permission letters on virtual path `path`. */
  permissionsAt(path: string): string {
    return this.user ? permissionsAt(this.user.account, path) : "";
  }

  /**
   * The virtual absolute path an argument names, relative to the working
   * directory. Names with CR, LF or NUL are refused: they could forge reply
   * lines or truncate native paths.
   */
  resolve(argument: string): string {
    if (/[\r\n\0]/.test(argument)) {
      throw new FtpError(Reply.ArgumentSyntaxError, "Names with CR, LF or NUL are not allowed.");
    }
    return resolvePath(this.cwd, argument);
  }

  /** Replaces the prepared data channel (closing the old one). */
  setDataChannel(channel: DataChannel): void {
    this.#dataChannel?.close();
    this.#dataChannel = channel;
  }

  /** Whether a PASV/EPSV is waiting to be used. */
  get hasDataChannel(): boolean {
    return this.#dataChannel !== null;
  }

  /** Whether a transfer is running, and its progress. */
  get transferProgress(): TransferProgress | null {
    return this.#transfer?.progress ?? null;
  }

  /**
   * Runs a transfer on the prepared data channel. `prepare` opens what the
   * job needs; it runs only once a data channel is known to exist, so a
   * refused transfer never touches storage (a STOR without PASV must not
   * truncate the file). Then replies 150 and, in the background, connects,
   * moves the bytes, releases the job and replies 226 (or 425/426/4xx/5xx).
   * Commands keep being served meanwhile (ABOR, STAT).
   */
  async startTransfer(prepare: () => Promise<TransferJob>): Promise<void> {
    if (this.#transfer) throw new FtpError(Reply.FileUnavailableBusy, "Another transfer is in progress.");
    const fs = this.fs;
    const channel = this.#dataChannel;
    if (!channel) throw new FtpError(Reply.CantOpenData, "Use PASV, EPSV, PORT or EPRT first.");
    this.#dataChannel = null;
    let job: TransferJob;
    try {
      job = await prepare();
    } catch (error) {
      channel.close();
      throw error;
    }
    await this.reply(Reply.FileStatusOk, job.startText ?? `Opening data connection for ${job.label}.`);
    const progress: TransferProgress = { label: job.label, startedMs: Date.now(), bytes: 0, aborted: false };
    this.#transfer = { progress, channel, done: this.#runTransfer(job, channel, progress, fs) };
  }

  async #runTransfer(job: TransferJob, channel: DataChannel, progress: TransferProgress, fs: FileSystem): Promise<void> {
    const started = Date.now();
    let outcome: { code: number; text: string };
    const { security } = this.context;
    const stall = watchStall(progress, security.dataTimeoutMs, () => channel.close());
    try {
      const plain = await channel.connect().catch(() => {
        throw new FtpError(Reply.CantOpenData, "Can't open data connection.");
      });
      const data = await protectDataConnection(this, plain);
      await job.run(security.throttle(data, this.user?.account.username, this.user?.account.limits), progress);
      if (progress.aborted) throw new FtpError(Reply.TransferAborted, "Transfer aborted.");
      outcome = { code: Reply.TransferComplete, text: "Transfer complete." };
    } catch (error) {
      outcome = this.#transferFailure(error, progress);
    } finally {
      stall.stop();
      channel.close();
    }
    try {
      await job.release();
    } catch (error) {
      if (outcome.code === Reply.TransferComplete) outcome = this.#transferFailure(error, progress);
    }
    const durationMs = Date.now() - started;
    const completed = outcome.code === Reply.TransferComplete;
    this.log("info", `${job.label} completed=${completed ? 1 : 0} bytes=${progress.bytes} seconds=${(durationMs / 1000).toFixed(3)}`);
    this.#transfer = null;
    this.lastActivityAt = Date.now();
    await this.reply(outcome.code, outcome.text);
    if (job.path === undefined) return;
    const event = { path: job.path, fs, bytes: progress.bytes, durationMs };
    const sent = job.direction === "send";
    if (completed) {
      this.emit(sent ? "onFileSent" : "onFileReceived", event);
    } else {
      const incomplete = { ...event, code: outcome.code, reason: outcome.text };
      this.emit(sent ? "onIncompleteFileSent" : "onIncompleteFileReceived", incomplete);
    }
  }

  #transferFailure(error: unknown, progress: TransferProgress): { code: number; text: string } {
    if (progress.aborted) return { code: Reply.TransferAborted, text: progress.reason ?? "Transfer aborted." };
    if (error instanceof FtpError) return { code: error.code, text: error.message };
    const errno = (error as { code?: unknown } | null)?.code;
    if (typeof errno === "string" && errno.startsWith("E") && errno !== "ECONNRESET" && errno !== "EPIPE") {
      const reply = replyForError(error);
      if (reply.unexpected) this.log("error", `transfer failed: ${(error as Error).message}`);
      return reply;
    }
    return { code: Reply.TransferAborted, text: "Data connection closed; transfer aborted." };
  }

  /**
   * Aborts the running transfer (it replies 426 itself) and drops a prepared
   * channel. Resolves once the transfer has finished; tells whether one ran.
   */
  async abortTransfer(): Promise<boolean> {
    const transfer = this.#transfer;
    this.#dataChannel?.close();
    this.#dataChannel = null;
    if (!transfer) return false;
    transfer.progress.aborted = true;
    transfer.channel.close();
    await transfer.done;
    return true;
  }

  /** Waits for the running transfer, if any, to end on its own. */
  async waitForTransfer(): Promise<void> {
    await this.#transfer?.done;
  }

  /** Stops reading commands; the connection closes once the current reply
   * is out (QUIT). */
  quit(): void {
    this.#quitting = true;
  }

  /** Back to the state right after the greeting, for REIN (RFC 959
   * §4.1.1): logged out, every parameter at its default, no data channel.
   * The caller lets a running transfer finish first. */
  reinitialize(): void {
    this.#dataChannel?.close();
    this.#dataChannel = null;
    this.pendingUsername = null;
    this.user = null;
    this.cwd = "/";
    this.transferType = "ascii";
    this.restartOffset = 0;
    this.renameFrom = null;
    this.epsvAll = false;
    this.mlstFacts = MLSX_FACTS;
    this.hashAlgorithm = "SHA-256";
    this.virtualHost = null;
  }

  /** Closes the connection and everything of this session. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dataChannel?.close();
    if (this.#transfer) {
      this.#transfer.progress.aborted = true;
      this.#transfer.channel.close();
    }
    this.connection.close();
  }

  async #execute(line: string): Promise<void> {
    const { verb, argument } = parseCommand(line);
    if (this.#logs("debug")) this.log("debug", verb === "PASS" ? "<- PASS ******" : `<- ${line}`);
    this.context.counters.countCommand();
    if (this.context.hooks.onCommand) this.emit("onCommand", { verb, argument: verb === "PASS" ? "******" : argument });
    const spec = this.context.commands.get(verb);
    if (!spec) {
      const shown = /^[A-Z]{1,8}$/.test(verb) ? ` "${verb}"` : "";
      this.log("info", `Unknown command${shown || ` (${verb.length} bytes)`}.`);
      return await this.reply(Reply.SyntaxError, `Command${shown} not understood.`);
    }
    if (spec.verb !== "RNTO") this.renameFrom = null;
    try {
      enforceTlsPolicy(this, spec.verb);
      await runCommand(this, spec, argument);
    } catch (error) {
      const reply = replyForError(error);
      if (reply.unexpected) this.log("error", `${spec.verb} failed: ${(error as Error)?.stack ?? error}`);
      await this.reply(reply.code, reply.text);
    }
    if (LOGGED_VERBS.has(spec.verb) && this.#lastReplyCode && this.#logs("info")) {
      const code = this.#lastReplyCode;
      const text = this.#lastReplyText;
      this.log("info", `${spec.verb} ${argument} ${code}${code >= 400 ? ` '${typeof text === "string" ? text : text.join(" ")}'` : ""}`);
    }
  }
}
