import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryFileSystem } from "../src/fs/memory.ts";
import { fileSystemContract, get, put, rejectsWith } from "./_fs_contract.ts";

fileSystemContract(
  "MemoryFileSystem",
  () =>
    Promise.resolve({
      fs: new MemoryFileSystem(),
      cleanup: () => Promise.resolve(),
    }),
);

const PAST = Date.UTC(2001, 1, 3, 4, 5, 6);

test("MemoryFileSystem: seeds files and their parent folders", async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const fs = new MemoryFileSystem({
    files: { "/docs/a.txt": "héllo", "docs/deep/b.bin": bytes, "/top.txt": "" },
  });
  bytes[0] = 9;
  assert.deepEqual((await fs.list("/")).map((entry) => entry.name).sort(), [
    "docs",
    "top.txt",
  ]);
  assert.deepEqual((await fs.list("/docs")).map((entry) => entry.name).sort(), [
    "a.txt",
    "deep",
  ]);
  assert.equal((await fs.stat("/docs/a.txt")).size, 6);
  assert.equal(await get(fs, "/docs/a.txt"), "héllo");
  assert.equal(await get(fs, "/docs/deep/b.bin"), "\x01\x02\x03");
  assert.equal((await fs.stat("/top.txt")).size, 0);
});

test("MemoryFileSystem: seeding refuses impossible trees", () => {
  assert.throws(
    () => new MemoryFileSystem({ files: { "/a": "x", "/a/b": "y" } }),
    {
      code: "ENOTDIR",
    },
  );
  assert.throws(
    () => new MemoryFileSystem({ files: { "/a/b": "x", "/a": "y" } }),
    {
      code: "EISDIR",
    },
  );
  assert.throws(() => new MemoryFileSystem({ files: { "/": "x" } }), {
    code: "EISDIR",
  });
});

test("MemoryFileSystem: new entries default to 0o644 and 0o755", async () => {
  const fs = new MemoryFileSystem({ files: { "/seeded.txt": "s" } });
  await put(fs, "/a.txt", "a");
  await fs.mkdir("/d");
  await fs.mkdir("/d/e");
  await fs.mkdir("/d/f");
  await put(fs, "/d/g.txt", "g");
  assert.equal((await fs.stat("/a.txt")).mode, 0o644);
  assert.equal((await fs.stat("/seeded.txt")).mode, 0o644);
  assert.equal((await fs.stat("/d")).mode, 0o755);
  assert.equal((await fs.stat("/")).mode, 0o755);
  assert.equal((await fs.stat("/d")).nlink, 4);
  assert.equal((await fs.stat("/a.txt")).nlink, 1);
});

test("MemoryFileSystem: written data appears only when the sink closes", async () => {
  const fs = new MemoryFileSystem({ files: { "/a.txt": "old" } });
  const sink = await fs.write("/a.txt", { kind: "truncate" });
  await sink.write(new TextEncoder().encode("new content"));
  assert.equal((await fs.stat("/a.txt")).size, 3);
  assert.equal(await get(fs, "/a.txt"), "old");
  await sink.close();
  assert.equal(await get(fs, "/a.txt"), "new content");

  const fresh = await fs.write("/b.txt", { kind: "append" });
  await fresh.write(new TextEncoder().encode("bb"));
  assert.equal(
    (await fs.stat("/b.txt")).size,
    0,
    "the file exists, empty, while open",
  );
  await fresh.close();
  assert.equal(await get(fs, "/b.txt"), "bb");
});

test("MemoryFileSystem: a reader keeps the content it opened", async () => {
  const fs = new MemoryFileSystem();
  await put(fs, "/a.txt", "0123456789");
  const beforeAppend = await fs.read("/a.txt", 0);
  await put(fs, "/a.txt", "ABC", { kind: "append" });
  const beforeOverwrite = await fs.read("/a.txt", 2);
  await put(fs, "/a.txt", "XY", { kind: "offset", offset: 3 });
  const beforeTruncate = await fs.read("/a.txt", 0);
  await put(fs, "/a.txt", "z");
  const text = async (source: Awaited<ReturnType<typeof fs.read>>) => {
    const chunk = await source.read();
    assert.equal(await source.read(), null);
    return new TextDecoder().decode(chunk ?? new Uint8Array(0));
  };
  assert.equal(await text(beforeAppend), "0123456789");
  assert.equal(await text(beforeOverwrite), "23456789ABC");
  assert.equal(await text(beforeTruncate), "012XY56789ABC");
  assert.equal(await get(fs, "/a.txt"), "z");
});

test("MemoryFileSystem: read hands out views of at most 256 KiB", async () => {
  const size = 600 * 1024;
  const fs = new MemoryFileSystem({
    files: { "/a.bin": new Uint8Array(size).fill(7) },
  });
  const source = await fs.read("/a.bin", 0);
  const first = await source.read();
  const second = await source.read();
  const third = await source.read();
  assert.equal(await source.read(), null);
  assert.ok(first && second && third);
  assert.deepEqual([first.length, second.length, third.length], [
    256 * 1024,
    256 * 1024,
    size - 512 * 1024,
  ]);
  assert.equal(second.buffer, first.buffer, "no copy: one underlying buffer");
  assert.equal(second.byteOffset, first.byteOffset + first.length);
  assert.equal(third.byteOffset, second.byteOffset + second.length);
  const other = await fs.read("/a.bin", 0);
  assert.equal((await other.read())?.buffer, first.buffer, "shared by readers");
});

test("MemoryFileSystem: a closed source reads nothing more", async () => {
  const fs = new MemoryFileSystem({ files: { "/a.txt": "abc" } });
  const source = await fs.read("/a.txt", 0);
  await source.close();
  assert.equal(await source.read(), null);
});

test("MemoryFileSystem: a file grown by many small writes and appends keeps every byte", async () => {
  const fs = new MemoryFileSystem();
  const sink = await fs.write("/big.bin", { kind: "truncate" });
  for (let i = 0; i < 4096; i++) await sink.write(new Uint8Array(1024).fill(i & 0xff));
  await sink.close();
  for (let i = 0; i < 256; i++) {
    await put(fs, "/big.bin", new Uint8Array(1024).fill((4096 + i) & 0xff), { kind: "append" });
  }
  assert.equal((await fs.stat("/big.bin")).size, (4096 + 256) * 1024);
  const source = await fs.read("/big.bin", 0);
  let offset = 0;
  for (let chunk = await source.read(); chunk; chunk = await source.read()) {
    for (let i = 0; i < chunk.length; i += 1024) {
      assert.equal(chunk[i], Math.floor((offset + i) / 1024) & 0xff, `byte ${offset + i}`);
    }
    offset += chunk.length;
  }
  await source.close();
  assert.equal(offset, (4096 + 256) * 1024);
});

test("MemoryFileSystem: a closed sink refuses writes with EBADF", async () => {
  const fs = new MemoryFileSystem();
  const sink = await fs.write("/a.txt", { kind: "truncate" });
  await sink.close();
  await rejectsWith(sink.write(new Uint8Array(1)), "EBADF");
});

test("MemoryFileSystem: a sink acts on its file, wherever it went", async () => {
  const fs = new MemoryFileSystem();
  const removed = await fs.write("/gone.txt", { kind: "truncate" });
  const renamed = await fs.write("/old.txt", { kind: "truncate" });
  await fs.remove("/gone.txt");
  await fs.rename("/old.txt", "/new.txt");
  await removed.write(new TextEncoder().encode("lost"));
  await renamed.write(new TextEncoder().encode("kept"));
  await removed.close();
  await renamed.close();
  assert.deepEqual((await fs.list("/")).map((entry) => entry.name), [
    "new.txt",
  ]);
  assert.equal(await get(fs, "/new.txt"), "kept");
});

test("MemoryFileSystem: concurrent appends all land at the end", async () => {
  const fs = new MemoryFileSystem({ files: { "/log": "0" } });
  const first = await fs.write("/log", { kind: "append" });
  const second = await fs.write("/log", { kind: "append" });
  await first.write(new TextEncoder().encode("a"));
  await second.write(new TextEncoder().encode("b"));
  await second.close();
  await first.close();
  assert.equal(await get(fs, "/log"), "0ba");
});

test("MemoryFileSystem: folders change mtime when entries come and go", async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdir("/d");
  for (
    const change of [
      () => put(fs, "/d/a.txt", "a"),
      () => fs.rename("/d/a.txt", "/d/b.txt"),
      () => fs.mkdir("/d/e"),
      () => fs.rmdir("/d/e"),
      () => fs.remove("/d/b.txt"),
    ]
  ) {
    await fs.setModifiedTime("/d", PAST);
    await change();
    assert.ok((await fs.stat("/d")).mtimeMs > PAST, String(change));
  }
});

test("MemoryFileSystem: offsets must be non-negative integers", async () => {
  const fs = new MemoryFileSystem({ files: { "/a.txt": "abc" } });
  await rejectsWith(fs.read("/a.txt", -1), "EINVAL");
  await rejectsWith(fs.read("/a.txt", 0.5), "EINVAL");
  await rejectsWith(
    fs.write("/a.txt", { kind: "offset", offset: -1 }),
    "EINVAL",
  );
  await rejectsWith(
    fs.write("/a.txt", { kind: "offset", offset: Number.NaN }),
    "EINVAL",
  );
  assert.equal(await get(fs, "/a.txt"), "abc");
});
