// Listings through statx: the buffer decoding and the fallback to paths,
// driven by a stand-in for libc's statx, so they run on every runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FileInfo } from "../src/port.ts";
import { entriesWithInfo } from "../src/runtime/_dir_entries.ts";
import { FolderStatx, folderStatx, STATX_PREFIX_WORDS, type StatxCall, type StatxManyCall } from "../src/runtime/_statx.ts";

/** A statx that fills the buffer as Linux does, for names it knows. */
function fakeStatx(known: Record<string, { words: Record<number, number> }>): StatxCall & { calls: string[] } {
  const calls: string[] = [];
  const call = (_dirfd: number, name: Uint8Array, _flags: number, _mask: number, buffer: Uint8Array) => {
    const text = new TextDecoder().decode(name.subarray(0, name.indexOf(0)));
    calls.push(text);
    const entry = known[text];
    if (!entry) return -1;
    const words = new Uint32Array(buffer.buffer, buffer.byteOffset, 64);
    words.fill(0);
    for (const [index, value] of Object.entries(entry.words)) words[Number(index)] = value;
    return 0;
  };
  return Object.assign(call, { calls });
}

test("statx: the buffer is read as Linux lays it out, 64-bit sizes, times before 1970 and device numbers included", () => {
  const statx = fakeStatx({
    "a.bin": {
      words: {
        4: 2, // nlink
        5: 1000, // uid
        6: 100, // gid
        7: 0o100640, // mode (the low 16 bits of the word)
        8: 7, // ino, low
        9: 1, // ino, high
        10: 5, // size, low
        11: 3, // size, high
        28: 0xfffeae80, // mtime seconds, low: -86400 as a 64-bit number
        29: 0xffffffff,
        30: 250_500_000, // mtime nanoseconds
        34: 259, // device major
        35: 3, // device minor
      },
    },
    "ünï": { words: { 7: 0o040755, 34: 0, 35: 0x12345 } },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsftpd-statx-"));
  try {
    const folder = new FolderStatx(statx).open(dir);
    assert.ok(folder, "a real folder opens");
    try {
      assert.deepEqual(folder.infoOf("a.bin"), {
        kind: "file",
        size: 3 * 2 ** 32 + 5,
        mtimeMs: -86_399_749.5,
        mode: 0o640,
        nlink: 2,
        uid: 1000,
        gid: 100,
        dev: 259 * 256 + 3,
        ino: 2 ** 32 + 7,
      });
      const other = folder.infoOf("ünï");
      assert.equal(other?.kind, "directory");
      assert.equal(other?.dev, 0x12300 * 4096 + 0x45, "glibc's makedev for a minor above 255");
      assert.equal(folder.infoOf("missing"), undefined);
      assert.deepEqual(statx.calls, ["a.bin", "ünï", "missing"], "names reach statx NUL-terminated in UTF-8");
    } finally {
      folder.close();
    }
    const whole = new FolderStatx(statx, { wholeMilliseconds: true }).open(dir)!;
    assert.equal(whole.infoOf("a.bin")?.mtimeMs, -86_399_749, "truncated toward zero, as Deno's lstat");
    whole.close();
    assert.equal(new FolderStatx(statx).open(path.join(dir, "no such folder")), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("statx: entries it cannot examine fall back to lstat by path, and without statx every entry does", async () => {
  const statx = fakeStatx({ b: { words: { 7: 0o100644, 10: 42 } } });
  const byPath: string[] = [];
  const lstat = (entry: string): FileInfo | undefined => {
    byPath.push(entry);
    return entry.endsWith("/gone")
      ? undefined
      : { kind: "file", size: 1, mtimeMs: 0, mode: 0o600, nlink: 1, uid: 0, gid: 0, dev: 0, ino: 0 };
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsftpd-statx-"));
  try {
    const entries = await entriesWithInfo(dir, ["c", "b", "gone", "a"], lstat, new FolderStatx(statx));
    assert.deepEqual(entries.map((entry) => [entry.name, entry.info.size]), [["a", 1], ["b", 42], ["c", 1]]);
    assert.deepEqual(byPath, [`${dir}/a`, `${dir}/c`, `${dir}/gone`]);
    byPath.length = 0;
    await entriesWithInfo(dir, ["b"], lstat);
    assert.deepEqual(byPath, [`${dir}/b`]);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
  assert.equal(folderStatx(() => undefined), undefined, "nothing bound");
  assert.equal(folderStatx(() => { throw new Error("no libc"); }), undefined, "a failed bind");
});

/** A statx-many that answers from `fakeStatx`'s table, as the C loop does. */
function fakeMany(statx: StatxCall): StatxManyCall & { batches: string[][] } {
  const batches: string[][] = [];
  const call: StatxManyCall = (dirfd, names, length, count, flags, mask, out) => {
    const batch = new TextDecoder().decode(names.subarray(0, length)).split("\0").slice(0, -1);
    batches.push(batch);
    if (batch.length !== count) return -1;
    const buffer = new Uint8Array(256);
    batch.forEach((name, i) => {
      const ok = statx(dirfd, new TextEncoder().encode(`${name}\0`), flags, mask, buffer) === 0;
      const words = new Uint32Array(buffer.buffer, 0, STATX_PREFIX_WORDS);
      out.set(ok ? words : [0], i * STATX_PREFIX_WORDS);
    });
    return 0;
  };
  return Object.assign(call, { batches });
}

test("statx: a batch of names goes to a many-call in one piece; names it can't examine, or a batch it refuses, fall back", async () => {
  const known = { b: { words: { 0: 0x7ff, 7: 0o100644, 10: 42 } }, c: { words: { 0: 0x7ff, 7: 0o040755 } } };
  const single = fakeStatx(known);
  const many = fakeMany(fakeStatx(known));
  const byPath: string[] = [];
  const lstat = (entry: string): FileInfo | undefined => {
    byPath.push(entry);
    return { kind: "file", size: 1, mtimeMs: 0, mode: 0o600, nlink: 1, uid: 0, gid: 0, dev: 0, ino: 0 };
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsftpd-statx-"));
  try {
    const names = ["c", "b", "ü", "a"];
    const entries = await entriesWithInfo(dir, [...names], lstat, new FolderStatx(single, { many }));
    assert.deepEqual(many.batches, [["a", "b", "c", "ü"]], "one call, sorted, UTF-8, NUL after each");
    assert.deepEqual(single.calls, [], "no call per name");
    assert.deepEqual(entries.map((entry) => [entry.name, entry.kind, entry.info.size]), [
      ["a", "file", 1],
      ["b", "file", 42],
      ["c", "directory", 0],
      ["ü", "file", 1],
    ]);
    assert.deepEqual(byPath, [`${dir}/a`, `${dir}/ü`], "by path only where the batch had nothing");

    const refusing: StatxManyCall = () => -1;
    const alone = fakeStatx(known);
    const again = await entriesWithInfo(dir, [...names], lstat, new FolderStatx(alone, { many: refusing }));
    assert.deepEqual(again, entries, "the same entries one call at a time");
    assert.deepEqual(alone.calls, ["a", "b", "c", "ü"]);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

// Bun compiles the loop in C; it must give what one statx call per name
// gives, and refuse names that don't match their count, since a NUL inside
// a name would shift every later name onto another's metadata.
test(
  "statx: Bun's compiled many-call matches a call per name and refuses malformed batches",
  { skip: "Bun" in globalThis ? false : "Bun's compiler" },
  async () => {
    const { statx, statxMany } = await import("../src/runtime/_bun_libc.ts");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsftpd-statx-"));
    try {
      const names = ["a", "dir", "gone", "link", "ünï"];
      fs.writeFileSync(path.join(dir, "a"), "12345");
      fs.mkdirSync(path.join(dir, "dir"));
      fs.symlinkSync("a", path.join(dir, "link"));
      fs.writeFileSync(path.join(dir, "ünï"), "");
      const one = new FolderStatx(statx!).open(dir)!;
      const batch = new FolderStatx(statx!, { many: statxMany }).open(dir)!;
      try {
        const expected = names.map((name) => one.infoOf(name));
        assert.equal(expected[2], undefined);
        assert.equal(expected[3]?.kind, "symlink");
        assert.deepEqual(batch.infosOf(names), expected);
      } finally {
        one.close();
        batch.close();
      }
      const fd = fs.openSync(dir, "r");
      try {
        const out = new Uint32Array(2 * STATX_PREFIX_WORDS);
        const call = (text: string, count: number, capacity = out.byteLength) => {
          const bytes = new TextEncoder().encode(text);
          return statxMany(fd, bytes, bytes.length, count, 0x100, 0x35f, out, capacity);
        };
        assert.equal(call("a\0dir\0", 2), 0);
        assert.equal(out[10], 5, "a's size");
        assert.equal(call("a\0d\0ir\0", 2), -1, "a NUL inside a name");
        assert.equal(call("a\0dir", 2), -1, "no NUL after the last");
        assert.equal(call("a\0dir\0", 2, STATX_PREFIX_WORDS * 4), -1, "out too small");
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  },
);
