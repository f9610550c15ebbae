/**
 * A minimal raw FTP client for wire tests, on node:net only, so that it does
 * not share code (or bugs) with the server's runtime adapters.
 *
 * @example
 * ```ts
 * import { FtpClient } from "./_ftp_client.ts";
 * const client = await FtpClient.connect(2121);
 * await client.login("alice", "secret");
 * await client.stor("a.txt", "hello");
 * new TextDecoder().decode(await client.retr("a.txt")); // "hello"
 * await client.quit();
 * ```
 *
 * @module
 */

import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";

/** One FTP reply: its code and every line as received (without CRLF). */
export interface FtpReply {
  readonly code: number;
  readonly lines: readonly string[];
}

/** How long a reply may take before the test fails instead of hanging. */
const REPLY_TIMEOUT_MS = 10_000;

/** Connects a TCP socket to `host` (127.0.0.1 by default), optionally from
 * a chosen local address. */
export function connectTcp(port: number, localAddress?: string, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localAddress });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Everything `socket` receives until the peer ends it. */
export function readAll(socket: Socket): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.once("end", () => resolve(Buffer.concat(chunks)));
    socket.once("error", reject);
    // A reset without FIN must fail the read, not hang it.
    socket.once("close", () => reject(new Error("data connection closed before its end")));
  });
}

/** Writes `bytes` and half-closes, resolving once the bytes are flushed. */
export function writeAndEnd(socket: Socket, bytes: Uint8Array | string): Promise<void> {
  return new Promise((resolve) => socket.end(bytes, () => resolve()));
}

/** The port of a 227 reply `(h1,h2,h3,h4,p1,p2)`. */
export function pasvPort(reply: FtpReply): number {
  const match = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.lines[0]);
  if (!match) throw new Error(`not a PASV reply: ${reply.lines[0]}`);
  return Number(match[5]) * 256 + Number(match[6]);
}

/** A control connection. Every helper that expects a code throws a readable
 * error showing the whole reply when another one comes. */
export class FtpClient {
  readonly socket: Socket;
  /** The 220 greeting. */
  greeting: FtpReply = { code: 0, lines: [] };
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  #buffer: Buffer = Buffer.alloc(0);
  #replyLines: string[] = [];
  readonly #replies: FtpReply[] = [];
  #waiter: (() => void) | null = null;
  #ended = false;
  #malformed: string | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.#ended = true;
        this.#waiter?.();
        resolve();
      });
    });
    // A reset by the server is reported through `closed` and `read()`.
    socket.on("error", () => {});
  }

  /** Connects to the server on `host` (127.0.0.1 by default), from
   * `localAddress` (such as 127.0.0.2) when given, and reads its greeting. */
  static async connect(port: number, host?: string, localAddress?: string): Promise<FtpClient> {
    const client = new FtpClient(await connectTcp(port, localAddress, host));
    client.greeting = await client.read();
    return client;
  }

  /** The next reply (RFC 959 §4.2: `123-` opens a multi-line reply that
   * the first line starting `123 ` closes). */
  async read(): Promise<FtpReply> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (this.#replies.length === 0) {
      if (this.#malformed !== null) throw new Error(`malformed reply line: ${this.#malformed}`);
      if (this.#ended) throw new Error("connection closed while waiting for a reply");
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no reply within ${REPLY_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
    }
    return this.#replies.shift()!;
  }

  /** Sends one command line and returns its reply. */
  async send(line: string): Promise<FtpReply> {
    await this.sendRaw(`${line}\r\n`);
    return await this.read();
  }

  /** Sends `line` and fails unless the reply has `code`. */
  async expect(line: string, code: number): Promise<FtpReply> {
    return expectCode(await this.send(line), code, line);
  }

  /** Reads the next reply and fails unless it has `code`. */
  async expectReply(code: number, what = "next reply"): Promise<FtpReply> {
    return expectCode(await this.read(), code, what);
  }

  /** Writes bytes as they are: no line end added (split or pipelined
   * commands, invalid UTF-8). */
  sendRaw(bytes: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Sends `command` with a data connection ready, so that a server that
   * wrongly accepts it really moves bytes, and fails unless the reply is
   * `code`. When the command is accepted, the failure shows what leaked.
   */
  async expectRefused(command: string, code = 550): Promise<FtpReply> {
    const data = await this.epsv();
    data.on("error", () => {});
    const received = readAll(data).catch(() => new Uint8Array(0));
    const reply = await this.send(command);
    if (reply.code === 150) {
      data.end("written by a refused command");
      const leaked = Buffer.from(await within(received, 5000, `data of ${command}`)).toString();
      throw new Error(`${command} was accepted: ${reply.lines[0]}; data: ${JSON.stringify(leaked.slice(0, 200))}`);
    }
    data.destroy();
    return expectCode(reply, code, command);
  }

  /** USER then PASS; fails unless 331 then 230. */
  async login(user: string, password: string): Promise<void> {
    await this.expect(`USER ${user}`, 331);
    await this.expect(`PASS ${password}`, 230);
  }

  /** PASV, then a data connection to the announced port. */
  async pasv(): Promise<Socket> {
    return await connectTcp(pasvPort(await this.expect("PASV", 227)));
  }

  /** EPSV, then a data connection to the announced port. */
  async epsv(): Promise<Socket> {
    const reply = await this.expect("EPSV", 229);
    const match = /\(\|\|\|(\d+)\|\)/.exec(reply.lines[0]);
    if (!match) throw new Error(`not an EPSV reply: ${reply.lines[0]}`);
    return await connectTcp(Number(match[1]));
  }

  /** Downloads `path` (in the current TYPE). */
  async retr(path: string): Promise<Uint8Array> {
    return await this.#download(`RETR ${path}`);
  }

  /** The LIST output for `path` (the working folder when absent). */
  async list(path?: string): Promise<string> {
    const bytes = await this.#download(path === undefined ? "LIST" : `LIST ${path}`);
    return new TextDecoder().decode(bytes);
  }

  /** Uploads `bytes` with `verb` (STOR by default, or APPE). */
  async stor(path: string, bytes: Uint8Array | string, verb: "STOR" | "APPE" = "STOR"): Promise<void> {
    const data = await this.epsv();
    await this.expect(`${verb} ${path}`, 150);
    await writeAndEnd(data, bytes);
    await this.expectReply(226, `end of ${verb} ${path}`);
  }

  /** Sends QUIT, expects 221 and waits for the server to close. */
  async quit(): Promise<void> {
    await this.expect("QUIT", 221);
    await this.closed;
  }

  /** Drops the connection at once, as a crashed client would. */
  close(): void {
    this.socket.destroy();
  }

  async #download(command: string): Promise<Uint8Array> {
    const data = await this.epsv();
    const received = readAll(data);
    await this.expect(command, 150);
    const bytes = await received;
    await this.expectReply(226, `end of ${command}`);
    return bytes;
  }

  #onData(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    let end: number;
    while ((end = this.#buffer.indexOf("\r\n")) !== -1) {
      this.#onLine(this.#buffer.subarray(0, end).toString("utf8"));
      this.#buffer = this.#buffer.subarray(end + 2);
    }
  }

  #onLine(line: string): void {
    this.#replyLines.push(line);
    const first = this.#replyLines[0];
    const code = first.slice(0, 3);
    if (!/^\d{3}[ -]/.test(first)) {
      this.#malformed ??= JSON.stringify(first);
      this.#waiter?.();
      return;
    }
    const done = this.#replyLines.length === 1 ? first[3] === " " : line.startsWith(`${code} `);
    if (!done) return;
    this.#replies.push({ code: Number(code), lines: this.#replyLines });
    this.#replyLines = [];
    this.#waiter?.();
  }
}

function expectCode(reply: FtpReply, code: number, what: string): FtpReply {
  if (reply.code !== code) {
    throw new Error(`${what}: expected ${code}, got ${JSON.stringify(reply.lines)}`);
  }
  return reply;
}

/** What {@link withClients} needs of a server fixture. */
export interface ClosableServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Runs `body` with `server` and a function opening clients to it; afterwards
 * drops every client and closes the server, whether `body` passed or not.
 */
export async function withClients<S extends ClosableServer>(
  server: S,
  body: (server: S, open: () => Promise<FtpClient>) => Promise<void>,
): Promise<void> {
  const clients: FtpClient[] = [];
  const open = async () => {
    const client = await FtpClient.connect(server.port);
    clients.push(client);
    return client;
  };
  try {
    await body(server, open);
  } finally {
    for (const client of clients) client.close();
    await server.close();
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 10 ms; fails naming `what` after `ms`. */
export async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Names, sizes, times, contents and link targets (never followed) of
 * everything under `folder`, to compare before and after commands that must not touch it. */
export function snapshot(folder: string): string[] {
  const lines: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      lines.push(`${name} -> ${readlinkSync(path)}`);
    } else if (stat.isDirectory()) {
      lines.push(`${name}/ ${stat.mtimeMs}`);
      lines.push(...snapshot(path).map((line) => `${name}/${line}`));
    } else {
      lines.push(`${name} ${stat.size} ${stat.mtimeMs} ${readFileSync(path, "utf8")}`);
    }
  }
  return lines;
}
