/**
 * What each runtime costs before any FTP code runs: the floors under two of
 * the benchmark's figures, measured with each runtime's own fastest API.
 *
 * - memory per bare idle connection: a server that only sends a greeting and
 *   keeps a read pending (`Deno.listen`, `Bun.listen`, `node:net`), PSS slope
 *   over 1000 connections opened in five steps, as bench.ts scenario 7
 *   measures a server; and the same on `node:net` for Deno and Bun, which
 *   tsftpd's listeners on Deno use once TLS is configured (AUTH TLS
 *   upgrades with `node:tls` there);
 * - one directory entry's metadata: a synchronous `lstat` per name of a
 *   1000-file folder (`Deno.lstatSync`, `node:fs` on Bun and Node), plus the
 *   folder's read, which every LIST and MLSD of it pays; and the adapter's
 *   own `readDir` per entry (on Bun and Deno `statx` relative to the open
 *   folder, through their FFI; on Node `lstat`);
 * - 200 uploads at once, as bench.ts scenario 5 without FTP: 200 connections
 *   each send 10 MB, which one thread writes into a new file per connection
 *   (`Deno.Conn.read` and `node:net`'s `onread` into the connection's own
 *   buffer, growing as tsftpd's does; `Bun.listen`, whose every chunk is a
 *   new buffer, which tsftpd's Bun data connections avoid by reading with
 *   `read(2)` through `bun:ffi`; each chunk written with `writeSync`),
 *   aggregate MiB/s, median of 3.
 *
 * A row "C" measures the same without a runtime (`_floors.c`, built with the
 * system's `cc` when there is one): what a C server like vsftpd pays, by
 * absolute path and, as vsftpd gets it by `chdir`, relative to the folder
 * (`fstatat`), which no runtime's own API offers; and a row "C, splice"
 * the uploads through one 1 MiB pipe with `splice(2)`, socket to pipe to
 * file, as tsftpd's Bun data connections receive: one copy of each byte
 * where reading and writing make two.
 *
 * ```sh
 * bun scripts/floors.ts          # every runtime, markdown table (Linux only)
 * ```
 *
 * @module
 */

import { execFileSync, spawn } from "node:child_process";
import { closeSync, lstatSync, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FIRST_RECEIVE_BUFFER, MAX_BULK_RECEIVE_BUFFER, nextReceiveBuffer } from "../src/runtime/_receive_buffer.ts";
import { loadRuntime } from "../src/runtime/load.ts";
import { slope, treePss } from "./_process_tree.ts";

const RUNTIMES = ["deno", "bun", "node"] as const;
const CONNECTIONS = 1000;
const STEPS = 5;
const FILES = 1000;
const GREETING = "220 ready\r\n";
const UPLOADS = 200;
const UPLOAD_BYTES = 10_000_000;
const UPLOAD_ROUNDS = 3;

/** The child's side: a bare server, an upload sink, or the lstat timing. */
async function probe(kind: string): Promise<void> {
  if (kind === "idle" || kind === "idle-net") {
    const port = await bareServer(kind === "idle-net");
    console.log(`port ${port}`);
    return;
  }
  if (kind === "upload") {
    console.log(`port ${await uploadServer()}`);
    return;
  }
  const folder = makeFolder();
  const lstat = "Deno" in globalThis ? (path: string) => Deno.lstatSync(path) : (path: string) => lstatSync(path);
  const { files } = await loadRuntime();
  const best = { list: Infinity, lstat: Infinity, readDir: Infinity };
  for (let round = 0; round < 20; round++) {
    let started = performance.now();
    const names = "Deno" in globalThis ? Array.from(Deno.readDirSync(folder), (entry) => entry.name) : readdirSync(folder);
    best.list = Math.min(best.list, performance.now() - started);
    started = performance.now();
    for (const name of names) lstat(`${folder}/${name}`);
    best.lstat = Math.min(best.lstat, (performance.now() - started) / names.length);
    started = performance.now();
    await files.readDir(folder);
    best.readDir = Math.min(best.readDir, (performance.now() - started) / names.length);
  }
  rmSync(folder, { recursive: true });
  const micro = (ms: number) => (ms * 1000).toFixed(2);
  console.log(`lstat ${micro(best.lstat)} list ${(best.list * 1000).toFixed(0)} readDir ${micro(best.readDir)}`);
}

function makeFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "tsftpd-floors-"));
  for (let i = 0; i < FILES; i++) writeFileSync(join(folder, `f${i}.bin`), "x");
  return folder;
}

/** A new file for one connection's bytes, gone again once they are all
 * written (as bench.ts deletes its uploads). */
function uploadFile(): { write(data: Uint8Array): void; finish(): void } {
  const path = join(tmpdir(), `tsftpd-floor-${process.pid}-${uploadFiles++}`);
  const fd = openSync(path, "w");
  return {
    write(data) {
      for (let done = 0; done < data.length;) done += writeSync(fd, data, done);
    },
    finish() {
      closeSync(fd);
      unlinkSync(path);
    },
  };
}
let uploadFiles = 0;

async function uploadServer(): Promise<number> {
  if ("Deno" in globalThis) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    (async () => {
      for await (const conn of listener) {
        (async () => {
          const file = uploadFile();
          let buffer: Uint8Array = new Uint8Array(FIRST_RECEIVE_BUFFER);
          for (let count = await conn.read(buffer); count !== null; count = await conn.read(buffer)) {
            file.write(buffer.subarray(0, count));
            buffer = nextReceiveBuffer(buffer, count, MAX_BULK_RECEIVE_BUFFER);
          }
          file.finish();
          conn.close();
        })().catch(() => {});
      }
    })();
    return listener.addr.port;
  }
  if ("Bun" in globalThis) {
    const listener = Bun.listen<ReturnType<typeof uploadFile>>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (socket) => void (socket.data = uploadFile()),
        data: (socket, chunk) => socket.data.write(chunk),
        end(socket) {
          socket.data.finish();
          socket.end();
        },
      },
    });
    return listener.port;
  }
  const net = await import("node:net");
  // onread is a constructor option, which a server does not pass on: the
  // accepted socket's handle moves to a socket made with it, as tsftpd does.
  const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
    const holder = accepted as typeof accepted & { _handle: unknown };
    const handle = holder._handle;
    holder._handle = null;
    accepted.destroy();
    const file = uploadFile();
    let buffer: Uint8Array = new Uint8Array(FIRST_RECEIVE_BUFFER);
    const socket = new net.Socket({
      handle,
      onread: {
        buffer: () => buffer,
        callback(count: number, into: Uint8Array) {
          file.write(into.subarray(0, count));
          buffer = nextReceiveBuffer(buffer, count, MAX_BULK_RECEIVE_BUFFER);
        },
      },
    } as ConstructorParameters<typeof net.Socket>[0]);
    socket.on("end", () => {
      file.finish();
      socket.end();
    });
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

async function bareServer(nodeNet: boolean): Promise<number> {
  const greeting = new TextEncoder().encode(GREETING);
  if ("Deno" in globalThis && !nodeNet) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    (async () => {
      for await (const conn of listener) {
        (async () => {
          await conn.write(greeting);
          const buffer = new Uint8Array(1024);
          while ((await conn.read(buffer)) !== null);
        })().catch(() => {});
      }
    })();
    return listener.addr.port;
  }
  if ("Bun" in globalThis && !nodeNet) {
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { open: (socket) => void socket.write(greeting), data() {} },
    });
    return listener.port;
  }
  const net = await import("node:net");
  const server = net.createServer((socket) => {
    socket.write(greeting);
    socket.on("data", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A probe process and the first line it prints. */
function spawnProbe(command: string, args: readonly string[]) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const line = new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("\n")) resolve(output.split("\n")[0]);
    });
    child.once("exit", () => reject(new Error(`${command} ${args.join(" ")} ended: ${output}`)));
  });
  return { child, line };
}

function runProbe(runtime: string, kind: string) {
  const bin = new URL(`../node_modules/.bin/${runtime}`, import.meta.url).pathname;
  const script = new URL(import.meta.url).pathname;
  return spawnProbe(bin, runtime === "deno" ? ["run", "-A", script, "--probe", kind] : [script, "--probe", kind]);
}

/** `_floors.c` built with the system's `cc`, or undefined without one. */
function buildC(into: string): string | undefined {
  const binary = join(into, "floors");
  try {
    execFileSync("cc", ["-O2", "-o", binary, new URL("_floors.c", import.meta.url).pathname], { stdio: "ignore" });
    return binary;
  } catch {
    return undefined;
  }
}

/** Opens a connection and waits for the greeting. */
function greeted(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("data", () => resolve(socket)).once("error", reject);
  });
}

async function idleFloor(runtime: string, kind: "idle" | "idle-net"): Promise<number> {
  const { child, line } = runProbe(runtime, kind);
  const port = Number((await line).split(" ")[1]);
  const sockets: Socket[] = [];
  const counts: number[] = [];
  const sizes: number[] = [];
  try {
    for (let step = 0; step <= STEPS; step++) {
      while (sockets.length < (CONNECTIONS * step) / STEPS) sockets.push(await greeted(port));
      await sleep(1000);
      counts.push(sockets.length);
      sizes.push(treePss(child.pid!));
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    child.kill();
  }
  return slope(counts, sizes);
}

async function lstatFloor(runtime: string): Promise<{ lstat: number; list: number; readDir: number }> {
  const { child, line } = runProbe(runtime, "lstat");
  const [, lstat, , list, , readDir] = (await line).split(" ");
  child.kill();
  return { lstat: Number(lstat), list: Number(list), readDir: Number(readDir) };
}

async function lstatFloorC(binary: string): Promise<{ lstat: number; relative: number; list: number }> {
  const folder = makeFolder();
  try {
    const [, lstat, , relative, , list] = (await spawnProbe(binary, ["lstat", folder]).line).split(" ");
    return { lstat: Number(lstat), relative: Number(relative), list: Number(list) };
  } finally {
    rmSync(folder, { recursive: true });
  }
}

/** Sends {@link UPLOAD_BYTES} on one connection and waits for the server
 * to close it, which it does once all is written. */
function sendUpload(port: number, block: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      let sent = 0;
      const pump = () => {
        while (sent < UPLOAD_BYTES) {
          const part = block.subarray(0, Math.min(block.length, UPLOAD_BYTES - sent));
          sent += part.length;
          if (!socket.write(part)) return void socket.once("drain", pump);
        }
        socket.end();
      };
      pump();
    });
    socket.on("error", reject).on("close", () => resolve()).resume();
  });
}

async function uploadFloor(probe: ReturnType<typeof spawnProbe>): Promise<number> {
  try {
    const port = Number((await probe.line).split(" ")[1]);
    const block = new Uint8Array(1024 * 1024).fill(0x61);
    const rates: number[] = [];
    for (let round = 0; round < UPLOAD_ROUNDS; round++) {
      const started = performance.now();
      await Promise.all(Array.from({ length: UPLOADS }, () => sendUpload(port, block)));
      rates.push((UPLOADS * UPLOAD_BYTES) / 2 ** 20 / ((performance.now() - started) / 1000));
    }
    return rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)];
  } finally {
    probe.child.kill();
  }
}

const probeIndex = process.argv.indexOf("--probe");
if (probeIndex > 0) {
  await probe(process.argv[probeIndex + 1]);
} else {
  console.log(
    "| runtime | PSS per bare idle connection, KiB | the same on node:net, KiB | sync lstat per entry, µs " +
      "| tsftpd's readDir, per entry with the folder's read, µs " +
      `| reading a 1000-file folder, µs | ${UPLOADS} uploads of 10 MB into new files, MiB/s |`,
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const runtime of RUNTIMES) {
    const memory = await idleFloor(runtime, "idle");
    const onNet = runtime === "node" ? "(the same)" : (await idleFloor(runtime, "idle-net")).toFixed(1);
    const { lstat, list, readDir } = await lstatFloor(runtime);
    const uploads = await uploadFloor(runProbe(runtime, "upload"));
    console.log(
      `| ${runtime} | ${memory.toFixed(1)} | ${onNet} | ${lstat.toFixed(2)} | ${readDir.toFixed(2)} | ${list.toFixed(0)} ` +
        `| ${uploads.toFixed(0)} |`,
    );
  }
  const build = mkdtempSync(join(tmpdir(), "tsftpd-floors-c-"));
  try {
    const binary = buildC(build);
    if (!binary) {
      console.log("| C | no C compiler (cc) here | | | | | |");
    } else {
      const { lstat, relative, list } = await lstatFloorC(binary);
      const uploads = await uploadFloor(spawnProbe(binary, ["upload"]));
      console.log(
        `| C | n/a | n/a | ${lstat.toFixed(2)} (relative to the folder: ${relative.toFixed(2)}) | n/a | ${list.toFixed(0)} ` +
          `| ${uploads.toFixed(0)} |`,
      );
      const spliced = await uploadFloor(spawnProbe(binary, ["upload", "splice"]));
      console.log(`| C, splice | n/a | n/a | n/a | n/a | n/a | ${spliced.toFixed(0)} |`);
    }
  } finally {
    rmSync(build, { recursive: true });
  }
}
