/**
 * One connect-login-quit cycle of the benchmark's login scenario, on the
 * fastest client sockets of the runtime running the benchmark: `Bun.connect`
 * on Bun, `Deno.connect` on Deno, `node:net` on Node. A `node:net` socket
 * costs the client about twice the CPU of a `Bun.connect` one per login: with
 * `node:net` the client reached 6889 logins/s against a canned responder,
 * less than tsftpd serves on one core, so the client and not the server
 * capped the scenario.
 *
 * @module
 */

import { openSocket, ReplyQueue, withTimeout } from "./_ftp_control.ts";

/** Where to log in, and as whom. */
export interface LoginTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A folder to CWD to after logging in, as the other scenarios do. */
  readonly dir?: string;
}

/** A cycle that takes longer than this counts as failed. */
const CYCLE_TIMEOUT_MS = 60_000;

/** The client's side of a connection; what it receives goes to {@link ReplyQueue}. */
interface Dialed {
  write(text: string): void;
  close(): void;
}

type Dial = (host: string, port: number, replies: ReplyQueue) => Promise<Dialed>;

const latin1 = new TextDecoder("latin1");

const dialBun: Dial = async (hostname, port, replies) => {
  const socket = await Bun.connect({
    hostname,
    port,
    socket: {
      data: (_socket, chunk) => replies.received(latin1.decode(chunk)),
      close: () => replies.ended(),
      error: () => replies.ended(),
    },
  });
  return { write: (text) => void socket.write(text), close: () => socket.end() };
};

const dialDeno: Dial = async (hostname, port, replies) => {
  const conn = await Deno.connect({ hostname, port });
  (async () => {
    const buffer = new Uint8Array(4096);
    try {
      for (let count = await conn.read(buffer); count !== null; count = await conn.read(buffer)) {
        replies.received(latin1.decode(buffer.subarray(0, count)));
      }
    } catch {
      // Closed by us, or reset by the server: either way the replies end.
    }
    replies.ended();
  })();
  const encoder = new TextEncoder();
  return {
    // Command lines are a few bytes, which a socket takes whole.
    write: (text) => void conn.write(encoder.encode(text)).catch(() => {}),
    close: () => conn.close(),
  };
};

const dialNode: Dial = async (host, port, replies) => {
  const socket = await openSocket(host, port);
  socket.setEncoding("latin1");
  socket.on("data", (text: string) => replies.received(text));
  socket.on("error", () => replies.ended());
  socket.on("close", () => replies.ended());
  return { write: (text) => void socket.write(text), close: () => socket.destroy() };
};

const dial: Dial = "Bun" in globalThis ? dialBun : "Deno" in globalThis ? dialDeno : dialNode;

async function exchange(connection: Dialed, replies: ReplyQueue, line: string | null, expect: RegExp): Promise<void> {
  if (line !== null) connection.write(`${line}\r\n`);
  const reply = await replies.next();
  if (!expect.test(reply)) throw new Error(`${line ?? "greeting"}: ${reply.trim() || "connection closed"}`);
}

/**
 * Connects, reads the greeting, logs in (USER, PASS, TYPE I, and CWD when
 * `target.dir` is set), quits and closes; rejects on any unexpected reply or
 * after 60 s.
 *
 * @example
 * ```ts
 * import { loginCycle } from "./_login_cycle.ts";
 * await loginCycle({ host: "127.0.0.1", port: 2121, user: "anonymous", password: "x" });
 * ```
 */
export async function loginCycle(target: LoginTarget): Promise<void> {
  const replies = new ReplyQueue();
  const connection = await dial(target.host, target.port, replies);
  try {
    await withTimeout(
      (async () => {
        await exchange(connection, replies, null, /^220/);
        await exchange(connection, replies, `USER ${target.user}`, /^[23]/);
        await exchange(connection, replies, `PASS ${target.password}`, /^2/);
        await exchange(connection, replies, "TYPE I", /^2/);
        if (target.dir) await exchange(connection, replies, `CWD ${target.dir}`, /^2/);
        await exchange(connection, replies, "QUIT", /^221/);
      })(),
      CYCLE_TIMEOUT_MS,
      "login cycle",
    );
  } finally {
    connection.close();
  }
}
