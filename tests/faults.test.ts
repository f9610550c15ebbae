import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type IncompleteTransferEvent, LocalFileSystem } from "../mod.ts";
import { loginBinary, startFixture, type Fixture } from "./_fixture.ts";
import { FaultyFileSystem } from "./_faulty_fs.ts";
import { type FtpClient, readAll, waitFor, within, withClients, writeAndEnd } from "./_ftp_client.ts";

interface FaultFixture extends Fixture {
  /** The real folder behind the faulty file system. */
  readonly disk: string;
  readonly fs: FaultyFileSystem;
  /** What the incomplete-transfer hooks were told. */
  readonly incomplete: IncompleteTransferEvent[];
}

async function startFaulty(): Promise<FaultFixture> {
  const disk = mkdtempSync(join(tmpdir(), "tsftpd-faults-"));
  const fs = new FaultyFileSystem(new LocalFileSystem(disk));
  const incomplete: IncompleteTransferEvent[] = [];
  const record = (event: IncompleteTransferEvent) => void incomplete.push(event);
  const fx = await startFixture({ fs, hooks: { onIncompleteFileReceived: record, onIncompleteFileSent: record } });
  return {
    ...fx,
    disk,
    fs,
    incomplete,
    async close() {
      await fx.close();
      rmSync(disk, { recursive: true, force: true });
    },
  };
}

/** Starts an upload of `bytes` and returns the reply that ends it. */
async function upload(client: FtpClient, command: string, bytes: string): Promise<number> {
  const data = await client.epsv();
  data.on("error", () => {});
  const reply = await client.send(command);
  if (reply.code !== 150) {
    data.destroy();
    return reply.code;
  }
  await writeAndEnd(data, bytes).catch(() => {});
  data.destroy();
  return (await client.read()).code;
}

/** Starts a download and returns the reply that ends it. */
async function download(client: FtpClient, command: string): Promise<number> {
  const data = await client.epsv();
  data.on("error", () => {});
  const received = readAll(data).catch(() => null);
  const reply = await client.send(command);
  if (reply.code !== 150) {
    data.destroy();
    return reply.code;
  }
  const code = (await client.read()).code;
  await received;
  data.destroy();
  return code;
}

test("faults: disk full mid-upload is 452, the old file is kept, the session goes on", async () => {
  await withClients(await startFaulty(), async (fx, open) => {
    writeFileSync(join(fx.disk, "a.bin"), "old");
    const client = await loginBinary(open);
    fx.fs.plan = { midWrite: { code: "ENOSPC", afterBytes: 10 } };
    assert.equal(await upload(client, "STOR a.bin", "0123456789abcdef"), 452);
    assert.equal(await upload(client, "STOR b.bin", "0123456789abcdef"), 452);
    await client.expect("NOOP", 200);
    assert.equal(readFileSync(join(fx.disk, "a.bin"), "utf8"), "old");
    assert.deepEqual(readdirSync(fx.disk), ["a.bin"]);
    // The hooks are told, with the reply the client got.
    await waitFor(() => fx.incomplete.length === 2, 10_000, "two incomplete-upload hooks");
    assert.deepEqual(fx.incomplete.map((event) => [event.path, event.code]), [["/a.bin", 452], ["/b.bin", 452]]);
    fx.fs.plan = {};
    assert.equal(await upload(client, "STOR a.bin", "new"), 226);
    assert.equal(readFileSync(join(fx.disk, "a.bin"), "utf8"), "new");
  });
});

test("faults: permission denied and read-only file system are 550 before any data moves", async () => {
  await withClients(await startFaulty(), async (fx, open) => {
    writeFileSync(join(fx.disk, "a.txt"), "content");
    const client = await loginBinary(open);
    for (const code of ["EACCES", "EROFS", "EPERM"]) {
      fx.fs.plan = { openWrite: code, openRead: code, change: code };
      await client.expectRefused("STOR a.txt", 550);
      await client.expectRefused("APPE a.txt", 550);
      await client.expectRefused("RETR a.txt", 550);
      await client.expect("DELE a.txt", 550);
      await client.expect("MKD d", 550);
      await client.expect("RNFR a.txt", 350);
      await client.expect("RNTO b.txt", 550);
      await client.expect("NOOP", 200);
    }
    assert.deepEqual(readdirSync(fx.disk), ["a.txt"]);
    assert.equal(readFileSync(join(fx.disk, "a.txt"), "utf8"), "content");
  });
});

test("faults: a file vanishing mid-download is a 4xx/5xx, never 226; the session goes on", async () => {
  await withClients(await startFaulty(), async (fx, open) => {
    writeFileSync(join(fx.disk, "big.bin"), Buffer.alloc(1024 * 1024, 1));
    const client = await loginBinary(open);
    for (const code of ["ENOENT", "EIO", "ESTALE"]) {
      fx.fs.plan = { midRead: { code, afterBytes: 1 } };
      const reply = await download(client, "RETR big.bin");
      assert.ok(reply >= 400 && reply < 600, `${code}: ${reply}`);
      await client.expect("NOOP", 200);
    }
    await waitFor(() => fx.incomplete.length === 3, 10_000, "three incomplete-download hooks");
    assert.ok(fx.incomplete.every((event) => event.path === "/big.bin" && event.code >= 400));
    fx.fs.plan = {};
    assert.equal(await download(client, "RETR big.bin"), 226);
  });
});

test("faults: an upload whose commit fails is not 226 and leaves no file", async () => {
  await withClients(await startFaulty(), async (fx, open) => {
    const client = await loginBinary(open);
    fx.fs.plan = { commit: "EIO" };
    const reply = await upload(client, "STOR c.bin", "data");
    assert.ok(reply >= 400 && reply < 600, String(reply));
    fx.fs.plan = { commit: "ENOSPC" };
    assert.equal(await upload(client, "STOR c.bin", "data"), 452);
    assert.deepEqual(readdirSync(fx.disk), []);
    await client.expect("NOOP", 200);
  });
});

function openHandles(): number {
  return readdirSync("/proc/self/fd").length;
}

test("faults: 1000 failing transfers leak no file handle or socket", { skip: !existsSync("/proc/self/fd") }, async () => {
  await withClients(await startFaulty(), async (fx, open) => {
    writeFileSync(join(fx.disk, "f.bin"), Buffer.alloc(64 * 1024, 2));
    const client = await loginBinary(open);
    // Warm up so that lazily opened runtime handles are counted in the baseline.
    assert.equal(await download(client, "RETR f.bin"), 226);
    assert.equal(await upload(client, "STOR w.bin", "x"), 226);
    const before = openHandles();
    for (let i = 0; i < 250; i++) {
      fx.fs.plan = { midWrite: { code: "ENOSPC", afterBytes: 0 } };
      assert.equal(await upload(client, "STOR w.bin", "payload"), 452);
      fx.fs.plan = { midRead: { code: "EIO", afterBytes: 1 } };
      assert.notEqual(await download(client, "RETR f.bin"), 226);
      fx.fs.plan = {};
      assert.equal(await download(client, "RETR missing.bin"), 550);
      // A client that drops the data connection mid-download.
      const data = await client.epsv();
      data.on("error", () => {});
      await client.expect("RETR f.bin", 150);
      data.destroy();
      const code = (await within(client.read(), 10_000, "end of a dropped RETR")).code;
      assert.ok(code === 426 || code === 226, String(code));
    }
    await client.expect("NOOP", 200);
    await waitFor(() => openHandles() <= before, 15_000, `open handles back to ${before} (now ${openHandles()})`);
    assert.equal(readFileSync(join(fx.disk, "w.bin"), "utf8"), "x");
    assert.deepEqual(readdirSync(fx.disk).sort(), ["f.bin", "w.bin"]);
  });
});
