/**
 * The runtime port, exercised through `loadRuntime()` on whichever runtime
 * runs this file, so each runner tests its own adapter.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { Connection, Listener, WriteMode } from "../src/port.ts";
import { loadRuntime } from "../src/runtime/load.ts";
import { SLOW_CALLS_IN_A_ROW } from "../src/runtime/_sync_call.ts";
import type { TransferProgress } from "../src/session.ts";
import { receiveFileJob } from "../src/transfer_jobs.ts";

const runtime = await loadRuntime();

const MiB = 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects if `promise` takes longer than `ms`, so a hang fails the test. */
function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Pair {
  readonly listener: Listener;
  readonly client: Connection;
  readonly server: Connection;
  dispose(): Promise<void>;
}

/** A listener and a connection to it; `bulk` makes both ends data-channel
 * connections (on Node, reading into their own buffers). */
async function connectPair({ listenHost = "127.0.0.1", connectHost = "127.0.0.1", bulk = false } = {}): Promise<Pair> {
  const accepted = Promise.withResolvers<Connection>();
  const opened: Connection[] = [];
  const listener = await runtime.listen({
    host: listenHost,
    port: 0,
    bulk,
    onConnection: (conn) => {
      opened.push(conn);
      accepted.resolve(conn);
    },
  });
  const client = await runtime.connect({ host: connectHost, port: listener.address.port, bulk });
  opened.push(client);
  const server = await within(accepted.promise);
  return {
    listener,
    client,
    server,
    async dispose() {
      for (const conn of opened) conn.close();
      await listener.close();
    },
  };
}

/** Reads until the end, copying each chunk (it is only valid until the next read). */
async function readAll(source: { read(): Promise<Uint8Array | null> }): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk = await source.read(); chunk; chunk = await source.read()) {
    chunks.push(chunk.slice());
  }
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

async function readText(conn: Connection): Promise<string> {
  return decoder.decode(await readAll(conn));
}

function expectedRuntime(): { name: string; version: string | undefined } {
  // process.versions, not the globals load.ts looks at, so the two can disagree.
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.deno) return { name: "deno", version: versions.deno };
  if (versions.bun) return { name: "bun", version: versions.bun };
  return { name: "node", version: versions.node };
}

test("loadRuntime picks the running runtime's own adapter, once", async () => {
  const expected = expectedRuntime();
  assert.equal(runtime.name, expected.name);
  assert.equal(runtime.version, expected.version);
  assert.equal(await loadRuntime(), runtime);
});

test("listen on port 0 reports the real port, and an echo round trip works", async () => {
  const listener = await runtime.listen({
    host: "127.0.0.1",
    port: 0,
    onConnection: async (conn) => {
      for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
        await conn.write(chunk);
      }
      await conn.closeWrite();
    },
  });
  try {
    assert.equal(listener.address.address, "127.0.0.1");
    assert.equal(listener.address.family, "IPv4");
    assert.ok(listener.address.port > 0);
    const client = await runtime.connect({ host: "127.0.0.1", port: listener.address.port });
    client.setNoDelay(true);
    assert.deepEqual(client.remoteAddress, listener.address);
    assert.equal(client.localAddress.address, "127.0.0.1");
    assert.equal(client.localAddress.family, "IPv4");
    assert.ok(client.localAddress.port > 0);
    await client.write(encoder.encode("ping "));
    await client.write(encoder.encode("pong"));
    await client.closeWrite();
    assert.equal(await within(readText(client)), "ping pong");
    await within(client.closed);
  } finally {
    await listener.close();
  }
});

const TRANSFER_BYTES = 64 * MiB;
/** Write sizes, used in turn. Large writes fill the send buffer at once;
 * small ones take the paths where a runtime queues a write below its
 * high-water mark and could report it done too early. */
const LARGE_WRITES = [MiB, 256 * 1024, 1000];
const SMALL_WRITES = [4096, 1000, 16 * 1024];

/**
 * Sends TRANSFER_BYTES from ONE buffer that is changed after each write
 * resolves: an adapter that resolved while the runtime still held the buffer
 * would send changed bytes and break the receiver's checksum.
 */
async function sendPattern(
  conn: Connection,
  sizes: readonly number[],
  progress: { written: number },
): Promise<string> {
  const buffer = new Uint8Array(randomBytes(MiB));
  const words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
  const hash = createHash("sha256");
  for (let round = 0; progress.written < TRANSFER_BYTES; round++) {
    const size = Math.min(sizes[round % sizes.length], TRANSFER_BYTES - progress.written);
    for (let i = round % 64; i < size / 4; i += 64) words[i] ^= round * 0x9e3779b1;
    const chunk = buffer.subarray(0, size);
    hash.update(chunk);
    await conn.write(chunk);
    progress.written += size;
  }
  await conn.closeWrite();
  return hash.digest("hex");
}

/** Hashes everything received; the first reads are slow, then full speed.
 * A slow read hashes its chunk only after the wait, which a chunk must
 * survive: it stays valid until the next read. */
async function receiveHash(conn: Connection): Promise<{ hash: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  let reads = 0;
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
    if (++reads <= 10) await sleep(20);
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hash: hash.digest("hex"), bytes };
}

for (const bulk of [false, true]) {
  const kind = bulk ? "bulk connections" : "connections";

  test(`${kind}: 64 MiB each way arrive intact, and writes wait while the peer does not read`, async () => {
    const { client, server, dispose } = await connectPair({ bulk });
    try {
      const up = { written: 0 };
      const down = { written: 0 };
      const sentUp = sendPattern(client, LARGE_WRITES, up);
      const sentDown = sendPattern(server, SMALL_WRITES, down);
      // Nobody reads yet: the writers must stall once the buffers are full.
      await sleep(400);
      assert.ok(
        up.written < TRANSFER_BYTES / 2,
        `${up.written} bytes written upstream before any read`,
      );
      assert.ok(
        down.written < TRANSFER_BYTES / 2,
        `${down.written} bytes written downstream before any read`,
      );
      const [receivedUp, receivedDown] = await within(
        Promise.all([receiveHash(server), receiveHash(client)]),
        60_000,
      );
      assert.equal(receivedUp.bytes, TRANSFER_BYTES);
      assert.equal(receivedDown.bytes, TRANSFER_BYTES);
      assert.equal(receivedUp.hash, await sentUp);
      assert.equal(receivedDown.hash, await sentDown);
      await within(Promise.all([client.closed, server.closed]));
    } finally {
      await dispose();
    }
  });

  test(`${kind}: half-close, the server reads null after closeWrite and can still answer`, async () => {
    const { client, server, dispose } = await connectPair({ bulk });
    try {
      await client.write(encoder.encode("request"));
      await client.closeWrite();
      assert.equal(await within(readText(server)), "request");
      assert.equal(await server.read(), null);
      await server.write(encoder.encode("reply after FIN"));
      await server.closeWrite();
      assert.equal(await within(readText(client)), "reply after FIN");
      await within(Promise.all([client.closed, server.closed]));
    } finally {
      await dispose();
    }
  });

  test(`${kind}: close() resolves a pending read with null, is idempotent, and later writes reject`, async () => {
    const { client, server, dispose } = await connectPair({ bulk });
    try {
      const pending = client.read();
      client.close();
      assert.equal(await within(pending), null);
      await within(client.closed);
      client.close();
      assert.equal(await client.read(), null);
      await assert.rejects(client.write(encoder.encode("late")), { code: "EPIPE" });
      // The peer sees the end of the stream, then its writes fail once the
      // reset arrives.
      assert.equal(await within(server.read()), null);
      const failed = await within((async () => {
        for (let attempt = 0; attempt < 100; attempt++) {
          try {
            await server.write(new Uint8Array(64 * 1024));
          } catch (error) {
            return error as { code?: unknown };
          }
          await sleep(10);
        }
        return undefined;
      })());
      assert.ok(failed, "writing to a closed peer never failed");
      assert.equal(typeof failed.code, "string");
      await within(server.closed);
    } finally {
      await dispose();
    }
  });
}

test("listen rejects with EADDRINUSE for a port in use, EADDRNOTAVAIL for a foreign address", async () => {
  const first = await runtime.listen({
    host: "127.0.0.1",
    port: 0,
    onConnection: (conn) => conn.close(),
  });
  try {
    await assert.rejects(
      runtime.listen({
        host: "127.0.0.1",
        port: first.address.port,
        onConnection: (conn) => conn.close(),
      }),
      { code: "EADDRINUSE" },
    );
  } finally {
    await first.close();
  }
  // 192.0.2.1 is TEST-NET-1: never assigned to a local interface.
  await assert.rejects(
    runtime.listen({ host: "192.0.2.1", port: 0, onConnection: (conn) => conn.close() }),
    { code: "EADDRNOTAVAIL" },
  );
});

test("a closed listener frees its port, and connecting to it is refused", async () => {
  const listener = await runtime.listen({
    host: "127.0.0.1",
    port: 0,
    onConnection: (conn) => conn.close(),
  });
  const { port } = listener.address;
  await listener.close();
  await listener.close();
  await assert.rejects(runtime.connect({ host: "127.0.0.1", port }), { code: "ECONNREFUSED" });
  const again = await runtime.listen({
    host: "127.0.0.1",
    port,
    onConnection: (conn) => conn.close(),
  });
  await again.close();
});

async function canListen(host: string): Promise<boolean> {
  try {
    await (await runtime.listen({ host, port: 0, onConnection: (conn) => conn.close() })).close();
    return true;
  } catch {
    return false;
  }
}

const dualStack = await canListen("::");

test(
  "a listener on :: sees an IPv4 peer as plain IPv4",
  { skip: dualStack ? false : "cannot bind ::" },
  async () => {
    const { listener, client, server, dispose } = await connectPair({ listenHost: "::", connectHost: "127.0.0.1" });
    try {
      assert.deepEqual(listener.address, {
        address: "::",
        port: listener.address.port,
        family: "IPv6",
      });
      assert.deepEqual(server.remoteAddress, {
        address: "127.0.0.1",
        port: client.localAddress.port,
        family: "IPv4",
      });
      assert.deepEqual(server.localAddress, {
        address: "127.0.0.1",
        port: listener.address.port,
        family: "IPv4",
      });
      if (await canListen("::1")) {
        const v6 = await runtime.connect({ host: "::1", port: listener.address.port });
        assert.deepEqual(v6.localAddress.family, "IPv6");
        assert.deepEqual(v6.remoteAddress, {
          address: "::1",
          port: listener.address.port,
          family: "IPv6",
        });
        v6.close();
      }
    } finally {
      await dispose();
    }
  },
);

/** A fresh real-path temp folder, removed after `body`. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "tsftpd-runtime-")));
  try {
    await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function readVia(file: string, offset = 0): Promise<string> {
  const source = await runtime.files.openRead(file, offset);
  try {
    return decoder.decode(await readAll(source));
  } finally {
    await source.close();
    await source.close();
  }
}

async function writeVia(file: string, mode: WriteMode, text: string): Promise<void> {
  const sink = await runtime.files.openWrite(file, mode);
  await sink.write(encoder.encode(text));
  await sink.close();
  await sink.close();
}

test("openWrite truncate, append and offset position the bytes as documented", async () => {
  await inTempDir(async (dir) => {
    const file = path.join(dir, "a.txt");
    await writeVia(file, { kind: "truncate" }, "0123456789");
    assert.equal(fs.readFileSync(file, "utf8"), "0123456789");
    await writeVia(file, { kind: "truncate" }, "abc");
    assert.equal(fs.readFileSync(file, "utf8"), "abc");
    await writeVia(file, { kind: "append" }, "def");
    assert.equal(fs.readFileSync(file, "utf8"), "abcdef");
    await writeVia(path.join(dir, "new.txt"), { kind: "append" }, "created");
    assert.equal(fs.readFileSync(path.join(dir, "new.txt"), "utf8"), "created");

    fs.writeFileSync(file, "0123456789");
    await writeVia(file, { kind: "offset", offset: 3 }, "AB");
    assert.equal(fs.readFileSync(file, "utf8"), "012AB56789");
    await writeVia(file, { kind: "offset", offset: 10 }, "XY");
    assert.equal(fs.readFileSync(file, "utf8"), "012AB56789XY");
    await assert.rejects(
      runtime.files.openWrite(path.join(dir, "missing.txt"), { kind: "offset", offset: 0 }),
      { code: "ENOENT" },
    );
    assert.equal(fs.existsSync(path.join(dir, "missing.txt")), false);
    await assert.rejects(runtime.files.openWrite(dir, { kind: "truncate" }), { code: "EISDIR" });
  });
});

test("a file sink may reuse its buffer once write resolves", async () => {
  await inTempDir(async (dir) => {
    const file = path.join(dir, "reuse.bin");
    const sink = await runtime.files.openWrite(file, { kind: "truncate" });
    const buffer = new Uint8Array(MiB);
    const expected = new Uint8Array(4 * MiB);
    for (let round = 0; round < 4; round++) {
      buffer.fill(round + 1);
      expected.fill(round + 1, round * MiB, (round + 1) * MiB);
      await sink.write(buffer);
    }
    await sink.close();
    assert.deepEqual(new Uint8Array(fs.readFileSync(file)), expected);
  });
});

// 64 MiB writes take well over SLOW_CALL_MS anywhere, so the writes after
// a few of them go through the thread pool: both paths must keep the
// position.
test("a sink keeps its position when a slow write moves it to the thread pool", async () => {
  await inTempDir(async (dir) => {
    for (const mode of [{ kind: "truncate" }, { kind: "append" }, { kind: "offset", offset: 5 }] as const) {
      const file = path.join(dir, `${mode.kind}.bin`);
      fs.writeFileSync(file, "head:");
      const sink = await runtime.files.openWrite(file, mode);
      const big = new Uint8Array(64 * MiB).fill(0x61);
      for (let slow = 0; slow < SLOW_CALLS_IN_A_ROW; slow++) await sink.write(big);
      await sink.write(encoder.encode("tail"));
      await sink.write(encoder.encode("!"));
      await sink.close();
      const written = fs.readFileSync(file);
      const start = mode.kind === "truncate" ? 0 : 5;
      const bigEnd = start + SLOW_CALLS_IN_A_ROW * big.length;
      assert.equal(written.length, bigEnd + 5, mode.kind);
      assert.equal(written.subarray(0, start).toString(), "head:".slice(0, start), mode.kind);
      assert.equal(written.indexOf(0x62), -1, mode.kind);
      assert.equal(written.subarray(bigEnd).toString(), "tail!", mode.kind);
      assert.equal(written.subarray(start, bigEnd).every((byte) => byte === 0x61), true, mode.kind);
    }
  });
});

/** Sends `payload` from `client` in pieces after `first`, pausing now and
 * then, so that the receiver sees bytes already waiting and bytes arriving
 * while it waits. */
async function sendInPieces(client: Connection, payload: Uint8Array, first: number): Promise<void> {
  const piece = (payload.length - first) / 16;
  for (let i = 0; i < 16; i++) {
    await client.write(payload.subarray(first + i * piece, first + (i + 1) * piece));
    if (i % 4 === 0) await sleep(5);
  }
  await client.closeWrite();
}

// Bun moves what a data connection has received into the file inside the
// kernel (splice), between chunks Bun itself read: the bytes must still land
// whole, in order, at the sink's position. Append is never spliced (Linux
// refuses O_APPEND), and TLS or the other runtimes never offer it.
test("an upload lands whole and in order at the sink's position, spliced where the runtime can", async () => {
  await inTempDir(async (dir) => {
    for (const mode of [{ kind: "truncate" }, { kind: "offset", offset: 3 }, { kind: "append" }] as const) {
      const file = path.join(dir, `${mode.kind}.bin`);
      fs.writeFileSync(file, "head:");
      const { client, server, dispose } = await connectPair({ bulk: true });
      try {
        const sink = await runtime.files.openWrite(file, mode);
        let spliced = 0;
        const receive = sink.receive;
        if (receive) {
          sink.receive = async (source) => {
            const moved = await receive(source);
            spliced += moved ?? 0;
            return moved;
          };
        }
        const progress: TransferProgress = { label: "STOR", startedMs: 0, bytes: 0, aborted: false };
        const payload = randomBytes(4 * MiB);
        // What arrives before the upload reads: the runtime queues some (on
        // Bun, chunks it read itself, up to 256 KiB) and leaves the rest in
        // the kernel, behind them.
        const first = MiB;
        await client.write(payload.subarray(0, first));
        await sleep(20);
        const received = receiveFileJob(sink, { label: "STOR", path: "/x", ascii: false }).run(server, progress);
        await sendInPieces(client, payload, first);
        await within(received, 20_000);
        const head = { truncate: "", offset: "hea", append: "head:" }[mode.kind];
        assert.equal(progress.bytes, payload.length, mode.kind);
        assert.equal(fs.readFileSync(file).equals(Buffer.concat([Buffer.from(head), payload])), true, mode.kind);
        const splices = runtime.name === "bun" && mode.kind !== "append";
        assert.equal(spliced > 0, splices, `${mode.kind}: ${spliced} bytes spliced`);
      } finally {
        await dispose();
      }
    }
  });
});

// The one pipe every splice goes through must not carry a failed upload's
// bytes into the next; a regular file stands in for the socket (splice reads
// from either).
test(
  "a splice into a file that can't take it fails with the POSIX code, and the next starts clean",
  { skip: runtime.name === "bun" ? false : "Bun's libc binding" },
  async () => {
    const { spliceToFile } = await import("../src/runtime/_bun_libc.ts");
    await inTempDir((dir) => {
      const opened: number[] = [];
      const open = (name: string, text: string, flags = "r") => {
        fs.writeFileSync(path.join(dir, name), text);
        opened.push(fs.openSync(path.join(dir, name), flags));
        return opened.at(-1)!;
      };
      try {
        const readOnly = open("read-only.txt", "");
        assert.throws(() => spliceToFile(open("lost.txt", "lost"), 4, readOnly, null), { code: "EBADF" });
        const target = open("target.txt", "", "w");
        assert.equal(spliceToFile(open("kept.txt", "kept"), 4, target, null), 4);
        assert.equal(spliceToFile(open("at.txt", "AT"), 2, target, 1), 2);
        assert.equal(spliceToFile(open("end.txt", "!"), 1, target, null), 1);
        assert.equal(fs.readFileSync(path.join(dir, "target.txt"), "utf8"), "kATt!");
      } finally {
        for (const fd of opened) fs.closeSync(fd);
      }
      return Promise.resolve();
    });
  },
);

test("openRead reads from an offset, across many chunks", async () => {
  await inTempDir(async (dir) => {
    const small = path.join(dir, "digits.txt");
    fs.writeFileSync(small, "0123456789");
    assert.equal(await readVia(small, 4), "456789");
    assert.equal(await readVia(small, 0), "0123456789");
    assert.equal(await readVia(small, 10), "");
    assert.equal(await readVia(small, 25), "");

    const big = path.join(dir, "big.bin");
    const content = new Uint8Array(randomBytes(3 * MiB + 12345));
    fs.writeFileSync(big, content);
    const source = await runtime.files.openRead(big, 777);
    try {
      assert.deepEqual(await readAll(source), content.subarray(777));
      assert.equal(await source.read(), null);
    } finally {
      await source.close();
    }

    await assert.rejects(runtime.files.openRead(path.join(dir, "missing"), 0), { code: "ENOENT" });
    await assert.rejects(runtime.files.openRead(dir, 0), { code: "EISDIR" });
  });
});

test("readDir gives each entry exactly lstat's metadata: big, old, odd and unusually named entries too", async () => {
  await inTempDir(async (dir) => {
    const big = path.join(dir, "big.bin");
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 5 * 2 ** 32 + 7);
    const old = path.join(dir, "före 1970 ✓");
    fs.writeFileSync(old, "x");
    const before1970 = new Date(-86_399_750);
    fs.utimesSync(old, before1970, before1970);
    // Seconds with a fraction of a millisecond.
    fs.writeFileSync(path.join(dir, "fraction"), "");
    fs.utimesSync(path.join(dir, "fraction"), 1_609_372_800.2505, 1_609_372_800.2505);
    fs.symlinkSync(path.join(dir, "nowhere"), path.join(dir, "broken"));
    fs.mkdirSync(path.join(dir, "sub"), { mode: 0o750 });
    fs.chmodSync(path.join(dir, "sub"), 0o1750);
    fs.writeFileSync(path.join(dir, "hard"), "yy");
    fs.linkSync(path.join(dir, "hard"), path.join(dir, "hard2"));
    const entries = await runtime.files.readDir(dir);
    assert.deepEqual(entries.map((entry) => entry.name), ["big.bin", "broken", "fraction", "före 1970 ✓", "hard", "hard2", "sub"]);
    for (const entry of entries) {
      assert.deepEqual(entry.info, await runtime.files.lstat(path.join(dir, entry.name)), entry.name);
    }
    const byName = new Map(entries.map((entry) => [entry.name, entry.info]));
    assert.equal(byName.get("big.bin")?.size, 5 * 2 ** 32 + 7);
    assert.ok(byName.get("före 1970 ✓")!.mtimeMs < 0);
    assert.equal(byName.get("broken")?.kind, "symlink");
    assert.equal(byName.get("sub")?.mode, 0o1750);
    assert.equal(byName.get("hard")?.nlink, 2);
    assert.equal(byName.get("hard")?.ino, fs.statSync(path.join(dir, "hard2")).ino);
  });
});

test("readDir reports files, folders and symlinks; stat follows links, lstat does not", async () => {
  await inTempDir(async (dir) => {
    fs.writeFileSync(path.join(dir, "file.txt"), "12345");
    fs.mkdirSync(path.join(dir, "folder"));
    fs.symlinkSync(path.join(dir, "file.txt"), path.join(dir, "link"));
    const entries = await runtime.files.readDir(dir);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(entries.map(({ name, kind }) => ({ name, kind })), [
      { name: "file.txt", kind: "file" },
      { name: "folder", kind: "directory" },
      { name: "link", kind: "symlink" },
    ]);
    // Each entry carries its lstat metadata: the link's own, not its target's.
    for (const entry of entries) {
      assert.deepEqual(entry.info, await runtime.files.lstat(path.join(dir, entry.name)));
    }
    assert.equal(entries[0].info.size, 5);

    const viaLink = await runtime.files.stat(path.join(dir, "link"));
    const real = fs.statSync(path.join(dir, "file.txt"));
    assert.equal(viaLink.kind, "file");
    assert.equal(viaLink.size, 5);
    assert.equal(viaLink.ino, real.ino);
    assert.equal(viaLink.dev, real.dev);
    assert.equal(viaLink.nlink, 1);
    assert.equal(viaLink.uid, real.uid);
    assert.equal(viaLink.gid, real.gid);
    assert.equal(viaLink.mode, real.mode & 0o7777);
    const link = await runtime.files.lstat(path.join(dir, "link"));
    assert.equal(link.kind, "symlink");
    assert.notEqual(link.ino, real.ino);
    assert.equal((await runtime.files.stat(path.join(dir, "folder"))).kind, "directory");

    assert.equal(await runtime.files.realpath(path.join(dir, "link")), path.join(dir, "file.txt"));
    assert.equal(
      await runtime.files.realpath(path.join(dir, "folder", "..", "link")),
      path.join(dir, "file.txt"),
    );
  });
});

test("mkdir, rename, rmdir and unlink change the tree", async () => {
  await inTempDir(async (dir) => {
    await runtime.files.mkdir(path.join(dir, "sub"));
    assert.ok(fs.statSync(path.join(dir, "sub")).isDirectory());
    fs.writeFileSync(path.join(dir, "from.txt"), "new");
    fs.writeFileSync(path.join(dir, "to.txt"), "old");
    await runtime.files.rename(path.join(dir, "from.txt"), path.join(dir, "to.txt"));
    assert.equal(fs.readFileSync(path.join(dir, "to.txt"), "utf8"), "new");
    assert.equal(fs.existsSync(path.join(dir, "from.txt")), false);
    await runtime.files.unlink(path.join(dir, "to.txt"));
    assert.equal(fs.existsSync(path.join(dir, "to.txt")), false);
    await runtime.files.rmdir(path.join(dir, "sub"));
    assert.equal(fs.existsSync(path.join(dir, "sub")), false);
  });
});

test("file errors carry the POSIX code", async () => {
  await inTempDir(async (dir) => {
    const file = path.join(dir, "file.txt");
    const folder = path.join(dir, "folder");
    const missing = path.join(dir, "missing");
    fs.writeFileSync(file, "x");
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "inside.txt"), "x");
    const { files } = runtime;

    await assert.rejects(files.stat(missing), { code: "ENOENT" });
    await assert.rejects(files.lstat(missing), { code: "ENOENT" });
    await assert.rejects(files.readDir(missing), { code: "ENOENT" });
    await assert.rejects(files.realpath(missing), { code: "ENOENT" });
    await assert.rejects(files.rename(missing, path.join(dir, "x")), { code: "ENOENT" });
    await assert.rejects(files.unlink(missing), { code: "ENOENT" });
    await assert.rejects(files.rmdir(missing), { code: "ENOENT" });
    await assert.rejects(files.chmod(missing, 0o600), { code: "ENOENT" });
    await assert.rejects(files.utime(missing, 0, 0), { code: "ENOENT" });
    await assert.rejects(files.mkdir(path.join(missing, "child")), { code: "ENOENT" });

    await assert.rejects(files.mkdir(folder), { code: "EEXIST" });
    await assert.rejects(files.mkdir(file), { code: "EEXIST" });

    await assert.rejects(files.rmdir(folder), { code: "ENOTEMPTY" });
    assert.ok(fs.existsSync(path.join(folder, "inside.txt")));
    await assert.rejects(files.rmdir(file), { code: "ENOTDIR" });
    assert.ok(fs.existsSync(file));
    await assert.rejects(files.stat(path.join(file, "child")), { code: "ENOTDIR" });
    await assert.rejects(files.readDir(file), { code: "ENOTDIR" });

    await assert.rejects(files.unlink(folder), (error: { code?: string }) => {
      assert.ok(error.code === "EISDIR" || error.code === "EPERM", `code ${error.code}`);
      return true;
    });
    assert.ok(fs.existsSync(folder));
  });
});

test("utime sets the modification time and chmod the permission bits", async () => {
  await inTempDir(async (dir) => {
    const file = path.join(dir, "file.txt");
    fs.writeFileSync(file, "x");
    const mtimeMs = Date.UTC(2020, 0, 2, 3, 4, 5);
    await runtime.files.utime(file, Date.UTC(2021, 0, 1), mtimeMs);
    assert.equal((await runtime.files.stat(file)).mtimeMs, mtimeMs);
    assert.equal(fs.statSync(file).mtimeMs, mtimeMs);
    assert.equal(fs.statSync(file).atimeMs, Date.UTC(2021, 0, 1));

    await runtime.files.chmod(file, 0o600);
    assert.equal((await runtime.files.stat(file)).mode, 0o600);
    await runtime.files.chmod(file, 0o754);
    assert.equal(fs.statSync(file).mode & 0o7777, 0o754);
    assert.equal((await runtime.files.lstat(file)).mode, 0o754);
  });
});

/** Command line that runs `script` on the runtime running this test. */
function runScript(script: string, args: string[]): { command: string; args: string[] } {
  const scriptArgs = [script, ...args];
  return {
    command: process.execPath,
    args: runtime.name === "deno" ? ["run", "-A", ...scriptArgs] : scriptArgs,
  };
}

test("host process: args, cwd, print, printError, isTerminal, onSignal, exit, isMainModule", async () => {
  await inTempDir(async (dir) => {
    const loadUrl = pathToFileURL(path.resolve("src/runtime/load.ts")).href;
    fs.writeFileSync(
      path.join(dir, "helper.mts"),
      `import { isMainModule } from ${JSON.stringify(loadUrl)};
export const helperIsMain = isMainModule(import.meta);
`,
    );
    fs.writeFileSync(
      path.join(dir, "main.mts"),
      `import { fileURLToPath } from "node:url";
import { isMainModule, loadRuntime } from ${JSON.stringify(loadUrl)};
import { helperIsMain } from "./helper.mts";
const runtime = await loadRuntime();
const { host } = runtime;
host.print(JSON.stringify({
  name: runtime.name,
  args: host.args(),
  cwd: host.cwd(),
  terminal: host.isTerminal(),
  main: isMainModule(import.meta),
  helperIsMain,
  // Without import.meta.main, as on Node 22.18 to 24.1.
  fallbackMain: isMainModule({ url: import.meta.url, filename: fileURLToPath(import.meta.url) } as unknown as ImportMeta),
}));
host.printError("to stderr");
host.onSignal("SIGTERM", () => {
  host.print("got SIGTERM");
  host.exit(7);
});
host.print("ready");
setInterval(() => {}, 1000);
`,
    );
    const { command, args } = runScript(path.join(dir, "main.mts"), ["one", "two words"]);
    const child = spawn(command, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const ready = Promise.withResolvers<void>();
    child.stdout.on("data", (chunk: Uint8Array) => {
      stdout += decoder.decode(chunk);
      if (stdout.includes("ready\n")) ready.resolve();
    });
    child.stderr.on("data", (chunk: Uint8Array) => {
      stderr += decoder.decode(chunk);
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("close", (code) => resolve(code))
    );
    try {
      await within(Promise.race([ready.promise, exited]), 30_000);
      // process.kill, not child.kill: after child.kill, Deno's child_process
      // reports the signal instead of the exit code the handler chose.
      process.kill(child.pid!, "SIGTERM");
      assert.equal(await within(exited), 7, `stdout: ${stdout} stderr: ${stderr}`);
    } finally {
      child.kill("SIGKILL");
    }
    const lines = stdout.trimEnd().split("\n");
    assert.deepEqual(JSON.parse(lines[0]), {
      name: runtime.name,
      args: ["one", "two words"],
      cwd: dir,
      terminal: false,
      main: true,
      helperIsMain: false,
      fallbackMain: true,
    });
    assert.deepEqual(lines.slice(1), ["ready", "got SIGTERM"]);
    assert.match(stderr, /^to stderr\n/);
  });
});
