/**
 * The bad-input suite: hundreds of hostile inputs over the wire, each
 * checked for its reply class, a fresh client's NOOP still answered,
 * nothing written outside the root, and (at the end) no handle leaked.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { LocalFileSystem } from "../mod.ts";
import { builtinCommands } from "../src/commands/mod.ts";
import { type Fixture, PASSWORD, startFixture, USER } from "./_fixture.ts";
import { connectTcp, FtpClient, type FtpReply, readAll, snapshot, waitFor, within } from "./_ftp_client.ts";

/** What a case expects: one string of allowed first digits per reply (e.g.
 * "45" for a 4xx or 5xx), or `until` to read replies up to a 200 (for input
 * whose number of lines is unknown), all others having to be 4xx/5xx. */
type Expect = readonly string[] | "until-200";

interface Case {
  readonly name: string;
  /** Log in (and TYPE I) before sending. */
  readonly login?: boolean;
  /** Bytes sent as they are. */
  readonly send?: string | Uint8Array;
  readonly expect?: Expect;
  /** Custom steps instead of `send`/`expect`. */
  readonly run?: (client: FtpClient) => Promise<void>;
}

const encoder = new TextEncoder();

function bytes(...parts: (string | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => (typeof part === "string" ? [...encoder.encode(part)] : part)));
}

/** A small deterministic generator, so a failing random case can be re-run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// ---------------------------------------------------------------- the cases

const framing: Case[] = [
  { name: "lone CR before a command", send: "\rNOOP\r\n", expect: ["5"] },
  { name: "lone LF (empty line) then NOOP", send: "\nNOOP\r\n", expect: ["5", "2"] },
  { name: "CR CR LF", send: "\r\r\n", expect: ["5"] },
  { name: "bare LF line end is tolerated", send: "NOOP\n", expect: ["2"] },
  { name: "a hundred empty lines", send: "\r\n".repeat(100) + "NOOP\r\n", expect: "until-200" },
  { name: "a thousand lone CRs", send: "\r".repeat(1000) + "\nNOOP\r\n", expect: ["5", "2"] },
  { name: "lone CRs inside a verb", send: "NO\rOP\r\n", expect: ["5"] },
  { name: "NUL alone", send: "\0\r\n", expect: ["5"] },
  { name: "NUL inside a verb", send: "NO\0OP\r\n", expect: ["5"] },
  { name: "NUL in USER", send: "USER a\0b\r\n", expect: ["5"] },
  { name: "NUL in a path", login: true, send: "CWD a\0b\r\n", expect: ["5"] },
  { name: "NUL in RETR", login: true, send: "RETR small.txt\0.jpg\r\n", expect: ["5"] },
  { name: "NUL in STOR", login: true, send: "STOR x\0\r\n", expect: ["5"] },
  { name: "NUL in MKD", login: true, send: "MKD \0\r\n", expect: ["5"] },
  { name: "NUL in RNFR", login: true, send: "RNFR small.txt\0\r\n", expect: ["5"] },
  { name: "CR in the middle of an argument", login: true, send: "MKD a\rb\r\n", expect: ["5"] },
  { name: "line of exactly 2048 bytes", send: "A".repeat(2048) + "\r\n", expect: ["5"] },
  { name: "line of 2049 bytes", send: "A".repeat(2049) + "\r\nNOOP\r\n", expect: ["5", "2"] },
  { name: "line of 3000 bytes", send: "NOOP " + "x".repeat(3000) + "\r\nNOOP\r\n", expect: ["5", "2"] },
  { name: "10 MB line without CRLF", send: "A".repeat(10 * 1024 * 1024) + "\r\nNOOP\r\n", expect: ["5", "2"] },
  { name: "fifty pipelined NOOPs", send: "NOOP\r\n".repeat(50), expect: Array(50).fill("2") },
  { name: "pipelined commands across login", send: `USER ${USER}\r\nPASS ${PASSWORD}\r\nPWD\r\nCWD /nope\r\nPWD\r\n`, expect: ["3", "2", "2", "5", "2"] },
  { name: "Telnet IAC IP, IAC DM, ABOR", login: true, send: bytes([0xff, 0xf4, 0xff, 0xf2], "ABOR\r\n"), expect: ["2"] },
  { name: "Telnet option negotiation", send: bytes([0xff, 0xfb, 0x18, 0xff, 0xfd, 0x01], "NOOP\r\n"), expect: ["2"] },
  { name: "unterminated Telnet subnegotiation", send: bytes([0xff, 0xfa], "NOOP\r\n", [0xff, 0xf0], "NOOP\r\n"), expect: ["2"] },
  { name: "IAC at the very end", send: bytes("NOOP\r\n", [0xff]), expect: ["2"] },
  { name: "IAC IAC in a name", login: true, send: bytes("MKD a", [0xff, 0xff], "b\r\n"), expect: ["5"] },
  { name: "lower-case verb", send: "noop\r\n", expect: ["2"] },
  { name: "verb with leading space", send: " NOOP\r\n", expect: ["5"] },
  { name: "tab instead of space", login: true, send: "CWD\t/\r\n", expect: ["5"] },
  { name: "unknown verb", send: "XYZZY\r\n", expect: ["5"] },
  { name: "unknown long verb", send: "A".repeat(500) + " b\r\n", expect: ["5"] },
  { name: "verb of digits", send: "123\r\n", expect: ["5"] },
  { name: "reply-looking input", send: "200 OK\r\n", expect: ["5"] },
  { name: "HTTP request", send: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", expect: ["5", "5", "5"] },
  { name: "TLS client hello bytes", send: bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03], "\r\nNOOP\r\n"), expect: "until-200" },
];

const INVALID_UTF8: readonly [string, number[]][] = [
  ["overlong slash", [0xc0, 0xaf]],
  ["overlong dot dot slash", [0xc0, 0xae, 0xc0, 0xae, 0xc0, 0xaf]],
  ["overlong three-byte dot", [0xe0, 0x80, 0xae]],
  ["UTF-16 surrogate", [0xed, 0xa0, 0x80]],
  ["five-byte form", [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ["beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
  ["truncated two-byte", [0xc3]],
  ["lone continuation byte", [0x80]],
  ["0xFE", [0xfe]],
  ["Latin-1 e-acute", [0xe9]],
];

const encoding: Case[] = INVALID_UTF8.flatMap(([name, sequence]): Case[] => [
  { name: `invalid UTF-8 in USER: ${name}`, send: bytes("USER ", sequence, "\r\n"), expect: ["5"] },
  { name: `invalid UTF-8 in a path: ${name}`, login: true, send: bytes("RETR ", sequence, "etc/passwd\r\n"), expect: ["5"] },
  { name: `invalid UTF-8 in MKD: ${name}`, login: true, send: bytes("MKD x", sequence, "\r\n"), expect: ["5"] },
]);

const randomCases: Case[] = Array.from({ length: 24 }, (_, i): Case => {
  const next = random(i + 1);
  const length = 1 + Math.floor(next() * (i < 20 ? 512 : 4096));
  const noise = Array.from({ length }, () => Math.floor(next() * 256));
  // IAC SE then CRLF ends any Telnet sequence and line the noise left open.
  return { name: `random bytes #${i + 1} (${length} bytes)`, login: i % 2 === 0, send: bytes(noise, [0xff, 0xf0], "\r\nNOOP\r\n"), expect: "until-200" };
});

/** Reply classes of each verb given an argument that makes no sense for it,
 * without a data connection prepared. Verbs added later without an entry
 * here only have to answer with some reply. */
const ODD_ARGUMENT: Readonly<Record<string, string>> = {
  USER: "3",
  PASS: "5",
  CWD: "5",
  MKD: "25",
  RMD: "5",
  DELE: "5",
  RNFR: "5",
  RNTO: "5",
  SIZE: "5",
  MDTM: "5",
  MLST: "5",
  STAT: "25",
  LIST: "4",
  NLST: "4",
  MLSD: "4",
  RETR: "4",
  STOR: "4",
  APPE: "4",
  REST: "5",
  TYPE: "5",
  MODE: "5",
  STRU: "5",
  PORT: "5",
  EPRT: "5",
  EPSV: "5",
  OPTS: "5",
  SITE: "5",
  HELP: "25",
  ALLO: "2",
  STOU: "4",
  MFMT: "5",
  HASH: "5",
  AVBL: "5",
  HOST: "5",
  CLNT: "2",
  ACCT: "25",
  SMNT: "5",
  XCRC: "5",
  XMD5: "5",
  XSHA1: "5",
  XSHA256: "5",
  XSHA512: "5",
};

/** Reply classes of the verbs whose argument is optional, sent without one. */
const NO_ARGUMENT: Readonly<Record<string, string>> = {
  PASS: "5",
  CWD: "2",
  HELP: "2",
  STAT: "2",
  LIST: "4",
  NLST: "4",
  MLSD: "4",
  MLST: "2",
  EPSV: "2",
  STOU: "4",
  AVBL: "25",
};

const ANY = "12345";

const ODD_VALUES: readonly [string, string][] = [
  ["extra words", "a b c"],
  ["negative number", "-1"],
  ["huge number", "99999999999999999999999"],
  ["2000 characters", "x".repeat(2000)],
  ["climbing path", "../../../../../../etc/passwd"],
  ["link to the outside", "escape/secret.txt"],
  ["percent-encoded dots", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"],
  ["backslashes", "..\\..\\..\\etc\\passwd"],
  ["glob", "*"],
];

const verbs = [...new Map(builtinCommands.map((spec) => [spec.verb, spec])).values()].filter((spec) => spec.verb !== "QUIT");

const perVerb: Case[] = verbs.flatMap((spec): Case[] => {
  const cases: Case[] = [];
  const missing = spec.argument === "required" ? "5" : spec.argument === "none" ? "2" : NO_ARGUMENT[spec.verb] ?? ANY;
  cases.push({ name: `${spec.verb} without argument`, login: true, send: `${spec.verb}\r\n`, expect: [missing] });
  for (const [what, value] of ODD_VALUES) {
    const classes = spec.argument === "none" ? "5" : ODD_ARGUMENT[spec.verb] ?? ANY;
    cases.push({ name: `${spec.verb} with ${what}`, login: spec.verb !== "USER", send: `${spec.verb} ${value}\r\n`, expect: [classes] });
  }
  if (spec.login) {
    cases.push({ name: `${spec.verb} before login`, send: `${spec.verb} x\r\n`, expect: ["5"] });
  }
  return cases;
});

/** Opens a passive data connection for `client`. */
async function dataFor(client: FtpClient): Promise<Socket> {
  const data = await client.epsv();
  data.on("error", () => {});
  return data;
}

async function expectClasses(client: FtpClient, classes: string, what: string): Promise<FtpReply> {
  const reply = await client.read();
  assert.ok(classes.includes(String(reply.code)[0]), `${what}: got ${reply.lines.join(" | ")}, expected ${classes}xx`);
  return reply;
}

const PORT_CASES: readonly [string, string][] = [
  ["PORT to a foreign host", "PORT 10,0,0,1,4,1"],
  ["PORT to a public host", "PORT 8,8,8,8,0,80"],
  ["PORT to a privileged port", "PORT 127,0,0,1,0,21"],
  ["PORT to port 0", "PORT 127,0,0,1,0,0"],
  ["PORT with three numbers", "PORT 1,2,3"],
  ["PORT with seven numbers", "PORT 127,0,0,1,4,1,9"],
  ["PORT with a byte of 256", "PORT 256,0,0,1,4,1"],
  ["PORT with a port byte of 256", "PORT 127,0,0,1,256,1"],
  ["PORT with letters", "PORT a,b,c,d,e,f"],
  ["PORT with a negative number", "PORT -1,0,0,1,4,1"],
  ["PORT with spaces", "PORT 127, 0, 0, 1, 4, 1"],
  ["PORT with an empty field", "PORT 127,,0,1,4,1"],
  ["EPRT to a foreign host", "EPRT |1|8.8.8.8|2000|"],
  ["EPRT to a privileged port", "EPRT |1|127.0.0.1|21|"],
  ["EPRT to IPv6 on an IPv4 session", "EPRT |2|::1|2000|"],
  ["EPRT to an IPv6 foreign host", "EPRT |2|2001:db8::1|2000|"],
  ["EPRT without leading delimiter", "EPRT 1|127.0.0.1|2000|"],
  ["EPRT without trailing delimiter", "EPRT |1|127.0.0.1|2000"],
  ["EPRT with only delimiters", "EPRT ||||"],
  ["EPRT with an empty address", "EPRT |1||2000|"],
  ["EPRT with an unknown protocol", "EPRT |3|127.0.0.1|2000|"],
  ["EPRT with port 0", "EPRT |1|127.0.0.1|0|"],
  ["EPRT with port 65536", "EPRT |1|127.0.0.1|65536|"],
  ["EPRT with a short IPv4 form", "EPRT |1|127.1|2000|"],
  ["EPRT with an IPv4 protocol and IPv6 address", "EPRT |1|::1|2000|"],
  ["EPRT with trailing garbage", "EPRT |1|127.0.0.1|2000|x"],
  ["EPRT with mixed delimiters", "EPRT |1!127.0.0.1!2000|"],
  ["EPRT with DEL as delimiter", "EPRT \x7f1\x7f127.0.0.1\x7f2000\x7f"],
  ["EPRT with a huge port", "EPRT |1|127.0.0.1|99999999999999999999|"],
  ["EPRT with a hostname", "EPRT |1|localhost|2000|"],
];

/** Commands that name a path through the link to the outside, or above the
 * root; every one must be refused (5xx), whether or not it is implemented. */
const ESCAPES: readonly string[] = [
  "SITE CHMOD 777 escape/secret.txt",
  "SITE CHMOD 777 ../../outside/secret.txt",
  "SITE CHMOD 9999 small.txt",
  "SITE CHMOD",
  "MFMT 20200101000000 escape/secret.txt",
  "MFMT 20200101000000 ../outside/secret.txt",
  "MFMT yesterday small.txt",
  "HASH escape/secret.txt",
  "MLST escape/secret.txt",
  "STAT escape",
  "STAT ../outside",
  "SIZE escape/secret.txt",
  "RNFR escape/secret.txt",
  "DELE escape/secret.txt",
  "MKD escape/new",
  "RMD escape",
];

const protocol: Case[] = [
  ...PORT_CASES.map(([name, line]): Case => ({ name, login: true, send: `${line}\r\n`, expect: ["5"] })),
  ...ESCAPES.map((line): Case => ({ name: line, login: true, send: `${line}\r\n`, expect: ["5"] })),
  { name: "STOR through the link", login: true, run: (client) => client.expectRefused("STOR escape/new.txt").then(() => {}) },
  { name: "RETR through the link", login: true, run: (client) => client.expectRefused("RETR escape/secret.txt").then(() => {}) },
  { name: "RNTO through the link", login: true, run: async (client) => {
    await client.expect("RNFR small.txt", 350);
    await client.expect("RNTO escape/moved.txt", 550);
  } },
  { name: "REST beyond the end of the file, then RETR", login: true, run: async (client) => {
    await client.expect("REST 1000000", 350);
    await client.expectRefused("RETR small.txt", 554);
  } },
  { name: "REST -1", login: true, send: "REST -1\r\n", expect: ["5"] },
  { name: "REST 1.5", login: true, send: "REST 1.5\r\n", expect: ["5"] },
  { name: "REST 0x10", login: true, send: "REST 0x10\r\n", expect: ["5"] },
  { name: "REST then APPE", login: true, run: async (client) => {
    await client.expect("REST 3", 350);
    await client.expectRefused("APPE small.txt", 450);
  } },
  { name: "RNTO without RNFR", login: true, send: "RNTO x\r\n", expect: ["5"] },
  { name: "RNFR, another command, RNTO", login: true, send: "RNFR small.txt\r\nNOOP\r\nRNTO y\r\n", expect: ["3", "2", "5"] },
  { name: "RNFR of a missing file then RNTO", login: true, send: "RNFR missing\r\nRNTO y\r\n", expect: ["5", "5"] },
  { name: "PASS without USER", send: "PASS x\r\n", expect: ["5"] },
  { name: "PASS twice", login: true, send: "PASS again\r\n", expect: ["5"] },
  { name: "EPSV ALL then PASV and PORT", login: true, send: "EPSV ALL\r\nPASV\r\nPORT 127,0,0,1,4,1\r\n", expect: ["2", "5", "5"] },
  { name: "EPSV with an unknown protocol", login: true, send: "EPSV 3\r\n", expect: ["5"] },
  { name: "TYPE with a bogus form", login: true, send: "TYPE A X\r\n", expect: ["5"] },
  { name: "a second transfer while one runs", login: true, run: async (client) => {
    const data = await dataFor(client);
    await client.expect("STOR busy.bin", 150);
    const second = await dataFor(client);
    await client.sendRaw("RETR small.txt\r\n");
    await expectClasses(client, "4", "RETR while a STOR runs");
    second.destroy();
    data.end("x");
    await expectClasses(client, "2", "end of the STOR");
  } },
  { name: "transfer command without PASV", login: true, send: "RETR small.txt\r\n", expect: ["4"] },
  { name: "PASV port nobody connects to", login: true, run: async (client) => {
    await client.expect("PASV", 227);
    await client.expect("RETR small.txt", 150);
    await within(expectClasses(client, "4", "RETR on a PASV nobody used"), 20_000, "passive timeout");
  } },
  { name: "data connection that connects and never sends", login: true, run: async (client) => {
    const data = await dataFor(client);
    await client.expect("STOR silent.bin", 150);
    const reply = await within(expectClasses(client, "4", "a silent upload"), 20_000, "data timeout");
    assert.match(reply.lines[0], /timed out/);
    data.destroy();
  } },
  { name: "download to a client that never reads", login: true, run: async (client) => {
    const data = await dataFor(client);
    data.pause();
    await client.expect("RETR big.bin", 150);
    await within(expectClasses(client, "4", "a download nobody reads"), 20_000, "data timeout");
    data.destroy();
  } },
  { name: "client vanishing mid-upload", login: true, run: async (client) => {
    const data = await dataFor(client);
    await client.expect("STOR vanish.bin", 150);
    data.write("x".repeat(100_000));
    client.close();
    data.destroy();
  } },
  { name: "client vanishing mid-download", login: true, run: async (client) => {
    const data = await dataFor(client);
    await client.expect("RETR big.bin", 150);
    await new Promise((resolve) => data.once("data", resolve));
    client.close();
    data.destroy();
  } },
  { name: "control closed right after PASV", login: true, run: async (client) => {
    await client.expect("PASV", 227);
    client.close();
  } },
  { name: "control half-closed after a command", run: async (client) => {
    client.socket.end("NOOP\r\n");
    await client.expectReply(200);
  } },
  { name: "QUIT with a transfer running", login: true, run: async (client) => {
    const data = await dataFor(client);
    await client.expect("STOR quit.bin", 150);
    await client.sendRaw("QUIT\r\n");
    data.end("done");
    await expectClasses(client, "2", "end of the STOR");
    await expectClasses(client, "2", "QUIT");
  } },
  { name: "ABOR with nothing running", login: true, send: "ABOR\r\n", expect: ["2"] },
  { name: "ABOR twice during a download", login: true, run: async (client) => {
    const data = await dataFor(client);
    readAll(data).catch(() => {});
    await client.expect("RETR big.bin", 150);
    await client.sendRaw("ABOR\r\nABOR\r\n");
    const codes = [(await client.read()).code, (await client.read()).code, (await client.read()).code];
    assert.ok(codes.every((code) => code >= 200 && code < 500), String(codes));
    data.destroy();
  } },
];

// ---------------------------------------------------------------- running them

interface HostileFixture extends Fixture {
  /** root and outside live here, and nothing else may appear. */
  readonly base: string;
  readonly outside: string;
  readonly disk: string;
}

async function startHostile(): Promise<HostileFixture> {
  const base = mkdtempSync(join(tmpdir(), "tsftpd-hostile-"));
  const disk = join(base, "root");
  const outside = join(base, "outside");
  mkdirSync(disk);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.txt"), "outside secret");
  writeFileSync(join(disk, "small.txt"), "small");
  writeFileSync(join(disk, "big.bin"), Buffer.alloc(8 * 1024 * 1024, 3));
  symlinkSync(outside, join(disk, "escape"));
  const fx = await startFixture({
    fs: new LocalFileSystem(disk),
    dataTimeoutMs: 1000,
    passiveTimeoutMs: 1000,
  });
  return {
    ...fx,
    base,
    disk,
    outside,
    async close() {
      await fx.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Removes what a case created in the root, so that every case meets the
 * same tree (a folder made by "MKD a b c" must not change "RMD a b c"). */
function restoreRoot(fx: HostileFixture, initial: readonly string[]): void {
  for (const name of readdirSync(fx.disk)) {
    if (!initial.includes(name)) rmSync(join(fx.disk, name), { recursive: true, force: true });
  }
}

async function runCase(fx: HostileFixture, item: Case): Promise<void> {
  const client = await FtpClient.connect(fx.port);
  try {
    if (item.login) {
      await client.login(USER, PASSWORD);
      await client.expect("TYPE I", 200);
    }
    if (item.run) {
      await item.run(client);
    } else {
      await client.sendRaw(item.send ?? "");
      const expect = item.expect ?? [];
      if (expect === "until-200") {
        for (let reply = await client.read(); reply.code !== 200; reply = await client.read()) {
          assert.ok(reply.code >= 400, `reply before the final NOOP: ${reply.lines.join(" | ")}`);
        }
      } else {
        for (const [i, classes] of expect.entries()) await expectClasses(client, classes, `reply ${i + 1}`);
      }
    }
  } finally {
    client.close();
  }
}

async function freshNoop(port: number): Promise<void> {
  const client = await FtpClient.connect(port);
  try {
    await client.expect("NOOP", 200);
  } finally {
    client.close();
  }
}

function openHandles(): number {
  return existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd").length : 0;
}

const groups: readonly [string, readonly Case[]][] = [
  ["framing", framing],
  ["encoding", encoding],
  ["random bytes", randomCases],
  ["every command with odd arguments", perVerb],
  ["protocol abuse", protocol],
];

test("hostile: the suite has at least 200 cases", () => {
  const total = groups.reduce((sum, [, cases]) => sum + cases.length, 0);
  assert.ok(total >= 200, `${total} cases`);
});

for (const [group, cases] of groups) {
  test(`hostile: ${group} (${cases.length} cases)`, async () => {
    const fx = await startHostile();
    try {
      const outsideBefore = snapshot(fx.outside);
      const handlesBefore = openHandles();
      const initial = readdirSync(fx.disk);
      for (const item of cases) {
        try {
          await runCase(fx, item);
          await freshNoop(fx.port);
        } catch (error) {
          throw new Error(`case "${item.name}": ${(error as Error).message}`);
        }
        assert.deepEqual(snapshot(fx.outside), outsideBefore, `case "${item.name}" wrote outside the root`);
        assert.deepEqual(readdirSync(fx.base).sort(), ["outside", "root"], `case "${item.name}"`);
        restoreRoot(fx, initial);
      }
      await waitFor(() => fx.server.connectionCount === 0, 20_000, "every session ends");
      await waitFor(() => openHandles() <= handlesBefore, 20_000, `handles back to ${handlesBefore} (now ${openHandles()})`);
    } finally {
      await fx.close();
    }
  });
}

test("hostile: 2000 connections opened and dropped at once", async () => {
  const fx = await startHostile();
  try {
    const handlesBefore = openHandles();
    const sockets = await Promise.all(
      Array.from({ length: 2000 }, () => connectTcp(fx.port).catch(() => null)),
    );
    for (const socket of sockets) {
      socket?.on("error", () => {});
      socket?.destroy();
    }
    // Some of the 2000 may still hold a slot of maxConnections until the
    // server has seen them go, so a fresh client may be turned away with 421
    // for a moment, never left unanswered.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = await FtpClient.connect(fx.port);
      try {
        if (client.greeting.code === 220) {
          await client.expect("NOOP", 200);
          break;
        }
        assert.equal(client.greeting.code, 421);
        assert.ok(Date.now() < deadline, "still turned away after 30 s");
      } finally {
        client.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitFor(() => fx.server.connectionCount === 0, 30_000, `all sessions end (now ${fx.server.connectionCount})`);
    await waitFor(() => openHandles() <= handlesBefore, 30_000, `handles back to ${handlesBefore} (now ${openHandles()})`);
    await freshNoop(fx.port);
  } finally {
    await fx.close();
  }
});
