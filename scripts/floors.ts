/**
 * What each runtime costs before any FTP code runs: the floors under two of
 * the benchmark's figures, measured with each runtime's own fastest API.
 *
 * - memory per bare idle connection: a server that only sends a greeting and
 *   keeps a read pending (`Deno.listen`, `Bun.listen`, `node:net`), PSS slope
 *   over 1000 connections opened in five steps, as bench.ts scenario 7
 *   measures a server; and the same on `node:net` for Deno and Bun, which
 *   tsftpd's listeners use once TLS is configured (AUTH TLS upgrades with
 *   `node:tls`);
 * - one directory entry's metadata: a synchronous `lstat` per name of a
 *   1000-file folder (`Deno.lstatSync`, `node:fs` on Bun and Node), plus the
 *   folder's read, which every LIST and MLSD of it pays.
 *
 * ```sh
 * bun scripts/floors.ts          # every runtime, markdown table (Linux only)
 * ```
 *
 * @module
 */

import { spawn } from "node:child_process";
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { slope, treePss } from "./_process_tree.ts";

const RUNTIMES = ["deno", "bun", "node"] as const;
const CONNECTIONS = 1000;
const STEPS = 5;
const FILES = 1000;
const GREETING = "220 ready\r\n";

/** The child's side: a bare server, or the lstat timing. */
async function probe(kind: string): Promise<void> {
  if (kind === "idle" || kind === "idle-net") {
    const port = await bareServer(kind === "idle-net");
    console.log(`port ${port}`);
    return;
  }
  const folder = mkdtempSync(join(tmpdir(), "tsftpd-floors-"));
  for (let i = 0; i < FILES; i++) writeFileSync(join(folder, `f${i}.bin`), "x");
  const lstat = "Deno" in globalThis ? (path: string) => Deno.lstatSync(path) : (path: string) => lstatSync(path);
  const best = { list: Infinity, lstat: Infinity };
  for (let round = 0; round < 20; round++) {
    let started = performance.now();
    const names = "Deno" in globalThis ? Array.from(Deno.readDirSync(folder), (entry) => entry.name) : readdirSync(folder);
    best.list = Math.min(best.list, performance.now() - started);
    started = performance.now();
    for (const name of names) lstat(`${folder}/${name}`);
    best.lstat = Math.min(best.lstat, (performance.now() - started) / names.length);
  }
  rmSync(folder, { recursive: true });
  console.log(`lstat ${(best.lstat * 1000).toFixed(2)} list ${(best.list * 1000).toFixed(0)}`);
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

function runProbe(runtime: string, kind: string) {
  const bin = new URL(`../node_modules/.bin/${runtime}`, import.meta.url).pathname;
  const script = new URL(import.meta.url).pathname;
  const args = runtime === "deno" ? ["run", "-A", script, "--probe", kind] : [script, "--probe", kind];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"] });
  const line = new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("\n")) resolve(output.split("\n")[0]);
    });
    child.once("exit", () => reject(new Error(`${runtime} probe ${kind} ended: ${output}`)));
  });
  return { child, line };
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

async function lstatFloor(runtime: string): Promise<{ lstat: number; list: number }> {
  const { child, line } = runProbe(runtime, "lstat");
  const [, lstat, , list] = (await line).split(" ");
  child.kill();
  return { lstat: Number(lstat), list: Number(list) };
}

const probeIndex = process.argv.indexOf("--probe");
if (probeIndex > 0) {
  await probe(process.argv[probeIndex + 1]);
} else {
  console.log(
    "| runtime | PSS per bare idle connection, KiB | the same on node:net, KiB | sync lstat per entry, µs | reading a 1000-file folder, µs |",
  );
  console.log("|---|---|---|---|---|");
  for (const runtime of RUNTIMES) {
    const memory = await idleFloor(runtime, "idle");
    const onNet = runtime === "node" ? "(the same)" : (await idleFloor(runtime, "idle-net")).toFixed(1);
    const { lstat, list } = await lstatFloor(runtime);
    console.log(`| ${runtime} | ${memory.toFixed(1)} | ${onNet} | ${lstat.toFixed(2)} | ${list.toFixed(0)} |`);
  }
}
