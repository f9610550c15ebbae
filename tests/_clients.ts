/**
 * Drives real FTP clients (curl, Python ftplib) against a test server in the
 * same process, and checksums what they moved.
 *
 * Every child is spawned asynchronously: the server shares this process's
 * event loop, so a synchronous spawn would deadlock it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PASSWORD, startFixture, USER, type Fixture } from "./_fixture.ts";

/** What a finished child process left behind. */
export interface RunResult {
  /** Exit status; `null` when it was killed (by signal or timeout). */
  readonly code: number | null;
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

/** How to run a child process. */
export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string | Uint8Array;
  /** Bytes of stdout are handed here instead of being collected. */
  readonly onStdout?: (chunk: Uint8Array) => void;
  /** The child is killed after this long (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * Runs `command` with `args` and resolves once it has exited.
 *
 * @example
 * ```ts
 * import { run } from "./_clients.ts";
 * const { code, stdout } = await run("echo", ["hi"]);
 * ```
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.stdout.on("data", (chunk: Uint8Array) => (options.onStdout ? options.onStdout(chunk) : out.push(chunk)));
    child.stderr.on("data", (chunk: Uint8Array) => err.push(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
    // A child that exits without reading its input must not crash the test with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** A finished curl run, with the FTP dialogue it printed for `-v`. */
export interface CurlResult extends RunResult {
  /** Command lines curl sent (`> ` lines of `-v`), PASS included. */
  readonly sent: readonly string[];
  /** Reply lines curl received (`< ` lines of `-v`). */
  readonly received: readonly string[];
}

/**
 * Runs curl verbosely (it never uses a proxy, never waits longer than a
 * minute unless `timeoutMs` says otherwise) and splits out the dialogue.
 *
 * @example
 * ```ts
 * import { curl } from "./_clients.ts";
 * const result = await curl(["--list-only", "ftp://127.0.0.1:2121/"]);
 * result.sent.includes("NLST");
 * ```
 */
export async function curl(args: readonly string[], options: RunOptions = {}): Promise<CurlResult> {
  const seconds = Math.ceil((options.timeoutMs ?? 60_000) / 1000);
  const result = await run("curl", ["-sS", "-v", "--noproxy", "*", "--max-time", String(seconds), ...args], {
    ...options,
    timeoutMs: (seconds + 10) * 1000,
  });
  const lines = result.stderr.split(/\r?\n/);
  const dialogue = (prefix: string) => lines.filter((line) => line.startsWith(prefix)).map((line) => line.slice(2));
  return { ...result, sent: dialogue("> "), received: dialogue("< ") };
}

/** A percent-encoded `ftp://` URL for `path` on `fixture`, as `user` (default alice). */
export function ftpUrl(fixture: Fixture, path: string, user: "alice" | "anonymous" = USER): string {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  const base = user === "anonymous" ? `ftp://127.0.0.1:${fixture.port}` : fixture.url;
  return `${base}/${encoded.replace(/^\//, "")}`;
}

// The helpers every ftplib driver starts with. Parameters arrive as JSON in
// argv[1]; the driver's result is the last line printed (JSON).
const PYTHON_PRELUDE = `
import ftplib, hashlib, io, json, sys
P = json.loads(sys.argv[1])

def connect(user=P["user"], password=P["password"]):
    ftp = ftplib.FTP(encoding="utf-8")
    ftp.connect("127.0.0.1", P["port"], timeout=60)
    ftp.login(user, password)
    return ftp

def error_of(action, *args, **kwargs):
    """The ftplib error an action raises, as a JSON-friendly dict, or None."""
    try:
        action(*args, **kwargs)
    except ftplib.Error as error:
        return {"class": type(error).__name__, "message": str(error)}
    return None

def emit(value):
    print(json.dumps(value))
`;

/**
 * Runs a Python ftplib driver against `fixture` and returns what it
 * `emit()`ted (JSON). The driver gets `P` (parameters, plus `port`, `user`
 * and `password`), `connect()`, `error_of()` and `emit()`. Fails with the
 * Python traceback if the driver raises.
 *
 * @example
 * ```ts
 * import { python } from "./_clients.ts";
 * import type { Fixture } from "./_fixture.ts";
 * declare const fixture: Fixture;
 * const pwd = await python(fixture, `ftp = connect()\nemit(ftp.pwd())`);
 * ```
 */
export async function python(
  fixture: Pick<Fixture, "port">,
  driver: string,
  params: Record<string, unknown> = {},
): Promise<unknown> {
  const all = { port: fixture.port, user: USER, password: PASSWORD, ...params };
  const { code, stdout, stderr } = await run("python3", ["-", JSON.stringify(all)], {
    input: PYTHON_PRELUDE + driver,
  });
  const text = new TextDecoder().decode(stdout).trim();
  if (code !== 0) throw new Error(`python3 exited with ${code}:\n${stderr}\n${text}`);
  return JSON.parse(text.slice(text.lastIndexOf("\n") + 1));
}

/**
 * Starts a fixture, runs `body` with it and a fresh local folder for the
 * client's own files, and always closes and removes both.
 *
 * @example
 * ```ts
 * import { withFixture } from "./_clients.ts";
 * await withFixture(async (fixture, local) => console.log(fixture.port, local));
 * ```
 */
export async function withFixture(body: (fixture: Fixture, local: string) => Promise<void>): Promise<void> {
  const fixture = await startFixture();
  const local = await mkdtemp(join(tmpdir(), "tsftpd-client-"));
  try {
    await body(fixture, local);
  } finally {
    await fixture.close();
    await rm(local, { recursive: true, force: true });
  }
}

/**
 * Hex SHA-256 of bytes.
 *
 * @example
 * ```ts
 * import { sha256 } from "./_clients.ts";
 * sha256(new Uint8Array()); // "e3b0c442..."
 * ```
 */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Hex SHA-256 of a file, read as a stream (fine for gigabytes).
 *
 * @example
 * ```ts
 * import { sha256File } from "./_clients.ts";
 * const digest = await sha256File("/etc/hostname");
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Uint8Array);
  return hash.digest("hex");
}

/**
 * `length` bytes that cover every byte value, CR and LF included, in an
 * order that differs from run to run (so a transfer that mangles line ends
 * or drops a chunk shows).
 *
 * @example
 * ```ts
 * import { binaryContent } from "./_clients.ts";
 * const bytes = binaryContent(1 << 20);
 * ```
 */
export function binaryContent(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  for (let i = 0; i < Math.min(length, 256); i++) bytes[i] = i;
  return bytes;
}
