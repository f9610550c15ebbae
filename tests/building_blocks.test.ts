import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { globToRegExp } from "../src/glob.ts";
import { LineReader } from "../src/line_reader.ts";
import { createHasher, HASH_ALGORITHMS, toHex } from "../src/hash/mod.ts";
import { inNetwork, parseIp, parseNetwork, sameIp } from "../src/ip.ts";
import { masqueradeLookup } from "../src/masquerade.ts";
import { parseTimeVal } from "../src/commands/mfmt.ts";
import { startWatchdog } from "../src/timeouts.ts";

const NODE_NAMES = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512", MD5: "md5" } as const;

test("hashes: every algorithm matches node:crypto at every padding boundary and piece size", () => {
  // Lengths around the 55/56 and 111/112 byte padding edges of 64- and
  // 128-byte blocks, fed whole and in odd pieces.
  for (const length of [0, 1, 55, 56, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 1000, 70_001]) {
    const data = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);
    for (const algorithm of HASH_ALGORITHMS) {
      if (algorithm === "CRC32") continue;
      const expected = createHash(NODE_NAMES[algorithm]).update(data).digest("hex");
      for (const piece of [1, 7, 64, 1 << 20]) {
        const hasher = createHasher(algorithm);
        for (let i = 0; i < length; i += piece) hasher.update(data.subarray(i, i + piece));
        assert.equal(toHex(hasher.digest()), expected, `${algorithm}, ${length} bytes in pieces of ${piece}`);
      }
    }
  }
});

test("hashes: CRC-32 gives the standard check values", () => {
  const crc = (text: string, pieces = 1) => {
    const hasher = createHasher("CRC32");
    const bytes = new TextEncoder().encode(text);
    const size = Math.ceil(bytes.length / pieces);
    for (let i = 0; i < bytes.length; i += size) hasher.update(bytes.subarray(i, i + size));
    return toHex(hasher.digest());
  };
  assert.equal(crc("123456789"), "cbf43926");
  assert.equal(crc("123456789", 4), "cbf43926");
  assert.equal(crc(""), "00000000");
  assert.equal(crc("The quick brown fox jumps over the lazy dog"), "414fa339");
});

test("globToRegExp: *, ?, sets, negated sets, and literal specials", () => {
  const matches = (pattern: string, name: string) => globToRegExp(pattern).test(name);
  assert.ok(matches("*.txt", "a.txt"));
  assert.ok(!matches("*.txt", "a.txt.bak"));
  assert.ok(matches("?.txt", "é.txt"));
  assert.ok(!matches("?.txt", "ab.txt"));
  assert.ok(matches("[a-c]x", "bx"));
  assert.ok(!matches("[!a-c]x", "bx"));
  assert.ok(matches("[^a-c]x", "dx"));
  assert.ok(matches("a+b(1).txt", "a+b(1).txt"));
  assert.ok(matches("[x", "[x"));
  assert.ok(matches("*", "line\nbreak"));
  assert.ok(!matches("a.c", "abc"));
});

test("ip: parsing, same-host comparison across spellings, networks", () => {
  assert.deepEqual([...parseIp("::ffff:10.1.2.3")!], [10, 1, 2, 3]);
  assert.equal(parseIp("1.2.3"), null);
  assert.equal(parseIp("1:2:3:4:5:6:7:8:9"), null);
  assert.equal(parseIp("1::2::3"), null);
  assert.equal(parseIp("::1.2.3.4")!.length, 16);
  assert.ok(sameIp("::1", "0:0:0:0:0:0:0:1"));
  assert.ok(sameIp("::FFFF:127.0.0.1", "127.0.0.1"));
  assert.ok(sameIp("fe80::1%eth0", "fe80::1"));
  assert.ok(!sameIp("127.0.0.1", "127.0.0.2"));
  assert.ok(!sameIp("not an ip", "not an ip"));
  assert.ok(inNetwork("172.31.255.255", parseNetwork("172.16.0.0/12")));
  assert.ok(!inNetwork("172.32.0.0", parseNetwork("172.16.0.0/12")));
  assert.ok(inNetwork("2001:db8::7", parseNetwork("2001:db8::/32")));
  assert.ok(!inNetwork("10.0.0.1", parseNetwork("::/0")));
  assert.ok(inNetwork("10.0.0.1", parseNetwork("0.0.0.0/0")));
  assert.throws(() => parseNetwork("10.0.0.0/33"), TypeError);
  assert.throws(() => parseNetwork("example.org/8"), TypeError);
});

test("masqueradeLookup: the most specific network wins, private covers LAN and loopback", () => {
  const lookup = masqueradeLookup("203.0.113.7", { private: null, "10.9.0.0/16": "10.9.0.1" });
  assert.equal(lookup("192.168.1.5"), undefined);
  assert.equal(lookup("::1"), undefined);
  assert.equal(lookup("10.1.1.1"), undefined);
  assert.equal(lookup("10.9.3.3"), "10.9.0.1");
  assert.equal(lookup("198.51.100.1"), "203.0.113.7");
  assert.equal(masqueradeLookup(undefined)("198.51.100.1"), undefined);
  assert.throws(() => masqueradeLookup("203.0.113.7", { private: "::1" }), TypeError);
});

test("parseTimeVal: RFC 3659 times, fractions, and impossible dates", () => {
  assert.equal(parseTimeVal("20200102030405"), Date.UTC(2020, 0, 2, 3, 4, 5));
  assert.equal(parseTimeVal("20200102030405.5"), Date.UTC(2020, 0, 2, 3, 4, 5, 500));
  assert.equal(parseTimeVal("20240229000000"), Date.UTC(2024, 1, 29));
  for (const bad of ["20230229000000", "20201301000000", "20200101240000", "20200101006000", "2020010100000", "x"]) {
    assert.equal(parseTimeVal(bad), null, bad);
  }
});

test("LineReader: ABOR/STAT/QUIT ended by a CR at a chunk end are lines (their LF was urgent data)", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  const reader = new LineReader();
  assert.deepEqual(reader.push(encode("abor\r")), [{ kind: "line", text: "abor" }]);
  // A LF that still arrives afterwards is the same line's end, not an empty line.
  assert.deepEqual(reader.push(encode("\nNOOP\r\n")), [{ kind: "line", text: "NOOP" }]);
  assert.deepEqual(reader.push(encode("STAT\r")), [{ kind: "line", text: "STAT" }]);
  assert.deepEqual(reader.push(encode("QUIT\r\n")), [{ kind: "line", text: "QUIT" }]);
  // Any other line split after its CR waits for the LF.
  assert.deepEqual(reader.push(encode("RETR a\r")), []);
  assert.deepEqual(reader.push(encode("\n")), [{ kind: "line", text: "RETR a" }]);
  assert.deepEqual(reader.push(encode("NOOP\r")), []);
  assert.deepEqual(reader.push(encode("\n")), [{ kind: "line", text: "NOOP" }]);
});

test("watchdogs: expire in deadline order, never after stop(), and activity postpones them", async () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const started = Date.now();
  const fired: { timeoutMs: number; at: number }[] = [];
  const stopped = new Set<number>();
  // Distinct timeouts in a scrambled order, so the shared queue must sort.
  const timeoutOf = (i: number) => 20 + ((i * 17) % 40) * 5;
  const watches = Array.from({ length: 40 }, (_, i) => {
    const timeoutMs = timeoutOf(i);
    return startWatchdog({
      timeoutMs,
      lastActivity: () => started,
      onExpire: () => fired.push({ timeoutMs, at: Date.now() }),
    });
  });
  watches.forEach((watch, i) => {
    if (i % 3 === 0) {
      watch.stop();
      stopped.add(timeoutOf(i));
    }
  });
  let active = Date.now();
  // Measured when it expires: on a loaded machine a sleep below may outlast
  // the timeout, and then expiring in the middle of the loop is right.
  let busyIdleWhenExpired: number | undefined;
  const busy = startWatchdog({
    timeoutMs: 50,
    lastActivity: () => active,
    onExpire: () => (busyIdleWhenExpired = Date.now() - active),
  });
  for (let i = 0; i < 10; i++) {
    await sleep(15);
    active = Date.now();
  }
  await sleep(300);
  busy.stop();
  assert.equal(fired.length, 40 - stopped.size);
  assert.deepEqual(fired.map((entry) => entry.timeoutMs), [...fired.map((entry) => entry.timeoutMs)].sort((a, b) => a - b));
  for (const { timeoutMs, at } of fired) {
    assert.ok(!stopped.has(timeoutMs), `a stopped watch (${timeoutMs} ms) expired`);
    assert.ok(at - started >= timeoutMs, `${timeoutMs} ms watch expired after ${at - started} ms`);
  }
  assert.ok(busyIdleWhenExpired !== undefined, "the busy watch never expired");
  assert.ok(busyIdleWhenExpired >= 50, `expired ${busyIdleWhenExpired} ms after the last activity`);
});
