/**
 * Compares tsftpd on Deno, Bun and Node with vsftpd, in one run: starts the
 * four servers on loopback, runs `scripts/bench.ts` against each in turn,
 * round after round (interleaved, so drift hits all alike), and prints one
 * markdown table of medians with each figure's ratio to vsftpd, plus the
 * machine and the versions.
 *
 * ```sh
 * bun scripts/compare.ts --quick              # development sizes, 1 round
 * bun scripts/compare.ts --rounds 3           # the issue's sizes
 * bun scripts/compare.ts --quick --workers-on bun   # plus a column "tsftpd bun ×2" (--workers 2)
 * bun scripts/compare.ts --scaling --quick    # 1 vs 2 workers on every runtime, 200-client scenarios
 * bun scripts/compare.ts --bench-args="--listings 20"   # passed on to bench.ts
 * bun scripts/compare.ts --pyftpdlib /usr/bin/python3   # plus a column "pyftpdlib"
 * ```
 *
 * Runs on Bun, Node or Deno (`deno run -A`); needs root for vsftpd (from
 * apt: `/usr/sbin/vsftpd`), which serves anonymous users with upload rights
 * from a temporary folder. `--pyftpdlib` names a Python that can import
 * pyftpdlib (apt: `python3-pyftpdlib`), the issue's other reference: its
 * handler and server with their defaults, but no connection limit (as
 * vsftpd's `max_clients=0`), and no TLS. Linux only (PSS from `/proc`).
 *
 * @module
 */

import { execFileSync, spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { makeCertificate } from "./_certificate.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    only: { type: "string" },
    runtimes: { type: "string", default: "deno,bun,node" },
    client: { type: "string", default: "bun" },
    vsftpd: { type: "string", default: "/usr/sbin/vsftpd" },
    scaling: { type: "boolean", default: false },
    "workers-on": { type: "string", default: "" },
    out: { type: "string" },
    "bench-args": { type: "string", default: "" },
    pyftpdlib: { type: "string" },
  },
});

const ROOT_DIR = new URL("..", import.meta.url).pathname;
const bin = (name: string) => join(ROOT_DIR, "node_modules/.bin", name);
const rounds = Number(flags.rounds ?? (flags.quick ? 1 : 3));
/** Every scenario of bench.ts, in table order. */
const ALL_SCENARIOS = ["1", "2", "3", "3b", "4", "5", "6", "7", "8", "9", "10", "10b"];
/** The scenarios that the number of clients, not one stream, limits. */
const SCALING_SCENARIOS = "3,3b,4,5,6";
/** Idle memory: measured on a freshly started server, since a heap that
 * earlier scenarios grew takes in new sessions without growing. */
const MEMORY_SCENARIO = "7";
/** Marks the memory scenario's row for servers started with TLS configured. */
const TLS_SUFFIX = "-tls";
/** Logins, measured again on the fresh servers without TLS configured: on
 * Deno, TLS puts tsftpd's control connections on node:net. */
const PLAIN_LOGIN_SCENARIO = "3";
/** Marks the rows measured on servers without TLS configured. */
const PLAIN_SUFFIX = "-plain";
/** Passive ranges sit below the ephemeral range (32768+), so a client's own
 * outgoing ports never collide with them. */
const PASSIVE_BASE = 20000;
const PASSIVE_SPAN = 1000;

interface Server {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  readonly benchArgs: readonly string[];
  stop(): Promise<void>;
}

interface BenchResult {
  readonly id: string;
  readonly name: string;
  readonly value: number | null;
  readonly note?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `log` contains `pattern`, or the process has exited. */
async function waitForLog(log: string, pattern: RegExp, exited: () => boolean): Promise<RegExpExecArray> {
  for (let waited = 0; waited < 30_000; waited += 50) {
    const match = pattern.exec(readFileSync(log, "utf8"));
    if (match) return match;
    if (exited()) break;
    await sleep(50);
  }
  throw new Error(`server did not start:\n${readFileSync(log, "utf8")}`);
}

function startProcess(command: string, args: readonly string[], log: string) {
  // Logs go to a file: a pipe nobody drains would stall the server.
  const child = spawn(command, args, { stdio: ["ignore", openSync(log, "w"), openSync(log, "a")] });
  let exited = false;
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void done.then(() => (exited = true));
  return {
    pid: child.pid!,
    exited: () => exited,
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([done, sleep(5000)]);
      if (!exited) child.kill("SIGKILL");
    },
  };
}

let tlsFlags: boolean | undefined;
/** Whether this checkout's CLI takes `--tls --certfile --keyfile`. */
function cliHasTls(): boolean {
  tlsFlags ??= execFileSync(bin("node"), [join(ROOT_DIR, "mod.ts"), "--help"], { encoding: "utf8" }).includes("--certfile");
  return tlsFlags;
}

async function startTsftpd(runtime: string, index: number, work: string, workers: number, tls = true): Promise<Server> {
  const root = join(work, `root-${runtime}-${workers}`);
  mkdirSync(root, { recursive: true });
  const port = await freePort();
  const from = PASSIVE_BASE + index * PASSIVE_SPAN;
  const mod = join(ROOT_DIR, "mod.ts");
  const cli = ["-i", "127.0.0.1", "-p", String(port), "-w", "-d", root, "-u", "bench", "-P", "bench", "--max-cons", "0"];
  cli.push("-r", `${from}-${from + PASSIVE_SPAN - 1}`);
  if (workers > 1) cli.push("--workers", String(workers));
  if (tls && cliHasTls()) cli.push("--tls", "--certfile", join(work, "cert.pem"), "--keyfile", join(work, "key.pem"));
  const args = runtime === "deno" ? ["run", "-A", mod, ...cli] : [mod, ...cli];
  const log = join(work, `tsftpd-${runtime}-${workers}.log`);
  const child = startProcess(bin(runtime), args, log);
  await waitForLog(log, /starting FTP server/, child.exited);
  const label = workers > 1 ? `tsftpd ${runtime} ×${workers}` : `tsftpd ${runtime}`;
  return { label, port, pid: child.pid, benchArgs: ["--user", "bench", "--password", "bench"], stop: child.stop };
}

async function startVsftpd(index: number, work: string, tls = true): Promise<Server> {
  const root = join(work, "root-vsftpd");
  // vsftpd refuses a chroot that the anonymous user can write to, so uploads
  // go to a writable subfolder.
  mkdirSync(join(root, "pub"), { recursive: true });
  const ftp = readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.startsWith("ftp:"))?.split(":");
  if (!ftp) throw new Error("vsftpd needs the 'ftp' system user");
  chownSync(join(root, "pub"), Number(ftp[2]), Number(ftp[3]));
  const port = await freePort();
  const from = PASSIVE_BASE + index * PASSIVE_SPAN;
  const config = join(work, "vsftpd.conf");
  mkdirSync("/var/run/vsftpd/empty", { recursive: true });
  writeFileSync(
    config,
    [
      "listen=YES",
      "listen_ipv6=NO",
      "listen_address=127.0.0.1",
      `listen_port=${port}`,
      "background=NO",
      "anonymous_enable=YES",
      "local_enable=NO",
      `anon_root=${root}`,
      "no_anon_password=YES",
      "write_enable=YES",
      "anon_upload_enable=YES",
      "anon_mkdir_write_enable=YES",
      "anon_other_write_enable=YES",
      "anon_umask=022",
      "pasv_enable=YES",
      `pasv_min_port=${from}`,
      `pasv_max_port=${from + PASSIVE_SPAN - 1}`,
      "xferlog_enable=NO",
      "syslog_enable=NO",
      `vsftpd_log_file=${join(work, "vsftpd-transfers.log")}`,
      "seccomp_sandbox=NO",
      "secure_chroot_dir=/var/run/vsftpd/empty",
      "max_clients=0",
      "max_per_ip=0",
      "connect_from_port_20=NO",
      // FTPS for scenario 10, optional for clients as in tsftpd.
      ...(tls
        ? [
          "ssl_enable=YES",
          "allow_anon_ssl=YES",
          "force_anon_data_ssl=NO",
          "force_anon_logins_ssl=NO",
          "require_ssl_reuse=NO",
          `rsa_cert_file=${join(work, "cert.pem")}`,
          `rsa_private_key_file=${join(work, "key.pem")}`,
        ]
        : []),
      "",
    ].join("\n"),
  );
  const log = join(work, "vsftpd.log");
  const child = startProcess(flags.vsftpd, [config], log);
  for (let waited = 0; !(await canConnect(port)); waited += 50) {
    if (child.exited() || waited > 10_000) throw new Error(`vsftpd did not start:\n${readFileSync(log, "utf8")}`);
    await sleep(50);
  }
  return {
    label: "vsftpd",
    port,
    pid: child.pid,
    benchArgs: ["--user", "anonymous", "--password", "bench@", "--dir", "pub"],
    stop: child.stop,
  };
}

/** pyftpdlib as its own `python -m pyftpdlib` runs it, but with no limit
 * on connections: the memory scenario holds 1000 sessions, and the command
 * line has no `max_cons` option. */
const PYFTPDLIB_SERVER = `
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
port, root, first, last = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
authorizer = DummyAuthorizer()
authorizer.add_user("bench", "bench", root, perm="elradfmwMT")
FTPHandler.authorizer = authorizer
FTPHandler.passive_ports = range(first, last + 1)
server = FTPServer(("127.0.0.1", port), FTPHandler)
server.max_cons = 0
server.max_cons_per_ip = 0
server.serve_forever()
`;

async function startPyftpdlib(python: string, index: number, work: string): Promise<Server> {
  const root = join(work, "root-pyftpdlib");
  mkdirSync(root, { recursive: true });
  const port = await freePort();
  const from = PASSIVE_BASE + index * PASSIVE_SPAN;
  const log = join(work, "pyftpdlib.log");
  const args = ["-c", PYFTPDLIB_SERVER, String(port), root, String(from), String(from + PASSIVE_SPAN - 1)];
  const child = startProcess(python, args, log);
  await waitForLog(log, /starting FTP server/, child.exited);
  return { label: "pyftpdlib", port, pid: child.pid, benchArgs: ["--user", "bench", "--password", "bench"], stop: child.stop };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function bench(args: readonly string[]): BenchResult[] {
  const client = flags.client;
  const script = join(ROOT_DIR, "scripts/bench.ts");
  const command = [
    ...(client === "deno" ? ["run", "-A"] : []),
    script,
    "--json",
    ...(flags.quick ? ["--quick"] : []),
    ...flags["bench-args"].split(" ").filter(Boolean),
  ];
  const output = execFileSync(bin(client), [...command, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(output.trim().split("\n").pop()!).results;
}

function runBench(server: Server, only: string | undefined): BenchResult[] {
  const target = ["--rounds", "1", "--port", String(server.port), "--pid", String(server.pid), ...server.benchArgs];
  return bench([...target, ...(only ? ["--only", only] : [])]);
}

/** `results` as rows of their own: `suffix` on each id, `note` after each name. */
function marked(results: readonly BenchResult[], suffix: string, note: string): BenchResult[] {
  return results.map((result) => ({ ...result, id: `${result.id}${suffix}`, name: `${result.name}, ${note}` }));
}

/** The client's own limits on one stream, against a raw TCP peer. */
function clientCeiling(): string {
  const results = bench(["--ceiling", "--only", "none", "--port", "1"]);
  return results.map((result) => `${result.name.replace(/^client ceiling: /, "")} ${format(result.value ?? 0)}`).join(", ");
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function version(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8" }).trim().split("\n")[0];
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "tsftpd-compare-"));
  const servers: Server[] = [];
  try {
    const runtimes = flags.runtimes.split(",").filter(Boolean);
    makeCertificate(work);
    // The runtimes that also run with two workers, each its own column.
    const twoWorkers = flags.scaling ? runtimes : flags["workers-on"].split(",").filter(Boolean);
    // Each server can be started again, fresh, for the memory scenario, with
    // or without TLS configured.
    const starters: ((tls: boolean) => Promise<Server>)[] = [(tls) => startVsftpd(0, work, tls)];
    for (const runtime of runtimes) {
      const index = starters.length;
      starters.push((tls) => startTsftpd(runtime, index, work, 1, tls));
    }
    for (const runtime of twoWorkers) {
      const index = starters.length;
      starters.push((tls) => startTsftpd(runtime, index, work, 2, tls));
    }
    const python = flags.pyftpdlib;
    if (python) {
      const index = starters.length;
      starters.push(() => startPyftpdlib(python, index, work));
    }
    for (const start of starters) servers.push(await start(true));
    const labels = servers.map((server) => server.label);
    // Workers need a moment to bind before the first burst.
    await sleep(1000);
    const chosen = (flags.only ?? (flags.scaling ? SCALING_SCENARIOS : ALL_SCENARIOS.join(","))).split(",");
    const shared = chosen.filter((id) => id !== MEMORY_SCENARIO).join(",");
    const table = new Map<string, { name: string; values: Map<string, number[]>; notes: Map<string, string> }>();
    const record = (label: string, results: BenchResult[]) => {
      for (const result of results) {
        const row = table.get(result.id) ?? { name: result.name, values: new Map(), notes: new Map() };
        table.set(result.id, row);
        if (result.value !== null) row.values.set(label, [...(row.values.get(label) ?? []), result.value]);
        if (result.note) row.notes.set(label, result.note);
      }
    };
    for (let round = 0; round < rounds && shared; round++) {
      for (const server of servers) {
        process.stderr.write(`round ${round + 1}/${rounds}: ${server.label}\n`);
        record(server.label, runBench(server, shared));
      }
    }
    if (chosen.includes(MEMORY_SCENARIO)) {
      for (const server of servers.splice(0)) await server.stop();
      // Plain FTP sessions, on servers as a plain FTP site runs them and as
      // an FTPS site does: TLS moves tsftpd's control connections on Deno
      // to node:net, whose sockets cost more (scripts/floors.ts).
      // The plain servers then log clients in too, once their memory is read.
      const plainLogins = chosen.includes(PLAIN_LOGIN_SCENARIO);
      for (let round = 0; round < rounds; round++) {
        for (const tls of [false, true]) {
          for (const start of starters) {
            const server = await start(tls);
            servers.push(server);
            await sleep(1000);
            process.stderr.write(`memory round ${round + 1}/${rounds}: ${server.label}, fresh, TLS ${tls ? "on" : "off"}\n`);
            const results = runBench(server, MEMORY_SCENARIO);
            if (tls) {
              record(server.label, marked(results, TLS_SUFFIX, "TLS configured"));
            } else {
              record(server.label, results);
              if (plainLogins) record(server.label, marked(runBench(server, PLAIN_LOGIN_SCENARIO), PLAIN_SUFFIX, "no TLS configured"));
            }
            await server.stop();
            servers.pop();
          }
        }
      }
    }
    const ceiling = clientCeiling();
    const lines = [
      `| scenario | ${labels.join(" | ")} |`,
      `|---|${labels.map(() => "---|").join("")}`,
    ];
    // A row of the same scenario ("7-tls", "3-cpu") follows the scenario's own.
    const order = (id: string) => 2 * ALL_SCENARIOS.indexOf(id.split("-")[0]) + (id.includes("-") ? 1 : 0);
    const rows = [...table].sort(([a], [b]) => order(a) - order(b));
    for (const [, { name, values, notes }] of rows) {
      const reference = values.get("vsftpd") ? median(values.get("vsftpd")!) : undefined;
      const cells = labels.map((label) => {
        const numbers = values.get(label);
        const note = notes.get(label);
        if (!numbers?.length) return note ?? "";
        const value = median(numbers);
        const ratios = reference && label !== "vsftpd" ? [`${(value / reference).toFixed(2)}×`] : [];
        // A column of several workers also shows its gain over one worker.
        const single = values.get(label.replace(/ ×\d+$/, ""));
        if (label.includes(" ×") && single?.length) ratios.push(`${(value / median(single)).toFixed(2)}× of 1 worker`);
        const ratio = ratios.length ? ` (${ratios.join("; ")})` : "";
        return `${format(value)}${ratio}${note ? ` ${note}` : ""}`;
      });
      lines.push(`| ${name} | ${cells.join(" | ")} |`);
    }
    const machine = [
      `Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, loopback.`,
      `Versions: deno ${version(bin("deno"), ["--version"]).replace(/^deno /, "")}, bun ${version(bin("bun"), ["--version"])}, ` +
      `node ${version(bin("node"), ["--version"])}, ${version("sh", ["-c", `${flags.vsftpd} -v 0>&1`])}` +
      (python
        ? `, pyftpdlib ${version(python, ["-c", "import pyftpdlib, sys; print(pyftpdlib.__ver__, 'on Python', sys.version.split()[0])"])}`
        : "") +
      `; client: ${flags.client} (node:net; logins on its own sockets).`,
      `Client ceiling (${flags.client}, one stream, no FTP): ${ceiling}.`,
      `Medians of ${rounds} interleaved round(s)${flags.quick ? ", quick sizes" : ""}; (×) = ratio to vsftpd in this run ` +
      "(and, for ×2 columns, to the same runtime with one worker). " +
      "Servers offer FTPS (pyftpdlib: plain only) except in rows marked \"no TLS configured\". " +
      "Memory, CPU and ms per file: lower is better.",
    ];
    const report = [...machine, "", ...lines].join("\n");
    console.log(report);
    if (flags.out) writeFileSync(flags.out, report + "\n");
  } finally {
    for (const server of servers) await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
