import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryAuthorizer } from "../mod.ts";
import { PASSWORD, startFixture, USER } from "./_fixture.ts";
import { connectTcp, FtpClient, readAll, sleep, waitFor, within, withClients, writeAndEnd } from "./_ftp_client.ts";

/** A second user, to show that limits on one user leave others alone. */
const BOB = "bob";

function twoUsers(): MemoryAuthorizer {
  return new MemoryAuthorizer({
    users: { [USER]: { password: PASSWORD, permissions: "elradfmwMT" }, [BOB]: { password: "b", permissions: "elr" } },
  });
}

/** Connects and expects the server to turn the connection away with 421. */
async function expectTurnedAway(port: number, localAddress?: string): Promise<string> {
  const client = await FtpClient.connect(port, undefined, localAddress);
  assert.equal(client.greeting.code, 421, client.greeting.lines.join(" | "));
  await within(client.closed, 10_000, "server closes a refused connection");
  return client.greeting.lines[0];
}

test("maxConnections: one more gets 421 and is closed; a slot frees when a client leaves", async () => {
  await withClients(await startFixture({ maxConnections: 2 }), async (fx, open) => {
    const first = await open();
    await open();
    await expectTurnedAway(fx.port);
    // Refused connections are not counted: the limit is still 2, not 3.
    await expectTurnedAway(fx.port);
    await first.quit();
    await waitFor(() => fx.server.connectionCount === 1, 10_000, "the first session ends");
    const again = await open();
    assert.equal(again.greeting.code, 220);
    await again.expect("NOOP", 200);
  });
});

test("maxConnectionsPerIp: counted per client address", async () => {
  await withClients(await startFixture({ maxConnectionsPerIp: 2 }), async (fx, open) => {
    await open();
    await open();
    assert.match(await expectTurnedAway(fx.port), /your address/);
    const other = await FtpClient.connect(fx.port, undefined, "127.0.0.2");
    try {
      assert.equal(other.greeting.code, 220);
      await other.login(USER, PASSWORD);
    } finally {
      other.close();
    }
  });
});

test("maxSessionsPerUser: a second login of the same user gets 530, other users are fine", async () => {
  await withClients(await startFixture({ maxSessionsPerUser: 1, authorizer: twoUsers() }), async (fx, open) => {
    const first = await open();
    await first.login(USER, PASSWORD);
    const second = await open();
    await second.expect(`USER ${USER}`, 331);
    await second.expect(`PASS ${PASSWORD}`, 530);
    await second.expect("PWD", 530);
    await second.login(BOB, "b");
    // Logging out (USER again) frees the slot at once.
    await first.expect(`USER ${BOB}`, 331);
    const third = await open();
    await third.login(USER, PASSWORD);
    // A dropped connection frees it too, once it is really closed.
    third.close();
    await waitFor(() => fx.server.connectionCount === 2, 10_000, "the dropped session ends");
    const fourth = await open();
    await fourth.login(USER, PASSWORD);
  });
});

test("failed logins: answered after the delay, and the connection is closed after maxLoginAttempts", async () => {
  await withClients(await startFixture({ failedLoginDelayMs: 400, maxLoginAttempts: 2 }), async (_fx, open) => {
    const client = await open();
    await client.expect(`USER ${USER}`, 331);
    const started = Date.now();
    await client.expect("PASS wrong", 530);
    assert.ok(Date.now() - started >= 350, `a wrong password was answered after ${Date.now() - started} ms`);
    await client.expect(`USER ${USER}`, 331);
    const last = await client.expect("PASS wrong again", 530);
    assert.match(last.lines[0], /disconnecting/i);
    await within(client.closed, 10_000, "the server closes after the last attempt");
    // A right password still works on a new connection (no ban by default).
    const fresh = await open();
    await fresh.login(USER, PASSWORD);
  });
});

test("ban by ip: after maxFailures failed logins the address cannot even connect", async () => {
  const fx = await startFixture({ maxLoginAttempts: 0, ban: { by: "ip", maxFailures: 3, durationMs: 60_000 } });
  await withClients(fx, async (_fx, open) => {
    const client = await open();
    for (let i = 0; i < 3; i++) {
      await client.expect(`USER ${USER}`, 331);
      await client.expect("PASS guess", 530);
    }
    // Even the right password is refused now, without being checked.
    await client.expect(`USER ${USER}`, 331);
    await client.expect(`PASS ${PASSWORD}`, 530);
    assert.match(await expectTurnedAway(fx.port), /failed logins/);
    const elsewhere = await FtpClient.connect(fx.port, undefined, "127.0.0.2");
    try {
      await elsewhere.login(USER, PASSWORD);
    } finally {
      elsewhere.close();
    }
  });
});

test("ban by user: the user is refused from every address, other users are not", async () => {
  const fx = await startFixture({
    authorizer: twoUsers(),
    maxLoginAttempts: 0,
    ban: { by: "user", maxFailures: 2, durationMs: 60_000 },
  });
  await withClients(fx, async (_fx, open) => {
    const client = await open();
    for (let i = 0; i < 2; i++) {
      await client.expect(`USER ${USER}`, 331);
      await client.expect("PASS guess", 530);
    }
    const elsewhere = await FtpClient.connect(fx.port, undefined, "127.0.0.2");
    try {
      assert.equal(elsewhere.greeting.code, 220);
      await elsewhere.expect(`USER ${USER}`, 331);
      await elsewhere.expect(`PASS ${PASSWORD}`, 530);
      await elsewhere.login(BOB, "b");
    } finally {
      elsewhere.close();
    }
  });
});

test("ban by user-and-ip: only that name from that address is refused; success resets the count", async () => {
  const fx = await startFixture({ maxLoginAttempts: 0, ban: { by: "user-and-ip", maxFailures: 2, durationMs: 60_000 } });
  await withClients(fx, async (_fx, open) => {
    const client = await open();
    await client.expect(`USER ${USER}`, 331);
    await client.expect("PASS guess", 530);
    await client.login(USER, PASSWORD);
    await client.expect(`USER ${USER}`, 331);
    await client.expect("PASS guess", 530);
    // One failure after the successful login: not banned yet.
    await client.login(USER, PASSWORD);
    for (let i = 0; i < 2; i++) {
      await client.expect(`USER ${USER}`, 331);
      await client.expect("PASS guess", 530);
    }
    await client.expect(`USER ${USER}`, 331);
    await client.expect(`PASS ${PASSWORD}`, 530);
    const elsewhere = await FtpClient.connect(fx.port, undefined, "127.0.0.2");
    try {
      await elsewhere.login(USER, PASSWORD);
    } finally {
      elsewhere.close();
    }
  });
});

test("idle timeout: 421 and close; a running transfer suspends it", async () => {
  await withClients(await startFixture({ idleTimeoutMs: 400 }), async (fx, open) => {
    const client = await open();
    await client.login(USER, PASSWORD);
    await client.expect("TYPE I", 200);
    // An upload that trickles for three times the idle timeout.
    const data = await client.epsv();
    await client.expect("STOR slow.bin", 150);
    for (let i = 0; i < 12; i++) {
      data.write("x");
      await sleep(100);
    }
    await writeAndEnd(data, "y");
    await client.expectReply(226, "end of the slow upload");
    assert.equal(readFileSync(join(fx.root, "slow.bin"), "utf8"), "x".repeat(12) + "y");
    await client.expect("NOOP", 200);
    const reply = await within(client.read(), 10_000, "the idle 421");
    assert.equal(reply.code, 421);
    await within(client.closed, 10_000, "close after idle");
  });
});

test("login timeout: a client that never logs in is closed even if it keeps sending NOOP", async () => {
  await withClients(await startFixture({ loginTimeoutMs: 500 }), async (_fx, open) => {
    const client = await open();
    let closed = false;
    client.closed.then(() => (closed = true));
    const deadline = Date.now() + 10_000;
    while (!closed && Date.now() < deadline) {
      await client.sendRaw("NOOP\r\n").catch(() => {});
      await sleep(100);
    }
    const codes: number[] = [];
    for (;;) {
      const reply = await client.read().catch(() => null);
      if (!reply) break;
      codes.push(reply.code);
    }
    assert.equal(codes.at(-1), 421, `replies: ${codes}`);
    // Once logged in, a later logout does not bring the deadline back.
    const member = await open();
    await member.login(USER, PASSWORD);
    await member.expect(`USER ${USER}`, 331);
    await sleep(1000);
    await member.expect("NOOP", 200);
    await within(client.closed, 10_000, "close after the login deadline");
  });
});

test("data timeout: a transfer whose client sends nothing gets 426; the session and the old file survive", async () => {
  await withClients(await startFixture({ dataTimeoutMs: 400 }), async (fx, open) => {
    writeFileSync(join(fx.root, "keep.txt"), "good content");
    const client = await open();
    await client.login(USER, PASSWORD);
    const data = await client.epsv();
    data.on("error", () => {});
    await client.expect("STOR keep.txt", 150);
    data.write("partial");
    const reply = await within(client.read(), 10_000, "the stall reply");
    assert.equal(reply.code, 426);
    assert.match(reply.lines[0], /timed out/);
    await client.expect("NOOP", 200);
    assert.equal(readFileSync(join(fx.root, "keep.txt"), "utf8"), "good content");
    assert.deepEqual(readdirSync(fx.root), ["keep.txt"]);
  });
});

test("Telnet IAC sequences are stripped, also across packets; IAC IAC is a 0xFF byte", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    await client.login(USER, PASSWORD);
    // IAC IP, IAC DM, then ABOR (RFC 959 §4.1.3).
    await client.sendRaw(Uint8Array.from([0xff, 0xf4, 0xff, 0xf2, ...Buffer.from("ABOR\r\n")]));
    await client.expectReply(225);
    await client.sendRaw(Uint8Array.from([0xff]));
    await sleep(50);
    await client.sendRaw(Uint8Array.from([0xfb, 0x01, ...Buffer.from("NO"), 0xff, 0xf1, ...Buffer.from("OP\r\n")]));
    await client.expectReply(200);
    // IAC SB ... IAC SE is dropped whole.
    await client.sendRaw(Uint8Array.from([0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0, ...Buffer.from("PWD\r\n")]));
    await client.expectReply(257);
    await client.sendRaw(Uint8Array.from([...Buffer.from("NOOP "), 0xff, 0xff, 0x0d, 0x0a]));
    await client.expectReply(500, "a lone 0xFF byte is not UTF-8");
  });
});

test("quota: files and bytes are limited with 552; a refused upload leaves nothing behind", async () => {
  const fx = await startFixture({ quota: { maxFiles: 2, maxBytes: 120, perUser: { [BOB]: {} } } });
  await withClients(fx, async (_fx, open) => {
    const client = await open();
    await client.login(USER, PASSWORD);
    await client.expect("TYPE I", 200);
    await client.stor("a.txt", "x".repeat(40));
    await client.stor("b.txt", "y".repeat(40));
    await client.expectRefused("STOR c.txt", 552);
    // Replacing an existing file is not a new file, and frees its bytes.
    await client.stor("a.txt", "z".repeat(60));
    const data = await client.epsv();
    data.on("error", () => {});
    await client.expect("APPE b.txt", 150);
    await writeAndEnd(data, "w".repeat(100)).catch(() => {});
    await client.expectReply(552, "an append beyond the byte quota");
    await client.expect("NOOP", 200);
    assert.equal(readFileSync(join(fx.root, "a.txt"), "utf8"), "z".repeat(60));
    // Appends write in place: what fitted may stay, never beyond the quota.
    assert.ok(readFileSync(join(fx.root, "b.txt"), "utf8").length <= 60);
    assert.deepEqual(readdirSync(fx.root).sort(), ["a.txt", "b.txt"]);
    // A STOR that crosses the limit mid-way is cut and the old file kept.
    const again = await client.epsv();
    again.on("error", () => {});
    await client.expect("STOR a.txt", 150);
    await writeAndEnd(again, "q".repeat(90)).catch(() => {});
    await client.expectReply(552, "a replacement beyond the byte quota");
    assert.equal(readFileSync(join(fx.root, "a.txt"), "utf8"), "z".repeat(60));
    assert.deepEqual(readdirSync(fx.root).sort(), ["a.txt", "b.txt"]);
  });
});

test("throttle: downloads and uploads keep to the limit and arrive intact", async () => {
  const fx = await startFixture({ throttle: { writeLimit: 64 * 1024, readLimit: 64 * 1024 } });
  await withClients(fx, async (_fx, open) => {
    const content = Buffer.alloc(128 * 1024, 7);
    writeFileSync(join(fx.root, "big.bin"), content);
    const client = await open();
    await client.login(USER, PASSWORD);
    await client.expect("TYPE I", 200);
    let started = Date.now();
    assert.deepEqual(Buffer.from(await client.retr("big.bin")), content);
    // A lower bound only: load can make it slower, never faster.
    assert.ok(Date.now() - started >= 1200, `128 KiB at 64 KiB/s took ${Date.now() - started} ms`);
    started = Date.now();
    await client.stor("up.bin", content);
    assert.ok(Date.now() - started >= 1000, `upload took ${Date.now() - started} ms`);
    assert.deepEqual(readFileSync(join(fx.root, "up.bin")), content);
  });
});

test("throttle per user: two sessions of one user share the limit", async () => {
  const fx = await startFixture({ throttle: { perUser: { writeLimit: 64 * 1024 } } });
  await withClients(fx, async (_fx, open) => {
    const content = Buffer.alloc(64 * 1024, 1);
    writeFileSync(join(fx.root, "f.bin"), content);
    const clients = [await open(), await open()];
    for (const client of clients) {
      await client.login(USER, PASSWORD);
      await client.expect("TYPE I", 200);
    }
    const started = Date.now();
    const results = await Promise.all(clients.map((client) => client.retr("f.bin")));
    for (const bytes of results) assert.deepEqual(Buffer.from(bytes), content);
    assert.ok(Date.now() - started >= 1200, `2 x 64 KiB at 64 KiB/s shared took ${Date.now() - started} ms`);
  });
});

test("control backpressure: a client that never reads replies stops being read; replies come in order", async () => {
  let executed = 0;
  const logger = { log: (record: { message: string }) => record.message.startsWith("<- HELP") && executed++ };
  await withClients(await startFixture({ logger, logLevel: "debug" }), async (_fx, open) => {
    const client = await open();
    client.socket.pause();
    const total = 20_000;
    // Each HELP costs 6 bytes in and about 1 KiB out.
    client.socket.write("HELP\r\n".repeat(total) + "PWD\r\n");
    let previous = -1;
    while (executed !== previous) {
      previous = executed;
      await sleep(300);
    }
    assert.ok(executed < total, `the server ran all ${executed} commands for a client that read nothing`);
    client.socket.resume();
    for (let i = 0; i < total; i++) await client.expectReply(214, `HELP reply ${i}`);
    await client.expectReply(530, "PWD, last");
    assert.equal(executed, total);
  });
});

test("atomic uploads: a dropped STOR never replaces the file; no temporary file is left", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "doc.txt"), "version 1");
    const client = await open();
    await client.login(USER, PASSWORD);
    await client.expect("TYPE I", 200);
    const data = await client.epsv();
    await client.expect("STOR doc.txt", 150);
    data.write("half of version 2");
    await waitFor(() => readdirSync(fx.root).length === 2, 10_000, "the temporary file appears");
    assert.equal(readFileSync(join(fx.root, "doc.txt"), "utf8"), "version 1");
    await client.sendRaw("ABOR\r\n");
    await client.expectReply(426, "the aborted STOR");
    await client.expectReply(226, "ABOR");
    data.destroy();
    await waitFor(() => readdirSync(fx.root).length === 1, 10_000, "the temporary file goes");
    assert.equal(readFileSync(join(fx.root, "doc.txt"), "utf8"), "version 1");
    await client.stor("doc.txt", "version 2");
    assert.equal(readFileSync(join(fx.root, "doc.txt"), "utf8"), "version 2");
    assert.deepEqual(readdirSync(fx.root), ["doc.txt"]);
    assert.equal(existsSync(join(fx.root, ".doc.txt.part")), false);
    const received = readAll(await client.epsv());
    await client.expect("RETR doc.txt", 150);
    assert.equal(Buffer.from(await received).toString(), "version 2");
    await client.expectReply(226);
  });
});

test("CLI: the security flags become server options; malformed values are refused", async () => {
  const { parseArgs } = await import("../src/cli.ts");
  const { security } = parseArgs([
    "--max-cons=100",
    "--max-cons-per-ip",
    "5",
    "--max-login-attempts",
    "2",
    "--login-delay",
    "0.5",
    "--ban",
    "ip",
    "--ban-after",
    "4",
    "--timeout",
    "60",
    "--write-limit",
    "1M",
    "--user-read-limit",
    "512K",
    "--quota-files",
    "10",
  ]);
  assert.deepEqual(security, {
    maxConnections: 100,
    maxConnectionsPerIp: 5,
    maxLoginAttempts: 2,
    failedLoginDelayMs: 500,
    idleTimeoutMs: 60_000,
    dataTimeoutMs: 60_000,
    ban: { by: "ip", maxFailures: 4, durationMs: undefined },
    throttle: { readLimit: undefined, writeLimit: 1024 * 1024, perUser: { readLimit: 512 * 1024, writeLimit: undefined } },
    quota: { maxBytes: undefined, maxFiles: 10 },
  });
  assert.deepEqual(parseArgs([]).security, {});
  for (const args of [["--max-cons", "-1"], ["--ban", "everyone"], ["--ban-after", "3"], ["--write-limit", "fast"]]) {
    assert.throws(() => parseArgs(args), Error, args.join(" "));
  }
});

test("TLS handshake timeout: AUTH TLS and implicit FTPS clients that never say hello are closed", async () => {
  const { makeCertificate, removeCertificate, startTlsFixture } = await import("./_tls.ts");
  const certificate = await makeCertificate("tsftpd-test");
  try {
    const fx = await startTlsFixture(certificate, { tlsHandshakeTimeoutMs: 300, implicitTlsPort: 0 });
    await withClients(fx, async (_fx, open) => {
      const client = await open();
      await client.expect("AUTH TLS", 234);
      await within(client.closed, 10_000, "close of a silent AUTH TLS client");
      const implicit = await connectTcp(fx.server.implicitTlsAddress.port);
      await within(new Promise((resolve) => implicit.once("close", resolve)), 10_000, "close of a silent implicit client");
      await waitFor(() => fx.server.connectionCount === 0, 10_000, "both sessions end");
      // The server itself is fine.
      const fresh = await open();
      await fresh.expect("NOOP", 200);
    });
  } finally {
    await removeCertificate(certificate);
  }
});

test("implicit FTPS: clients still in the TLS handshake count against maxConnections", async () => {
  const { makeCertificate, removeCertificate, startTlsFixture } = await import("./_tls.ts");
  const certificate = await makeCertificate("tsftpd-test");
  try {
    const fx = await startTlsFixture(certificate, { maxConnections: 1, tlsHandshakeTimeoutMs: 1500, implicitTlsPort: 0 });
    await withClients(fx, async (_fx, open) => {
      const silent = await connectTcp(fx.server.implicitTlsAddress.port);
      let silentClosed = false;
      const gone = new Promise((resolve) => silent.once("close", resolve)).then(() => (silentClosed = true));
      // Later than the first, so that a handshake timeout would close it last.
      await sleep(500);
      const second = await connectTcp(fx.server.implicitTlsAddress.port);
      await within(new Promise((resolve) => second.once("close", resolve)), 10_000, "a second implicit client is closed at once");
      assert.equal(silentClosed, false, "the second client was closed by the limit, not by the handshake timeout");
      await within(gone, 10_000, "the silent client is closed by the handshake timeout");
      // Its slot is free again once it is gone.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const client = await open();
        if (client.greeting.code === 220) break;
        assert.ok(Date.now() < deadline, "the slot never came back");
        await sleep(100);
      }
    });
  } finally {
    await removeCertificate(certificate);
  }
});
