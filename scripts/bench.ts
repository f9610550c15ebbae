/**
 * The benchmark suite of issue 7: ten scenarios against any FTP server, plus
 * the client's own ceiling against a raw TCP peer. Figures are information,
 * never assertions; only ratios measured in one run mean anything on a shared
 * machine.
 *
 * ```sh
 * bun scripts/bench.ts                     # tsftpd started on Bun, full sizes
 * bun scripts/bench.ts --server deno --quick
 * bun scripts/bench.ts --port 21 --user u --password p --pid 1234   # any server
 * ```
 *
 * Runs on Deno (`deno run -A`), Bun and Node; the client side uses `node:net`
 * (the login scenario the runtime's own sockets, `_login_cycle.ts`) and is
 * fastest on Bun, which `scripts/compare.ts` therefore uses. With no
 * `--port`, tsftpd is started as a separate process (`--server deno|bun|node`,
 * default the runtime running this script) on a temporary folder. Every
 * fixture is made over FTP itself (STOR), so the server needs a user with
 * write permission; `--pid` (the server's process, whose descendants are
 * counted too) enables the memory scenario and the server CPU rows of
 * scenarios 3 and 6.
 *
 * Scenarios (`--only 1,2,8` picks some):
 *  1. RETR of one big file in one session, MiB/s
 *  2. STOR of one big file in one session, into a new file, MiB/s
 *  3. logins/s: 32 clients each connect, log in and quit 50 times; with
 *     `--pid`, also the server's CPU time per login (3-cpu), which the
 *     client's share of the two cores does not cap as it caps the rate
 *     (3b: `--burst` clients connect and log in all at once; errors counted)
 *  4. `--clients` clients each RETR a `--small-size` file at once, aggregate MiB/s
 *  5. the same with STOR into new files
 *  6. `--list-clients` clients × `--listings` LIST and MLSD of a 1000-file folder, listings/s;
 *     with `--pid`, also the server's CPU time per listing (6-cpu)
 *  7. server memory per idle logged-in session (PSS, KiB), `--idle` sessions;
 *     the slope reads near zero on a server whose heap earlier scenarios
 *     grew, so `compare.ts` runs it alone on a freshly started server
 *  8. NOOP round trips per second in one session
 *  9. `--files` 4 KiB files RETR one after the other in one session, ms per file
 * 10. scenario 1 over FTPS (AUTH TLS, PROT P; data connections resume the
 *     control connection's TLS session), 10b scenario 2 over FTPS; n/a for a
 *     server without TLS (the tsftpd this script starts has a throwaway
 *     certificate)
 *
 * @module
 */

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { makeCertificate } from "./_certificate.ts";
import { FtpControl, type FtpControlOptions, openSocket } from "./_ftp_control.ts";
import { loginCycle } from "./_login_cycle.ts";
import { slope, treeCpuMs, treePss } from "./_process_tree.ts";

const MiB = 1024 * 1024;
const RUNTIME = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    user: { type: "string", default: "bench" },
    password: { type: "string", default: "bench" },
    dir: { type: "string" },
    pid: { type: "string" },
    server: { type: "string" },
    "server-args": { type: "string", default: "" },
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    only: { type: "string" },
    "big-size": { type: "string" },
    "small-size": { type: "string" },
    clients: { type: "string" },
    burst: { type: "string" },
    "list-clients": { type: "string" },
    listings: { type: "string" },
    idle: { type: "string" },
    files: { type: "string" },
    json: { type: "boolean", default: false },
    ceiling: { type: "boolean", default: false },
    canned: { type: "boolean", default: false },
  },
});

/** Full sizes follow the issue; `--quick` is for development. */
const defaults = flags.quick
  ? { rounds: 1, big: 128, small: 1, clients: 20, burst: 50, listClients: 10, listings: 10, idle: 100, files: 50 }
  : { rounds: 3, big: 1024, small: 10, clients: 200, burst: 200, listClients: 100, listings: 100, idle: 1000, files: 200 };
const config = {
  rounds: Number(flags.rounds ?? defaults.rounds),
  bigBytes: Number(flags["big-size"] ?? defaults.big) * MiB,
  smallBytes: Number(flags["small-size"] ?? defaults.small) * 1e6,
  clients: Number(flags.clients ?? defaults.clients),
  burst: Number(flags.burst ?? defaults.burst),
  listClients: Number(flags["list-clients"] ?? defaults.listClients),
  listings: Number(flags.listings ?? defaults.listings),
  idle: Number(flags.idle ?? defaults.idle),
  files: Number(flags.files ?? defaults.files),
};
const LIST_FOLDER_FILES = 1000;
const SMALL_FILE_BYTES = 4096;
const LOGIN_CLIENTS = 32;
const LOGINS_PER_CLIENT = 50;
const BIG_FILE = "bench-big.bin";
const SMALL_FILE = "bench-small.bin";
const FOLDER = "bench-files";

/** A logged-in control connection (binary type, in `--dir`). */
async function login(options?: FtpControlOptions, port = serverPort): Promise<FtpControl> {
  const control = await FtpControl.open(flags.host, port, options);
  try {
    await control.login(flags.user, flags.password, flags.dir);
  } catch (error) {
    control.destroy();
    throw error;
  }
  return control;
}

/** Runs `count` tasks with at most `parallel` at a time. */
async function inBatches<T>(count: number, parallel: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  return results;
}

function pattern(bytes: number): Uint8Array {
  return new Uint8Array(bytes).map((_, i) => (i * 31 + 7) & 0xff);
}

const BLOCK = pattern(MiB);

async function fileSize(control: FtpControl, path: string): Promise<number> {
  try {
    return Number((await control.send(`SIZE ${path}`, /^213/)).slice(4).trim());
  } catch {
    return -1;
  }
}

/** Creates what the scenarios read, over FTP, unless it is already there. */
async function setUp(): Promise<void> {
  const control = await login();
  if (await fileSize(control, BIG_FILE) !== config.bigBytes) await control.stor(BIG_FILE, config.bigBytes, BLOCK);
  if (await fileSize(control, SMALL_FILE) !== config.smallBytes) {
    await control.stor(SMALL_FILE, config.smallBytes, BLOCK);
  }
  const last = `${FOLDER}/f${LIST_FOLDER_FILES - 1}.bin`;
  if (await fileSize(control, last) !== SMALL_FILE_BYTES) {
    await control.send(`MKD ${FOLDER}`, /^(257|550|521)/);
    const small = pattern(SMALL_FILE_BYTES);
    for (let i = 0; i < LIST_FOLDER_FILES; i++) await control.stor(`${FOLDER}/f${i}.bin`, SMALL_FILE_BYTES, small);
  }
  control.quit();
}

let uploads = 0;
function uploadName(): string {
  return `bench-up-${process.pid}-${uploads++}.bin`;
}

async function deleteAll(control: FtpControl, names: readonly string[]): Promise<void> {
  for (const name of names) await control.send(`DELE ${name}`, /^2/);
}

function rate(bytes: number, started: number): number {
  return bytes / MiB / ((performance.now() - started) / 1000);
}

/** Scenario 1 (and 10) on a logged-in session, which it ends. */
async function retrBig(control: FtpControl): Promise<number> {
  const started = performance.now();
  const bytes = await control.retr(BIG_FILE);
  const result = rate(bytes, started);
  control.quit();
  if (bytes !== config.bigBytes) throw new Error(`RETR gave ${bytes} bytes, not ${config.bigBytes}`);
  return result;
}

/** Scenario 2 (and 10b) on a logged-in session, which it ends. */
async function storBig(control: FtpControl): Promise<number> {
  const name = uploadName();
  const started = performance.now();
  await control.stor(name, config.bigBytes, BLOCK);
  const result = rate(config.bigBytes, started);
  await deleteAll(control, [name]);
  control.quit();
  return result;
}

/** A scenario's figure, and the CPU time the server's process tree used
 * per unit of work meanwhile (null without `--pid`): the figure says what
 * the client saw, on two cores it shares with the server; the CPU time says
 * what the work cost the server. */
interface Measured<V = number> {
  readonly value: V;
  readonly cpuMs: number | null;
}

/** Times `work` as a rate: the units of work it resolves with (logins,
 * listings) per second; and reads the CPU time of `pid`'s process tree
 * before and after it. */
async function measure(pid: number | undefined, work: () => Promise<number>): Promise<Measured> {
  const cpuBefore = pid === undefined ? 0 : treeCpuMs(pid);
  const started = performance.now();
  const units = await work();
  const value = units / ((performance.now() - started) / 1000);
  return { value, cpuMs: pid === undefined ? null : (treeCpuMs(pid) - cpuBefore) / units };
}

function loginRate(port: number, pid: number | undefined): Promise<Measured> {
  return measure(pid, async () => {
    await Promise.all(
      Array.from({ length: LOGIN_CLIENTS }, async () => {
        for (let i = 0; i < LOGINS_PER_CLIENT; i++) {
          await loginCycle({ host: flags.host, port, user: flags.user, password: flags.password, dir: flags.dir });
        }
      }),
    );
    return LOGIN_CLIENTS * LOGINS_PER_CLIENT;
  });
}

/** All clients at once; a connection or login that fails or hangs is an error. */
async function loginBurst(): Promise<{ perSecond: number; errors: number }> {
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: config.burst }, () =>
      // A connection the server's backlog dropped stays established without
      // a greeting: 10 s per reply, then it counts as failed (and is closed).
      login({ replyTimeoutMs: 10_000 }).then(
        (control) => {
          control.destroy();
          return true;
        },
        () => false,
      )),
  );
  const ok = outcomes.filter(Boolean).length;
  return { perSecond: ok / ((performance.now() - started) / 1000), errors: config.burst - ok };
}

async function loginMany(count: number): Promise<FtpControl[]> {
  // Batches keep this setup from being the burst scenario.
  return await inBatches(count, 20, () => login());
}

async function manyRetr(): Promise<number> {
  const sessions = await loginMany(config.clients);
  const started = performance.now();
  const bytes = await Promise.all(sessions.map((control) => control.retr(SMALL_FILE)));
  const result = rate(bytes.reduce((a, b) => a + b, 0), started);
  for (const control of sessions) control.quit();
  return result;
}

async function manyStor(): Promise<number> {
  const sessions = await loginMany(config.clients);
  const names = sessions.map(() => uploadName());
  const started = performance.now();
  await Promise.all(sessions.map((control, i) => control.stor(names[i], config.smallBytes, BLOCK)));
  const result = rate(config.smallBytes * sessions.length, started);
  await deleteAll(sessions[0], names);
  for (const control of sessions) control.quit();
  return result;
}

async function listingRate(): Promise<Measured<number | string>> {
  const sessions = await loginMany(config.listClients);
  // vsftpd has no MLSD: such a server gets LIST only, and the figure says so.
  const mlsd = /^ MLST/m.test(await sessions[0].send("FEAT", /^211/));
  const { value, cpuMs } = await measure(serverPid, async () => {
    await Promise.all(sessions.map(async (control) => {
      for (let i = 0; i < config.listings; i++) {
        const bytes = await control.listing(i % 2 === 0 || !mlsd ? "LIST" : "MLSD", FOLDER);
        if (bytes < LIST_FOLDER_FILES * 20) throw new Error(`listing of ${bytes} bytes is too short`);
      }
    }));
    return config.listClients * config.listings;
  });
  for (const control of sessions) control.quit();
  return { value: mlsd ? value : `${value.toFixed(0)} (LIST only: no MLSD)`, cpuMs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens the sessions in steps and takes the server's PSS after each: the
 * slope of a line through those points is far less at the mercy of one
 * garbage collection than a difference of two measurements. */
async function idleMemory(): Promise<number | string> {
  if (!serverPid) return "n/a: no --pid";
  const STEPS = 5;
  const sessions: FtpControl[] = [];
  const counts: number[] = [];
  const pss: number[] = [];
  await sleep(1000);
  for (let step = 0; step <= STEPS; step++) {
    const target = Math.round((config.idle * step) / STEPS);
    sessions.push(...await loginMany(target - sessions.length));
    await sleep(1000);
    counts.push(sessions.length);
    pss.push(treePss(serverPid));
  }
  for (const control of sessions) control.destroy();
  await sleep(500);
  return slope(counts, pss);
}

async function noopRate(): Promise<number> {
  const control = await login();
  const deadline = performance.now() + 2000;
  const started = performance.now();
  let count = 0;
  while (performance.now() < deadline) {
    await control.send("NOOP", /^200/);
    count++;
  }
  const result = count / ((performance.now() - started) / 1000);
  control.quit();
  return result;
}

async function smallFiles(): Promise<number> {
  const control = await login();
  const started = performance.now();
  for (let i = 0; i < config.files; i++) {
    const bytes = await control.retr(`${FOLDER}/f${i % LIST_FOLDER_FILES}.bin`);
    if (bytes !== SMALL_FILE_BYTES) throw new Error(`small RETR gave ${bytes} bytes`);
  }
  const result = (performance.now() - started) / config.files;
  control.quit();
  return result;
}

/** A logged-in session over FTPS, or null when the server offers no TLS. */
async function loginSecure(): Promise<FtpControl | null> {
  const control = await FtpControl.open(flags.host, serverPort);
  if (!/^ AUTH TLS/m.test(await control.send("FEAT", /^211/))) {
    control.destroy();
    return null;
  }
  await control.secure();
  await control.login(flags.user, flags.password, flags.dir);
  return control;
}

async function ftpsRetr(): Promise<number | string> {
  const control = await loginSecure();
  return control ? await retrBig(control) : "n/a: server without TLS";
}

async function ftpsStor(): Promise<number | string> {
  const control = await loginSecure();
  return control ? await storBig(control) : "n/a: server without TLS";
}

/** The client's own ceiling: one TCP stream to and from a Python peer that
 * only sends or only discards, so no FTP server is involved; and scenario 3
 * against a canned responder, which answers every command at once. */
async function ceiling(): Promise<{ receive: number; send: number; logins: number }> {
  const peer = spawn("python3", ["-c", RAW_PEER], { stdio: ["ignore", "pipe", "inherit"] });
  const runtimeArgs = RUNTIME === "deno" ? ["run", "-A"] : [];
  const canned = spawn(process.execPath, [...runtimeArgs, new URL(import.meta.url).pathname, "--canned"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const [port, cannedPort] = await Promise.all([peer, canned].map((child) => firstLineNumber(child.stdout)));
    const size = config.bigBytes;
    const source = await openSocket("127.0.0.1", port);
    let bytes = 0;
    const done = new Promise((resolve) => source.once("close", resolve));
    let started = performance.now();
    source.on("data", (chunk: Uint8Array) => (bytes += chunk.length));
    source.write(`R${size}\n`);
    await done;
    const receive = rate(bytes, started);
    const sink = await openSocket("127.0.0.1", port);
    sink.write("S\n");
    const acknowledged = new Promise((resolve) => sink.once("data", resolve));
    started = performance.now();
    for (let sent = 0; sent < size; sent += MiB) {
      if (!sink.write(BLOCK)) await new Promise((resolve) => sink.once("drain", resolve));
    }
    sink.end();
    await acknowledged;
    return { receive, send: rate(size, started), logins: (await loginRate(cannedPort, undefined)).value };
  } finally {
    peer.kill();
    canned.kill();
  }
}

function firstLineNumber(stream: Readable): Promise<number> {
  return new Promise((resolve) =>
    stream.once("data", (text: Uint8Array) => resolve(Number(new TextDecoder().decode(text).trim())))
  );
}

/** Replies of the canned responder, by verb. */
const CANNED_REPLIES: Readonly<Record<string, string>> = {
  USER: "331 ok\r\n",
  PASS: "230 ok\r\n",
  CWD: "250 ok\r\n",
  QUIT: "221 bye\r\n",
};

/** The canned responder's answers to one chunk of command lines; `quit`
 * once QUIT was among them. */
function cannedAnswers(state: { pending: string }, chunk: Uint8Array): { replies: string; quit: boolean } {
  state.pending += new TextDecoder().decode(chunk);
  let replies = "";
  let quit = false;
  for (let end = state.pending.indexOf("\n"); end !== -1; end = state.pending.indexOf("\n")) {
    const verb = state.pending.slice(0, end).trim().split(" ")[0].toUpperCase();
    state.pending = state.pending.slice(end + 1);
    replies += CANNED_REPLIES[verb] ?? "200 ok\r\n";
    quit ||= verb === "QUIT";
  }
  return { replies, quit };
}

/** `--canned`: an FTP responder without any server logic (every command
 * gets a fixed reply), on the fastest socket API of this runtime (Bun's own
 * on Bun, `node:net` elsewhere); prints its port. */
async function cannedResponder(): Promise<void> {
  if ("Bun" in globalThis) {
    const listener = Bun.listen<{ pending: string }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          socket.data = { pending: "" };
          socket.write("220 ready\r\n");
        },
        data(socket, chunk) {
          const { replies, quit } = cannedAnswers(socket.data, chunk);
          socket.write(replies);
          if (quit) socket.end();
        },
      },
    });
    console.log(listener.port);
    return;
  }
  const net = await import("node:net");
  const server = net.createServer((socket) => {
    const state = { pending: "" };
    socket.write("220 ready\r\n");
    socket.on("data", (chunk: Uint8Array) => {
      const { replies, quit } = cannedAnswers(state, chunk);
      socket.write(replies);
      if (quit) socket.end();
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  console.log((server.address() as { port: number }).port);
}

/** A raw TCP peer: "R<n>\n" gets n bytes, "S\n" has everything discarded and
 * gets "ok" at the end. Python's socket calls go straight to the kernel. */
const RAW_PEER = `
import socket, threading
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(8)
print(server.getsockname()[1], flush=True)
block = memoryview(bytes(1 << 20))
def serve(conn):
    line = b""
    while not line.endswith(b"\\n"):
        line += conn.recv(1)
    if line.startswith(b"R"):
        left = int(line[1:])
        while left > 0:
            n = min(left, len(block)); conn.sendall(block[:n]); left -= n
    else:
        buf = bytearray(1 << 20)
        while conn.recv_into(buf): pass
        conn.sendall(b"ok")
    conn.close()
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Starts the tsftpd CLI as a separate process; resolves with its port. */
async function startTsftpd(
  runtime: string,
  root: string,
  certificate: { cert: string; key: string },
): Promise<{ port: number; pid: number; stop(): void }> {
  const mod = new URL("../mod.ts", import.meta.url).pathname;
  const bin = new URL(`../node_modules/.bin/${runtime}`, import.meta.url).pathname;
  const args = [
    "-i",
    "127.0.0.1",
    "-p",
    "0",
    "-w",
    "-d",
    root,
    "-u",
    flags.user,
    "-P",
    flags.password,
    // vsftpd is run without a connection limit too.
    "--max-cons",
    "0",
    "--tls",
    "--certfile",
    certificate.cert,
    "--keyfile",
    certificate.key,
    ...flags["server-args"].split(" ").filter(Boolean),
  ];
  const child = spawn(bin, runtime === "deno" ? ["run", "-A", mod, ...args] : [mod, ...args], {
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
  // Session logs would otherwise fill the pipe and stall the server.
  child.stderr.removeAllListeners("data");
  child.stderr.resume();
  return { port, pid: child.pid!, stop: () => child.kill("SIGTERM") };
}

/** `reads`: the scenario reads the fixtures `setUp` makes (whose uploads grow
 * a server's heap, which the memory scenario must not find grown). `writes`:
 * it uploads, so it starts once the kernel has written out what earlier
 * scenarios, or the server measured before, left dirty. `cpu`:
 * the name of the row, `<id>-cpu`, that shows the server's CPU time per unit
 * of the scenario's work (with `--pid`). */
type Scenario = {
  readonly id: string;
  readonly name: string;
  readonly reads?: boolean;
  readonly writes?: boolean;
  readonly cpu?: string;
  run(): Promise<number | string | Measured<number | string>>;
};

const SCENARIOS: readonly Scenario[] = [
  { id: "1", name: `RETR ${config.bigBytes / MiB} MiB, MiB/s`, reads: true, run: async () => retrBig(await login()) },
  {
    id: "2",
    name: `STOR ${config.bigBytes / MiB} MiB (new file), MiB/s`,
    writes: true,
    run: async () => storBig(await login()),
  },
  {
    id: "3",
    name: `logins/s, ${LOGIN_CLIENTS} clients × ${LOGINS_PER_CLIENT}`,
    cpu: "server CPU per login, ms",
    run: () => loginRate(serverPort, serverPid),
  },
  {
    id: "3b",
    name: `${config.burst} simultaneous connect+login, logins/s (errors)`,
    async run() {
      const { perSecond, errors } = await loginBurst();
      return errors === 0 ? perSecond : `${perSecond.toFixed(0)} (${errors} of ${config.burst} failed)`;
    },
  },
  { id: "4", name: `${config.clients} × RETR ${config.smallBytes / 1e6} MB, aggregate MiB/s`, reads: true, run: manyRetr },
  {
    id: "5",
    name: `${config.clients} × STOR ${config.smallBytes / 1e6} MB (new files), aggregate MiB/s`,
    writes: true,
    run: manyStor,
  },
  {
    id: "6",
    name: `LIST/MLSD of ${LIST_FOLDER_FILES} files, ${config.listClients} clients × ${config.listings}, listings/s`,
    reads: true,
    cpu: "server CPU per listing, ms",
    run: listingRate,
  },
  { id: "7", name: `memory per idle logged-in session (PSS, ${config.idle} sessions), KiB`, run: idleMemory },
  { id: "8", name: "NOOP round trips/s, one session", run: noopRate },
  { id: "9", name: `${config.files} × RETR 4 KiB in one session, ms per file`, reads: true, run: smallFiles },
  { id: "10", name: `RETR ${config.bigBytes / MiB} MiB over FTPS, MiB/s`, reads: true, run: ftpsRetr },
  { id: "10b", name: `STOR ${config.bigBytes / MiB} MiB over FTPS (new file), MiB/s`, writes: true, run: ftpsStor },
];

if (flags.canned) {
  await cannedResponder();
  // Serves until the client's ceiling run kills it.
  await new Promise(() => {});
}
const chosen = flags.only ? SCENARIOS.filter((s) => flags.only!.split(",").includes(s.id)) : SCENARIOS;
let root: string | undefined;
let server: { port: number; pid: number; stop(): void } | undefined;
if (flags.port === undefined && chosen.length > 0) {
  root = mkdtempSync(join(tmpdir(), "tsftpd-bench-"));
  const served = join(root, "served");
  mkdirSync(served);
  server = await startTsftpd(flags.server ?? RUNTIME, served, makeCertificate(root));
}
const serverPort = server?.port ?? Number(flags.port);
const serverPid = server?.pid ?? (flags.pid ? Number(flags.pid) : undefined);

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

try {
  // A Map keeps the scenarios in order ("3b" after "3").
  const results = new Map<string, { name: string; values: (number | string)[] }>();
  if (flags.ceiling) {
    const values = [];
    for (let round = 0; round < config.rounds; round++) values.push(await ceiling());
    results.set("c1", { name: "client ceiling: receive from raw TCP, MiB/s", values: values.map((v) => v.receive) });
    results.set("c2", { name: "client ceiling: send to raw TCP, MiB/s", values: values.map((v) => v.send) });
    results.set("c3", {
      name: `client ceiling: logins/s, ${LOGIN_CLIENTS} clients × ${LOGINS_PER_CLIENT}, canned responder`,
      values: values.map((v) => v.logins),
    });
  }
  if (chosen.some((scenario) => scenario.reads)) await setUp();
  for (const scenario of chosen) {
    results.set(scenario.id, { name: scenario.name, values: [] });
    if (scenario.cpu && serverPid) results.set(`${scenario.id}-cpu`, { name: scenario.cpu, values: [] });
  }
  for (let round = 0; round < config.rounds; round++) {
    for (const scenario of chosen) {
      let outcome: number | string | Measured<number | string>;
      try {
        // Without it an upload can pay for the write-back of gigabytes that
        // another server received, deleted or not (a server elsewhere: harmless).
        if (scenario.writes) execFileSync("sync");
        outcome = await scenario.run();
      } catch (error) {
        outcome = `error: ${(error as Error).message}`;
      }
      const measured = typeof outcome === "object" ? outcome : { value: outcome, cpuMs: null };
      results.get(scenario.id)!.values.push(measured.value);
      results.get(`${scenario.id}-cpu`)?.values.push(measured.cpuMs ?? "n/a: the scenario failed");
    }
  }
  const summary = [...results].map(([id, { name, values }]) => {
    // A string is either a note after a figure ("812 (LIST only: no MLSD)")
    // or the reason there is no figure ("n/a: ...", "error: ...").
    const numbers = values.map((v) => typeof v === "number" ? v : parseFloat(v));
    const text = values.find((v) => typeof v === "string");
    const value = numbers.every(Number.isFinite) ? median(numbers) : null;
    const note = value === null ? text : text?.replace(/^[\d.]+\s*/, "");
    return { id, name, value, note };
  });
  if (flags.json) {
    console.log(JSON.stringify({ client: `${RUNTIME} ${process.versions[RUNTIME] ?? ""}`, results: summary }));
  } else {
    const target = server ? `tsftpd on ${flags.server ?? RUNTIME} (separate process)` : `${flags.host}:${serverPort}`;
    console.log(`server: ${target}; client: ${RUNTIME}; median of ${config.rounds} round(s)`);
    for (const { id, name, value, note } of summary) {
      const shown = [value === null ? "" : format(value), note ?? ""].filter(Boolean).join(" ");
      console.log(`${id.padStart(6)}. ${name.padEnd(70)} ${shown}`);
    }
  }
} finally {
  server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}
