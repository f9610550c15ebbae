/**
 * The FTP control-connection client of the load scripts (bench.ts,
 * soak.ts): one reply per command, EPSV data connections, optional FTPS
 * (AUTH TLS, PROT P). Built on `node:net`/`node:tls`, so it runs on Deno,
 * Bun and Node.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

/** A server that does not answer within this long counts as an error. */
const REPLY_TIMEOUT_MS = 60_000;
/** A server whose backlog overflows drops SYNs, and the kernel retries for
 * two minutes: that counts as a failure much sooner. */
const CONNECT_TIMEOUT_MS = 15_000;

/** Resolves as `promise`, or rejects once `ms` have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Replies as they arrive, handed out one whole reply at a time.
 *
 * @example
 * ```ts
 * import { ReplyQueue } from "./_ftp_control.ts";
 * const replies = new ReplyQueue();
 * replies.received("220 ready\r\n");
 * console.log(await replies.next()); // "220 ready\r\n"
 * ```
 */
export class ReplyQueue {
  #text = "";
  #waiting: ((reply: string) => void) | undefined;
  #ended = false;

  received(text: string): void {
    this.#text += text;
    this.#deliver();
  }

  /** The connection ended: a reply asked for beyond what arrived is "". */
  ended(): void {
    this.#ended = true;
    this.#deliver();
  }

  /** The next reply, or "" once the connection ended without one. At most
   * one may be pending. */
  next(): Promise<string> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#deliver();
    });
  }

  #deliver(): void {
    if (!this.#waiting) return;
    // A reply ends with a line "NNN " (multi-line replies end so too).
    const match = /^\d{3} .*\r?\n/m.exec(this.#text);
    if (!match && !this.#ended) return;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (!match) return waiting("");
    const end = match.index + match[0].length;
    const reply = this.#text.slice(0, end);
    this.#text = this.#text.slice(end);
    waiting(reply);
  }
}

/** A TCP connection (no delay), given up after 15 s. */
export function openSocket(host: string, port: number): Promise<Socket> {
  const socket = connect({ host, port, noDelay: true });
  const connected = new Promise<Socket>((resolve, reject) => {
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    }).once("error", reject);
  });
  return withTimeout(connected, CONNECT_TIMEOUT_MS, "connect").catch((error) => {
    socket.destroy();
    throw error;
  });
}

/** What {@link FtpControl.open} may be told besides where to connect. */
export interface FtpControlOptions {
  /** Called with each command's time to its first reply, in ms. */
  readonly onReplyTime?: (ms: number) => void;
  /** How long to wait for each reply; default 60 s. */
  readonly replyTimeoutMs?: number;
}

/** A control connection that reads one reply per command. */
export class FtpControl {
  readonly #host: string;
  readonly #onReplyTime: ((ms: number) => void) | undefined;
  readonly #replyTimeoutMs: number;
  #socket: Socket;
  readonly #replies = new ReplyQueue();
  #failed: Error | null = null;
  /** After {@link secure}: the TLS session data connections resume. */
  #tls: { session: Uint8Array | undefined } | null = null;

  private constructor(host: string, socket: Socket, options: FtpControlOptions) {
    this.#host = host;
    this.#onReplyTime = options.onReplyTime;
    this.#replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this.#socket = socket;
    this.#read(socket);
    const fail = (error?: Error) => {
      this.#failed ??= error ?? new Error("control connection closed");
      this.#replies.ended();
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
  }

  /** Connects and reads the 220 greeting. */
  static async open(host: string, port: number, options: FtpControlOptions = {}): Promise<FtpControl> {
    const control = new FtpControl(host, await openSocket(host, port), options);
    try {
      const greeting = await control.reply();
      if (!greeting.startsWith("220")) throw new Error(`no greeting: ${greeting.trim()}`);
    } catch (error) {
      // A connection left open would keep the whole benchmark process alive.
      control.destroy();
      throw error;
    }
    return control;
  }

  #read(socket: Socket): void {
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => this.#replies.received(text));
  }

  /** USER, PASS, TYPE I, and CWD `dir` when given. */
  async login(user: string, password: string, dir?: string): Promise<void> {
    await this.send(`USER ${user}`, /^[23]/);
    await this.send(`PASS ${password}`, /^2/);
    await this.send("TYPE I", /^2/);
    if (dir) await this.send(`CWD ${dir}`, /^2/);
  }

  /** AUTH TLS, PBSZ 0, PROT P: from now on the control connection and every
   * data connection are encrypted. Certificates are not checked (load
   * testing). */
  async secure(): Promise<void> {
    await this.send("AUTH TLS", /^234/);
    const raw = this.#socket;
    raw.removeAllListeners("data");
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
    const tls: { session: Uint8Array | undefined } = { session: undefined };
    secure.on("session", (session: Uint8Array) => (tls.session = session));
    await new Promise<void>((resolve, reject) => secure.once("secureConnect", resolve).once("error", reject));
    this.#socket = secure;
    this.#read(secure);
    this.#tls = tls;
    await this.send("PBSZ 0", /^2/);
    await this.send("PROT P", /^2/);
  }

  /** The next reply; rejects when the connection failed or the server
   * took longer than the reply timeout. */
  reply(): Promise<string> {
    return withTimeout(this.#replies.next(), this.#replyTimeoutMs, "reply").then((reply) => {
      if (reply === "") throw this.#failed ?? new Error("control connection closed");
      return reply;
    });
  }

  /** Sends `line`; its first reply must match `expect`. */
  async send(line: string, expect: RegExp = /^[123]/): Promise<string> {
    const started = performance.now();
    this.#socket.write(line + "\r\n");
    const reply = await this.reply();
    this.#onReplyTime?.(performance.now() - started);
    if (!expect.test(reply)) throw new Error(`${line.split(" ")[0]} failed: ${reply.trim()}`);
    return reply;
  }

  /** Reads the reply to an already sent command. */
  async expect(pattern: RegExp, what: string): Promise<void> {
    const reply = await this.reply();
    if (!pattern.test(reply)) throw new Error(`${what} failed: ${reply.trim()}`);
  }

  /** EPSV and a connection to the port it names (encrypted after
   * {@link secure}). */
  async dataSocket(): Promise<Socket> {
    const reply = await this.send("EPSV", /^229/);
    const raw = await openSocket(this.#host, Number(/\|\|\|(\d+)\|/.exec(reply)?.[1]));
    if (!this.#tls) return raw;
    // The handshake runs on its own: servers start it once the transfer
    // command has come, so waiting for it here would deadlock.
    return tlsConnect({ socket: raw, rejectUnauthorized: false, session: this.#tls.session as Buffer | undefined });
  }

  /** RETR into nothing; resolves with the bytes received. */
  async retr(file: string): Promise<number> {
    return await this.download(`RETR ${file}`);
  }

  /** A listing into nothing; resolves with its size in bytes. */
  async listing(verb: "LIST" | "MLSD", folder?: string): Promise<number> {
    return await this.download(folder === undefined ? verb : `${verb} ${folder}`);
  }

  /** Any command that sends data (RETR, LIST, ...) into nothing; resolves
   * with the bytes received once the 2xx reply came. */
  async download(command: string): Promise<number> {
    const data = await this.dataSocket();
    let bytes = 0;
    let failure: Error | null = null;
    data.on("data", (chunk: Uint8Array) => (bytes += chunk.length));
    data.on("error", (error: Error) => (failure ??= error));
    const closed = new Promise((resolve) => data.once("close", resolve));
    await this.send(command, /^1/);
    await closed;
    if (failure) throw failure;
    await this.expect(/^2/, command);
    return bytes;
  }

  /** STOR of `size` bytes, `block` repeated (the last one cut). */
  async stor(file: string, size: number, block: Uint8Array): Promise<void> {
    const data = await this.dataSocket();
    // A data connection the server cut shows in its reply.
    data.on("error", () => {});
    await this.send(`STOR ${file}`, /^1/);
    for (let sent = 0; sent < size; sent += block.length) {
      const part = size - sent < block.length ? block.subarray(0, size - sent) : block;
      if (!data.write(part)) await new Promise((resolve) => data.once("drain", resolve));
    }
    // Waits for the close, not for the end's callback, which a connection
    // that failed never calls; the reply tells whether the upload worked.
    const closed = new Promise((resolve) => data.once("close", resolve));
    data.end();
    await closed;
    await this.expect(/^2/, `STOR ${file}`);
  }

  /** Sends QUIT and closes its side, not waiting for the 221. */
  quit(): void {
    this.#socket.end("QUIT\r\n");
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.#socket.destroy();
  }
}
