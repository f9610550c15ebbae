/**
 * Soak run: many concurrent logged-in sessions doing a paced mix of LIST,
 * RETR and STOR for a long time, against tsftpd started as a separate
 * process (the CLI, as scripts/bench.ts does) on Deno, Bun or Node. Reports
 * the server's RSS at the start and the end, errors, and command latency
 * percentiles. Figures are information, never assertions.
 *
 * ```sh
 * node scripts/soak.ts                                   # server on node, 1000 sessions, 10 minutes
 * node scripts/soak.ts --runtime deno --duration 120     # server on deno, 2 minutes
 * deno run -A scripts/soak.ts --sessions 200 --rate 50   # smaller
 * node scripts/soak.ts --port 2121 --user u --password p # an already running server
 * node scripts/soak.ts --server-args "--timeout 60"      # extra CLI flags for the server
 * ```
 *
 * Against an already running server (`--port`), the user needs write access
 * and a folder `uploads` in its root; it gets `file.bin` (any size) from `/`.
 *
 * `--rate` is the total operations per second over all sessions (one
 * operation = EPSV + LIST, RETR or STOR + its data connection); keep it low
 * enough that the load generator and the server do not saturate the
 * machine, or the latencies measure the machine, not the server.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { FtpControl } from "./_ftp_control.ts";

const { values: flags } = parseArgs({
  options: {
    runtime: { type: "string" },
    sessions: { type: "string", default: "1000" },
    duration: { type: "string", default: "600" },
    rate: { type: "string", default: "100" },
    "file-size": { type: "string", default: "64" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    user: { type: "string", default: "soak" },
    password: { type: "string", default: "soak" },
    "server-args": { type: "string", default: "" },
  },
});
const SELF = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const RUNTIME = flags.runtime ?? SELF;
const SESSIONS = Number(flags.sessions);
const DURATION_MS = Number(flags.duration) * 1000;
const RATE = Number(flags.rate);
const FILE_SIZE = Number(flags["file-size"]) * 1024;

const latencies: number[] = [];
const errors = new Map<string, number>();
let operations = 0;

function countError(error: unknown): void {
  const text = (error as Error).message.replace(/\d+/g, "N").slice(0, 80);
  errors.set(text, (errors.get(text) ?? 0) + 1);
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Starts the tsftpd CLI on RUNTIME; resolves with its port and pid. */
async function startTsftpd(root: string): Promise<{ port: number; pid: number; stop(): void }> {
  const mod = new URL("../mod.ts", import.meta.url).pathname;
  const binary = new URL(`../node_modules/.bin/${RUNTIME}`, import.meta.url).pathname;
  const command = RUNTIME === SELF ? process.execPath : binary;
  const args = [
    ...["-i", "127.0.0.1", "-p", "0", "-w", "-d", root, "-u", flags.user, "-P", flags.password],
    ...["--max-cons", "0", "--max-login-attempts", "0"],
    ...flags["server-args"].split(" ").filter(Boolean),
  ];
  const child = spawn(command, RUNTIME === "deno" ? ["run", "-A", mod, ...args] : [mod, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.length > 1 << 20) log = log.slice(-65536);
      const match = /starting FTP server on \S+:(\d+)/.exec(log);
      if (match) resolve(Number(match[1]));
    });
    child.on("close", () => reject(new Error(`tsftpd exited:\n${log}`)));
  });
  return { port, pid: child.pid!, stop: () => child.kill("SIGTERM") };
}

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let root: string | undefined;
let server: { port: number; pid: number; stop(): void } | undefined;
if (flags.port === undefined) {
  root = mkdtempSync(join(tmpdir(), "tsftpd-soak-"));
  writeFileSync(join(root, "file.bin"), new Uint8Array(FILE_SIZE).map((_, i) => i & 0xff));
  // Uploads go one level down, so that LIST measures the session load, not
  // a folder growing to one file per session.
  mkdirSync(join(root, "uploads"));
  server = await startTsftpd(root);
}
const port = server?.port ?? Number(flags.port);
const payload = new Uint8Array(FILE_SIZE).fill(0x5a);
try {
  const connectStarted = performance.now();
  const controls: FtpControl[] = [];
  // Logged in a hundred at a time: a burst of 1000 SYNs would measure the
  // listen backlog, not the server.
  for (let i = 0; i < SESSIONS; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, SESSIONS - i) }, async () => {
        const control = await FtpControl.open(flags.host, port, { onReplyTime: (ms) => latencies.push(ms) });
        await control.login(flags.user, flags.password);
        return control;
      }),
    );
    controls.push(...batch);
  }
  const loginSeconds = (performance.now() - connectStarted) / 1000;
  latencies.length = 0;
  const hasProc = server !== undefined && existsSync(`/proc/${server.pid}/status`);
  const rssStart = hasProc ? rssOf(server!.pid) : NaN;
  let rssMax = rssStart;
  const rssSamples: number[] = [];
  const busy = new Set<number>();
  const lastUsed = controls.map(() => performance.now());
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  let nextSample = started + 10_000;
  console.log(`${SESSIONS} sessions logged in in ${loginSeconds.toFixed(1)} s; running ${flags.duration} s at ${RATE} ops/s`);
  for (let tick = 0; performance.now() - started < DURATION_MS; tick++) {
    // Paced: operation n starts at n / RATE seconds, whatever the previous
    // ones are doing (a slow server gets a queue, not a gentler load).
    const due = started + (tick * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    let index = Math.floor(Math.random() * SESSIONS);
    for (let tries = 0; busy.has(index) && tries < SESSIONS; tries++) index = (index + 1) % SESSIONS;
    if (busy.has(index)) continue;
    busy.add(index);
    lastUsed[index] = performance.now();
    const control = controls[index];
    const kind = tick % 3;
    const operation = kind === 0
      ? control.listing("LIST")
      : kind === 1
      ? control.retr("file.bin")
      : control.stor(`uploads/up-${index}.bin`, payload.length, payload);
    const tracked: Promise<void> = operation.then(() => void operations++, countError).finally(() => {
      busy.delete(index);
      pending.delete(tracked);
    });
    pending.add(tracked);
    if (performance.now() >= nextSample) {
      nextSample += 10_000;
      if (hasProc) {
        const rss = rssOf(server!.pid);
        rssSamples.push(rss);
        rssMax = Math.max(rssMax, rss);
      }
      // Sessions the dice left alone for two minutes say NOOP, as a real
      // client would, so that the idle timeout (300 s) does not end them.
      const now = performance.now();
      for (const [i, control] of controls.entries()) {
        if (busy.has(i) || now - lastUsed[i] < 120_000) continue;
        lastUsed[i] = now;
        busy.add(i);
        control.send("NOOP", /^200/).catch(countError).finally(() => busy.delete(i));
      }
    }
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  // Every session must still be alive and answering.
  let alive = 0;
  await Promise.all(controls.map((control) => control.send("NOOP", /^200/).then(() => void alive++, countError)));
  const rssEnd = hasProc ? rssOf(server!.pid) : NaN;
  const errorCount = [...errors.values()].reduce((sum, count) => sum + count, 0);
  const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
  console.log(`server: tsftpd on ${RUNTIME} (separate process); load generator on ${SELF}`);
  console.log(`sessions ${SESSIONS}, alive at the end ${alive}; duration ${elapsed.toFixed(0)} s`);
  console.log(`operations ${operations} (${(operations / elapsed).toFixed(1)}/s), errors ${errorCount}`);
  for (const [text, count] of errors) console.log(`  ${count} x ${text}`);
  console.log(
    `command latency ms: p50 ${percentile(latencies, 50).toFixed(2)}, p99 ${percentile(latencies, 99).toFixed(2)}, max ${
      percentile(latencies, 100).toFixed(2)
    } (${latencies.length} commands)`,
  );
  if (hasProc) {
    console.log(`server RSS: start ${mb(rssStart)}, end ${mb(rssEnd)}, max ${mb(rssMax)}`);
    console.log(`server RSS every 10 s (MiB): ${rssSamples.map((rss) => (rss / MiB).toFixed(0)).join(" ")}`);
    const third = Math.max(1, Math.floor(rssSamples.length / 3));
    const early = rssSamples.slice(0, third);
    const late = rssSamples.slice(-third);
    if (early.length > 0) {
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      console.log(`server RSS mean of first third ${mb(mean(early))}, last third ${mb(mean(late))}`);
    }
  }
  for (const control of controls) control.destroy();
} finally {
  server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}
