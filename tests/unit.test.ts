import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createFromNetworkAscii, createToNetworkAscii } from "../src/ascii.ts";
import type { FileStat } from "../src/fs/file_system.ts";
import { type LineEvent, LineReader, MAX_LINE_BYTES, parseCommand } from "../src/line_reader.ts";
import { formatListLine, formatMlsxLine, formatTimeVal, MLSX_FACTS, permFact } from "../src/listing.ts";
import { encodeReply, formatReply, quotePath } from "../src/reply.ts";
import { VERSION } from "../src/version.ts";
import { adaptiveCall, SLOW_CALL_MS, SLOW_CALLS_IN_A_ROW } from "../src/runtime/_sync_call.ts";
import {
  FIRST_RECEIVE_BUFFER,
  MAX_BULK_RECEIVE_BUFFER,
  MAX_RECEIVE_BUFFER,
  nextReceiveBuffer,
} from "../src/runtime/_receive_buffer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function lines(...texts: string[]): LineEvent[] {
  return texts.map((text) => ({ kind: "line", text }));
}

/** Runs `chunks` through a converter and joins the output as text. */
function convert(run: (chunk: Uint8Array) => Uint8Array, chunks: string[]): string[] {
  return chunks.map((chunk) => decoder.decode(run(bytes(chunk))));
}

// --- LineReader and parseCommand ---

test("LineReader: splits lines at CRLF and keeps a partial line for later", () => {
  const reader = new LineReader();
  assert.deepEqual(reader.push(bytes("NOOP\r\nPW")), lines("NOOP"));
  assert.deepEqual(reader.push(bytes("D\r\nSYST\r\n")), lines("PWD", "SYST"));
  assert.deepEqual(reader.push(bytes("")), []);
});

test("LineReader: tolerates bare LF and a CR and LF in different chunks", () => {
  const reader = new LineReader();
  assert.deepEqual(reader.push(bytes("USER a\nPASS b\r")), lines("USER a"));
  assert.deepEqual(reader.push(bytes("\n")), lines("PASS b"));
  assert.deepEqual(reader.push(bytes("\r\n")), lines(""));
});

test("LineReader: a CR inside a line is kept, only the one before LF is dropped", () => {
  const reader = new LineReader();
  assert.deepEqual(reader.push(bytes("DELE a\rb\r\n")), lines("DELE a\rb"));
  assert.deepEqual(reader.push(bytes("X\r\r\n")), lines("X\r"));
});

test("LineReader: does not keep a reference to the pushed chunk", () => {
  const reader = new LineReader();
  const chunk = bytes("RETR abc");
  reader.push(chunk);
  chunk.fill(0x7a);
  assert.deepEqual(reader.push(bytes("\r\n")), lines("RETR abc"));
});

test("LineReader: a line of MAX_LINE_BYTES is accepted, one byte more is too long", () => {
  assert.equal(MAX_LINE_BYTES, 2048);
  const reader = new LineReader();
  const longest = "x".repeat(MAX_LINE_BYTES);
  assert.deepEqual(reader.push(bytes(`${longest}\r\n`)), lines(longest));
  assert.deepEqual(reader.push(bytes(`${longest}y\r\nNOOP\r\n`)), [{ kind: "too-long" }, ...lines("NOOP")]);
});

test("LineReader: an overlong line over many chunks is reported once, then reading resumes", () => {
  const reader = new LineReader();
  const events: LineEvent[] = [];
  for (let i = 0; i < 10; i++) events.push(...reader.push(bytes("z".repeat(1000))));
  events.push(...reader.push(bytes("z\r\nPWD\r\n")));
  assert.deepEqual(events, [{ kind: "too-long" }, ...lines("PWD")]);
});

test("LineReader: invalid UTF-8 is reported and the next line is fine", () => {
  const reader = new LineReader();
  const bad = Uint8Array.from([0x55, 0x53, 0xff, 0x0d, 0x0a]);
  assert.deepEqual(reader.push(bad), [{ kind: "bad-encoding" }]);
  // A multi-byte character split across chunks is not an error.
  const e = bytes("é");
  assert.deepEqual(reader.push(Uint8Array.of(0x41, e[0])), []);
  assert.deepEqual(reader.push(Uint8Array.of(e[1], 0x0a)), lines("Aé"));
});

test("parseCommand: upper-cases the verb and keeps the argument as sent", () => {
  assert.deepEqual(parseCommand("stor my file.txt"), { verb: "STOR", argument: "my file.txt" });
  assert.deepEqual(parseCommand("noop"), { verb: "NOOP", argument: "" });
  assert.deepEqual(parseCommand("RETR  two  spaces "), { verb: "RETR", argument: " two  spaces " });
  assert.deepEqual(parseCommand("cwd "), { verb: "CWD", argument: "" });
  assert.deepEqual(parseCommand(""), { verb: "", argument: "" });
});

// --- Replies ---

test("formatReply: one line, and RFC 959 multi-line replies", () => {
  assert.equal(formatReply(200, "OK."), "200 OK.\r\n");
  assert.equal(formatReply(211, ["Features:", "SIZE", "MDTM", "End"]), "211-Features:\r\n SIZE\r\n MDTM\r\n211 End\r\n");
  assert.equal(formatReply(214, "first\nlast"), "214-first\r\n214 last\r\n");
  assert.equal(decoder.decode(encodeReply(257, '"/é" created.')), '257 "/é" created.\r\n');
});

test("formatReply: CR and LF inside a line cannot forge another reply", () => {
  assert.equal(formatReply(550, ["a\rb", "c\r\n230 d"]), "550-a b\r\n550 c  230 d\r\n");
  assert.equal(formatReply(550, "x\r230 y"), "550 x 230 y\r\n");
});

test("quotePath: wraps in quotes and doubles embedded quotes", () => {
  assert.equal(quotePath("/docs"), '"/docs"');
  assert.equal(quotePath('/say "hi"'), '"/say ""hi"""');
  assert.equal(quotePath('"'), '""""');
});

// --- ASCII conversion ---

test("ASCII to network: LF becomes CRLF, existing CRLF is left alone", () => {
  const run = createToNetworkAscii();
  assert.deepEqual(convert(run, ["a\nb\r\n", "\n", "c"]), ["a\r\nb\r\n", "\r\n", "c"]);
});

test("ASCII to network: a CR ending one chunk pairs with the LF starting the next", () => {
  const run = createToNetworkAscii();
  assert.deepEqual(convert(run, ["a\r", "\nb\n"]), ["a\r", "\nb\r\n"]);
  // An empty chunk does not make the converter forget the CR.
  const again = createToNetworkAscii();
  assert.deepEqual(convert(again, ["x\r", "", "\ny"]), ["x\r", "", "\ny"]);
  // Without a CR before it, a leading LF still gets one.
  const fresh = createToNetworkAscii();
  assert.deepEqual(convert(fresh, ["x", "\ny"]), ["x", "\r\ny"]);
});

test("ASCII from network: CRLF becomes LF, a lone CR is kept", () => {
  const decoderAscii = createFromNetworkAscii();
  assert.deepEqual(convert((chunk) => decoderAscii.push(chunk), ["a\r\nb\rc\n"]), ["a\nb\rc\n"]);
  assert.equal(decoderAscii.flush().length, 0);
});

test("ASCII from network: a CR at a chunk end waits for the next chunk", () => {
  const split = createFromNetworkAscii();
  assert.deepEqual(convert((chunk) => split.push(chunk), ["a\r", "\nb"]), ["a", "\nb"]);
  const lone = createFromNetworkAscii();
  assert.deepEqual(convert((chunk) => lone.push(chunk), ["a\r", "b"]), ["a", "\rb"]);
  const twice = createFromNetworkAscii();
  assert.deepEqual(convert((chunk) => twice.push(chunk), ["\r", "\r\n"]), ["", "\r\n"]);
  const atEnd = createFromNetworkAscii();
  assert.equal(decoder.decode(atEnd.push(bytes("end\r"))), "end");
  assert.deepEqual([...atEnd.flush()], [0x0d]);
  assert.equal(atEnd.flush().length, 0);
});

// --- Listings ---

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const FILE: FileStat = { kind: "file", size: 5, mtimeMs: Date.UTC(2026, 10, 1, 9, 30), mode: 0o644 };

test("formatListLine: ls -l format with time for recent files and year for old ones", () => {
  assert.equal(formatListLine("a.txt", FILE, NOW), "-rw-r--r--   1 ftp      ftp             5 Nov 01 09:30 a.txt");
  const old: FileStat = { ...FILE, mtimeMs: Date.UTC(2019, 0, 2, 3, 4) };
  assert.equal(formatListLine("old.txt", old, NOW), "-rw-r--r--   1 ftp      ftp             5 Jan 02  2019 old.txt");
  const future: FileStat = { ...FILE, mtimeMs: Date.UTC(2028, 0, 2, 3, 4) };
  assert.ok(formatListLine("f", future, NOW).endsWith(" Jan 02  2028 f"));
});

test("formatListLine: folders, owners, link counts and symlinks", () => {
  const dir: FileStat = { kind: "directory", size: 4096, mtimeMs: FILE.mtimeMs, mode: 0o755, nlink: 3, uid: 1000, gid: 100 };
  assert.equal(formatListLine("docs", dir, NOW), "drwxr-xr-x   3 1000     100          4096 Nov 01 09:30 docs");
  const link: FileStat = { kind: "symlink", size: 7, mtimeMs: FILE.mtimeMs, mode: 0o777, linkTarget: "a.txt" };
  assert.equal(formatListLine("ln", link, NOW), "lrwxrwxrwx   1 ftp      ftp             7 Nov 01 09:30 ln -> a.txt");
  assert.match(formatListLine("x", { ...FILE, mode: 0o4751 }, NOW), /^-rwxr-x--x /);
});

test("formatListLine: each line has its own mode, links, owner and group, whatever the line before", () => {
  const base: FileStat = { ...FILE, nlink: 1, uid: 10, gid: 20 };
  const variants: FileStat[] = [
    { ...base, mode: 0o600 },
    { ...base, nlink: 2 },
    { ...base, uid: 11 },
    { ...base, gid: 21 },
    { ...base, kind: "directory" },
    { ...base, uid: undefined },
  ];
  // Each line differs from the one before in one column only.
  const lines = variants.flatMap((variant) => [base, variant]).map((stat) => formatListLine("f", stat, NOW).slice(0, 32));
  const own = "-rw-r--r--   1 10       20      ";
  assert.deepEqual(lines, [
    own,
    "-rw-------   1 10       20      ",
    own,
    "-rw-r--r--   2 10       20      ",
    own,
    "-rw-r--r--   1 11       20      ",
    own,
    "-rw-r--r--   1 10       21      ",
    own,
    "drw-r--r--   1 10       20      ",
    own,
    "-rw-r--r--   1 ftp      20      ",
  ]);
});

test("formatTimeVal: YYYYMMDDHHMMSS in UTC", () => {
  assert.equal(formatTimeVal(Date.UTC(2026, 10, 24, 10, 0, 0)), "20261124100000");
  assert.equal(formatTimeVal(Date.UTC(2001, 1, 3, 4, 5, 6, 789)), "20010203040506");
  assert.equal(formatTimeVal(0), "19700101000000");
});

test("permFact: what the user may do with files and folders", () => {
  assert.equal(permFact("file", "elr"), "r");
  assert.equal(permFact("file", "elradfmw"), "afdrw");
  assert.equal(permFact("directory", "elr"), "el");
  assert.equal(permFact("directory", "elradfmw"), "fcdelmp");
  assert.equal(permFact("file", ""), "");
});

test("formatMlsxLine: chosen facts in FEAT order, then a space and the name", () => {
  const options = { facts: ["type", "size"] as const, permissions: "elr" };
  assert.equal(formatMlsxLine("a.txt", FILE, options), "type=file;size=5; a.txt");
  // The order asked for does not matter; the same facts in another list too.
  assert.equal(formatMlsxLine("a.txt", FILE, { facts: ["size", "type"], permissions: "elr" }), "type=file;size=5; a.txt");
  assert.equal(formatMlsxLine("a.txt", FILE, { facts: ["size"], permissions: "elr" }), "size=5; a.txt");
  const dir: FileStat = { kind: "directory", size: 0, mtimeMs: Date.UTC(2026, 0, 2, 3, 4, 5), mode: 0o755, unique: "1g2" };
  assert.equal(
    formatMlsxLine("/docs", dir, { facts: MLSX_FACTS, permissions: "elradfmw" }),
    "type=dir;size=0;modify=20260102030405;perm=fcdelmp;unique=1g2;unix.mode=0755; /docs",
  );
  // A fact without a value (no `unique`) is left out, and names keep spaces.
  assert.equal(formatMlsxLine("my file", FILE, { facts: ["unique", "perm"], permissions: "elr" }), "perm=r; my file");
  assert.equal(formatMlsxLine("x", FILE, { facts: [], permissions: "elr" }), " x");
  const perm = (stat: FileStat, permissions: string) => formatMlsxLine("x", stat, { facts: ["perm"], permissions });
  assert.deepEqual(
    [perm(FILE, "elr"), perm(FILE, "elradfmw"), perm(dir, "elradfmw"), perm(FILE, "elr"), perm(dir, "elr")],
    ["perm=r; x", "perm=afdrw; x", "perm=fcdelmp; x", "perm=r; x", "perm=el; x"],
  );
});

// --- Version ---

test("VERSION equals the version in deno.json and package.json", () => {
  const read = (name: string) => JSON.parse(readFileSync(fileURLToPath(import.meta.resolve(`../${name}`)), "utf8"));
  assert.match(VERSION, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  assert.equal(read("deno.json").version, VERSION);
  assert.equal(read("package.json").version, VERSION);
});

test("adaptiveCall: synchronous until SLOW_CALLS_IN_A_ROW calls in a row were slow, pooled from then on", async () => {
  const calls: string[] = [];
  const slow = SLOW_CALL_MS + 0.5;
  // Durations of the synchronous calls: a fast one breaks a run of slow ones.
  const durations = [...Array(SLOW_CALLS_IN_A_ROW - 1).fill(slow), SLOW_CALL_MS, ...Array(SLOW_CALLS_IN_A_ROW).fill(slow)];
  const clock = durations.flatMap((duration, index) => [index * 100, index * 100 + duration]);
  const call = adaptiveCall<[number], number>({
    sync: (value) => {
      calls.push(`sync ${value}`);
      return value * 2;
    },
    pooled: (value) => {
      calls.push(`pooled ${value}`);
      return value < 0 ? Promise.reject(new Error("negative")) : Promise.resolve(value * 3);
    },
    mapError: (error) => Object.assign(error as Error, { code: "EMAPPED" }),
    now: () => clock.shift() ?? 0,
  });
  for (let value = 0; value < durations.length; value++) assert.equal(await call(value), value * 2);
  assert.equal(await call(100), 300);
  await assert.rejects(call(-1), { code: "EMAPPED" });
  assert.deepEqual(calls, [...durations.map((_, value) => `sync ${value}`), "pooled 100", "pooled -1"]);
  const failing = adaptiveCall<[], number>({
    sync: () => {
      throw new Error("at once");
    },
    pooled: () => Promise.resolve(0),
    mapError: (error) => Object.assign(error as Error, { code: "EMAPPED" }),
  });
  await assert.rejects(failing(), { code: "EMAPPED", message: "at once" });
});

test("nextReceiveBuffer: four times bigger after a read that filled the buffer, up to the limit", () => {
  const sizes: number[] = [];
  let buffer: Uint8Array = new Uint8Array(FIRST_RECEIVE_BUFFER);
  for (let read = 0; read < 8; read++) {
    sizes.push(buffer.length);
    buffer = nextReceiveBuffer(buffer, buffer.length, MAX_BULK_RECEIVE_BUFFER);
  }
  const grown = [1, 4, 16, 64, 256, 1024, 1024, 1024].map((kib) => kib * 1024);
  assert.deepEqual(sizes, grown);
  // A read that leaves room keeps the buffer, whatever its size.
  assert.equal(nextReceiveBuffer(buffer, buffer.length - 1, MAX_BULK_RECEIVE_BUFFER), buffer);
  const small = new Uint8Array(FIRST_RECEIVE_BUFFER);
  assert.equal(nextReceiveBuffer(small, 0, MAX_RECEIVE_BUFFER), small);
  const control = nextReceiveBuffer(new Uint8Array(MAX_RECEIVE_BUFFER / 2), MAX_RECEIVE_BUFFER / 2, MAX_RECEIVE_BUFFER);
  assert.equal(control.length, MAX_RECEIVE_BUFFER);
});
