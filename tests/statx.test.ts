// Listings through statx: the buffer decoding and the fallback to paths,
// driven by a stand-in for libc's statx, so they run on every runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FileInfo } from "../src/port.ts";
import { entriesWithInfo } from "../src/runtime/_dir_entries.ts";
import { FolderStatx, folderStatx, type StatxCall } from "../src/runtime/_statx.ts";

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
