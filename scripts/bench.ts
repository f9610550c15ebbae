/**
 * A first throughput benchmark: single-session RETR and STOR (MiB/s), NOOP
 * round trips per second and sequential logins per second, against any FTP
 * server, or against tsftpd started as a separate process on the runtime
 * running this script. Figures are information, never assertions.
 *
 * ```sh
 * deno run -A scripts/bench.ts                      # tsftpd on Deno
 * bun scripts/bench.ts --size 256                   # tsftpd on Bun, 256 MiB file
 * node scripts/bench.ts --host 127.0.0.1 --port 21 --user u --password p --file big.bin
 * ```
 *
 * With no `--port`, a temporary folder gets a generated file of `--size` MiB
 * (default 1024) and the CLI serves it with write access; a second CLI with
 * a throwaway certificate (`openssl`) gives the FTPS figures, measured with
 * curl (AUTH TLS, PROT P, TLS 1.2).
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    user: { type: "string", default: "bench" },
    password: { type: "string", default: "bench" },
    file: { type: "string", default: "bench.bin" },
    size: { type: "string", default: "1024" },
    rounds: { type: "string", default: "3" },
  },
});
const MiB = 1024 * 1024;
const RUNTIME = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** A control connection that reads one reply per command. */
class Control {
  readonly #socket: Socket;
  #buffer = "";
  #waiting: ((line: string) => void) | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.#buffer += text;
      this.#deliver();
    });
  }

  static async open(host: string, port: number): Promise<Control> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const control = new Control(socket);
    await control.reply();
    return control;
  }

  #deliver(): void {
    // A reply ends with a line "NNN " (RFC 959 multi-line replies end so too).
    const match = /^(\d{3}) .*\r?\n/m.exec(this.#buffer);
    if (!match || !this.#waiting) return;
    const end = match.index + match[0].length;
    const reply = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting(reply);
  }

  reply(): Promise<string> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#deliver();
    });
  }

  async send(line: string, expect: RegExp = /^[123]/): Promise<string> {
    this.#socket.write(line + "\r\n");
    const reply = await this.reply();
    if (!expect.test(reply)) throw new Error(`${line.split(" ")[0]} failed: ${reply.trim()}`);
    return reply;
  }

  async login(user: string, password: string): Promise<void> {
    await this.send(`USER ${user}`);
    await this.send(`PASS ${password}`, /^2/);
  }

  async dataSocket(): Promise<Socket> {
    const reply = await this.send("EPSV", /^229/);
    const port = Number(/\|\|\|(\d+)\|/.exec(reply)?.[1]);
    const socket = connect(port, flags.host);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return socket;
  }

  close(): void {
    this.#socket.end("QUIT\r\n");
  }
}

async function retr(control: Control, file: string): Promise<number> {
  const data = await control.dataSocket();
  const started = performance.now();
  await control.send(`RETR ${file}`, /^1/);
  let bytes = 0;
  data.on("data", (chunk: Uint8Array) => (bytes += chunk.length));
  await new Promise((resolve) => data.once("close", resolve));
  await control.reply();
  return bytes / MiB / ((performance.now() - started) / 1000);
}

async function stor(control: Control, file: string, size: number): Promise<number> {
  const data = await control.dataSocket();
  const started = performance.now();
  await control.send(`STOR ${file}`, /^1/);
  const block = new Uint8Array(MiB).fill(0x5a);
  for (let sent = 0; sent < size; sent += MiB) {
    if (!data.write(block)) await new Promise((resolve) => data.once("drain", resolve));
  }
  data.end();
  await control.reply();
  return size / MiB / ((performance.now() - started) / 1000);
}

async function perSecond(seconds: number, operation: () => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  while (performance.now() < deadline) {
    await operation();
    count++;
  }
  return count / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Starts the tsftpd CLI on this runtime; resolves with its port. */
async function startTsftpd(root: string, extraArgs: string[] = []): Promise<{ port: number; stop(): void }> {
  const mod = new URL("../mod.ts", import.meta.url).pathname;
  const isDeno = RUNTIME === "deno";
  const args = ["-i", "127.0.0.1", "-p", "0", "-w", "-d", root, "-u", flags.user, "-P", flags.password, ...extraArgs];
  const child = spawn(process.execPath, isDeno ? ["run", "-A", mod, ...args] : [mod, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const match = /starting FTP server on \S+:(\d+)/.exec(log);
      if (match) resolve(Number(match[1]));
    });
    child.on("close", () => reject(new Error(`tsftpd exited:\n${log}`)));
  });
  return { port, stop: () => child.kill("SIGTERM") };
}

/**
 * FTPS RETR and STOR MiB/s (median of `rounds`): tsftpd with `--tls` and a
 * throwaway certificate, curl as the client. TLS 1.2, because curl 7.88
 * resets TLS 1.3 upload connections (see README, FTPS).
 */
async function ftpsFigures(root: string, file: string, rounds: number): Promise<Record<string, number[]>> {
  const cert = join(root, "bench-cert.pem");
  const key = join(root, "bench-key.pem");
  const made = spawnSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
  ]);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const tlsServer = await startTsftpd(root, ["--tls", "--certfile", cert, "--keyfile", key]);
  const base = `ftp://${flags.user}:${flags.password}@127.0.0.1:${tlsServer.port}`;
  const tlsArgs = ["-sS", "-k", "--ssl-reqd", "--tls-max", "1.2", "--noproxy", "*"];
  const speed = async (args: string[]) => {
    const child = spawn("curl", [...tlsArgs, ...args]);
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    const code = await new Promise((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`curl ${args.join(" ")} exited with ${code}`);
    return Number(out) / MiB;
  };
  const results: Record<string, number[]> = { "FTPS RETR MiB/s": [], "FTPS STOR MiB/s": [] };
  try {
    for (let round = 0; round < rounds; round++) {
      results["FTPS RETR MiB/s"].push(await speed(["-o", "/dev/null", "-w", "%{speed_download}", `${base}/${file}`]));
      results["FTPS STOR MiB/s"].push(
        await speed(["-T", join(root, file), "-w", "%{speed_upload}", "-Q", `-DELE bench-ftps.bin`, `${base}/bench-ftps.bin`]),
      );
    }
  } finally {
    tlsServer.stop();
  }
  return results;
}

const size = Number(flags.size) * MiB;
const rounds = Number(flags.rounds);
let root: string | undefined;
let server: { port: number; stop(): void } | undefined;
if (flags.port === undefined) {
  root = mkdtempSync(join(tmpdir(), "tsftpd-bench-"));
  const block = new Uint8Array(MiB).map((_, i) => (i * 31) & 0xff);
  for (let written = 0; written < size; written += MiB) {
    writeFileSync(join(root, flags.file), block, { flag: written === 0 ? "w" : "a" });
  }
  server = await startTsftpd(root);
}
const port = server?.port ?? Number(flags.port);
try {
  const control = await Control.open(flags.host, port);
  await control.login(flags.user, flags.password);
  await control.send("TYPE I", /^2/);
  const results: Record<string, number[]> = { "RETR MiB/s": [], "STOR MiB/s": [], "NOOP/s": [], "logins/s": [] };
  for (let round = 0; round < rounds; round++) {
    results["RETR MiB/s"].push(await retr(control, flags.file));
    results["STOR MiB/s"].push(await stor(control, `bench-upload-${round}.bin`, size));
    results["NOOP/s"].push(await perSecond(1, async () => void await control.send("NOOP", /^200/)));
    results["logins/s"].push(
      await perSecond(1, async () => {
        const session = await Control.open(flags.host, port);
        await session.login(flags.user, flags.password);
        session.close();
      }),
    );
    if (server) await control.send(`DELE bench-upload-${round}.bin`, /^2/);
  }
  control.close();
  if (root) Object.assign(results, await ftpsFigures(root, flags.file, rounds));
  const target = server ? `tsftpd on ${RUNTIME} (separate process)` : `${flags.host}:${port}`;
  console.log(`server: ${target}; file ${flags.size} MiB; median of ${rounds} rounds`);
  for (const [name, values] of Object.entries(results)) {
    console.log(`${name.padEnd(12)} ${median(values).toFixed(0).padStart(8)}`);
  }
} finally {
  server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}
