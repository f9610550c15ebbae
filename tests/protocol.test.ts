import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PASSWORD, startFixture, USER } from "./_fixture.ts";
import {
  connectTcp,
  type FtpClient,
  type FtpReply,
  pasvPort,
  readAll,
  sleep,
  waitFor,
  within,
  withClients,
  writeAndEnd,
} from "./_ftp_client.ts";

const BIG_SIZE = 64 * 1024 * 1024;

async function loggedIn(open: () => Promise<FtpClient>): Promise<FtpClient> {
  const client = await open();
  await client.login(USER, PASSWORD);
  return client;
}

function text(path: string): string {
  return readFileSync(path, "utf8");
}

/** The middle lines of a multi-line reply, without their leading space. */
function body(reply: FtpReply): string[] {
  return reply.lines.slice(1, -1).map((line) => {
    assert.ok(line.startsWith(" "), `middle line without leading space: ${JSON.stringify(line)}`);
    return line.slice(1);
  });
}

function assertMultiLine(reply: FtpReply, code: number): void {
  assert.equal(reply.code, code);
  assert.ok(reply.lines.length > 2, `expected a multi-line reply, got ${JSON.stringify(reply.lines)}`);
  assert.ok(reply.lines[0].startsWith(`${code}-`));
  assert.ok(reply.lines.at(-1)!.startsWith(`${code} `));
}

test("greeting is 220", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    assert.equal(client.greeting.code, 220);
  });
});

test("a command split across several TCP packets is understood", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    for (const piece of ["US", "ER ali", "ce\r", "\n"]) {
      await client.sendRaw(piece);
      await sleep(30);
    }
    assert.equal((await client.read()).code, 331);
    // The password is accepted only if the user name arrived whole.
    await client.expect(`PASS ${PASSWORD}`, 230);
  });
});

test("pipelined commands in one packet get their replies in order", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    await client.sendRaw(`USER ${USER}\r\nPASS ${PASSWORD}\r\nPWD\r\nNOOP\r\n`);
    const replies = [await client.read(), await client.read(), await client.read(), await client.read()];
    assert.deepEqual(replies.map((reply) => reply.code), [331, 230, 257, 200]);
    assert.match(replies[2].lines[0], /^257 "\/"/);
  });
});

test("a line longer than 2 KiB gets 500 and the session continues", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    // Exactly 2048 bytes is still a line; one more byte is too long.
    await client.expect(`USER ${"x".repeat(2048 - 5)}`, 331);
    await client.expect(`USER ${"x".repeat(2048 - 4)}`, 500);
    await client.expect(`USER ${"x".repeat(3000)}`, 500);
    // An overlong line arriving in several packets is refused once.
    for (let i = 0; i < 5; i++) {
      await client.sendRaw("y".repeat(1000));
      await sleep(5);
    }
    await client.sendRaw("\r\n");
    await client.expectReply(500);
    await client.expect("NOOP", 200);
    await client.login(USER, PASSWORD);
  });
});

test("a line that is not valid UTF-8 gets 500 and the session continues", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    // An overlong encoding of "/" (0xff 0xfe would be a Telnet command,
    // which the server strips).
    await client.sendRaw(Uint8Array.from([...Buffer.from("USER "), 0xc0, 0xaf, 0x0d, 0x0a]));
    await client.expectReply(500);
    // A multi-byte sequence cut short.
    await client.sendRaw(Uint8Array.from([...Buffer.from("USER a"), 0xc3, 0x0d, 0x0a]));
    await client.expectReply(500);
    await client.expect("NOOP", 200);
    // Valid multi-byte UTF-8 is fine.
    await client.expect("USER héllo", 331);
  });
});

test("unknown verb gets 500, before and after login", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    await client.expect("FOO", 500);
    await client.login(USER, PASSWORD);
    await client.expect("FOO bar", 500);
    await client.expect("NOOP", 200);
  });
});

test("commands before login get 530 and do nothing", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await open();
    for (const command of ["PWD", "CWD /", "LIST", "RETR x", "STOR x", "MKD d", "DELE x", "TYPE I", "PASV", "EPSV"]) {
      await client.expect(command, 530);
    }
    assert.equal(existsSync(join(fx.root, "d")), false);
    assert.equal(existsSync(join(fx.root, "x")), false);
  });
});

test("USER answers 331 the same way for existing and unknown names", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    const known = await client.expect(`USER ${USER}`, 331);
    const unknown = await client.expect("USER nobody-here", 331);
    assert.deepEqual(unknown.lines, known.lines);
    await client.expect(`PASS ${PASSWORD}`, 530);
  });
});

test("wrong password gets 530 and leaves the client logged out", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    await client.expect(`USER ${USER}`, 331);
    await client.expect("PASS wrong", 530);
    await client.expect("PWD", 530);
    // The failed attempt consumed the USER.
    await client.expect(`PASS ${PASSWORD}`, 503);
    await client.login(USER, PASSWORD);
  });
});

test("PASS without USER gets 503", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    await client.expect(`PASS ${PASSWORD}`, 503);
    await client.expect("PWD", 530);
  });
});

test("TYPE A, I and L 8 are accepted; TYPE X is 504", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE A", 200);
    await client.expect("TYPE I", 200);
    await client.expect("TYPE L 8", 200);
    await client.expect("TYPE X", 504);
  });
});

test("TYPE A translates line ends, TYPE I does not", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    writeFileSync(join(fx.root, "t.txt"), "a\nb\r\nc\n");
    await client.expect("TYPE A", 200);
    assert.equal(Buffer.from(await client.retr("t.txt")).toString(), "a\r\nb\r\nc\r\n");
    await client.stor("up.txt", "x\r\ny\r\n");
    assert.equal(text(join(fx.root, "up.txt")), "x\ny\n");
    await client.expect("TYPE I", 200);
    assert.equal(Buffer.from(await client.retr("t.txt")).toString(), "a\nb\r\nc\n");
  });
});

test("MODE S and STRU F are accepted; MODE B is 504", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loggedIn(open);
    await client.expect("MODE S", 200);
    await client.expect("STRU F", 200);
    await client.expect("MODE B", 504);
  });
});

test("after EPSV ALL, PASV is 501 and EPSV still works", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    writeFileSync(join(fx.root, "seen.txt"), "");
    await client.expect("EPSV ALL", 200);
    await client.expect("PASV", 501);
    assert.match(await client.list(), /seen\.txt/);
  });
});

test("FEAT is a multi-line 211 listing sorted features", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    const reply = await client.send("FEAT");
    assertMultiLine(reply, 211);
    const features = body(reply);
    assert.deepEqual(features, [...features].sort());
    for (const feature of ["EPSV", "MDTM", "REST STREAM", "SIZE", "TVFS", "UTF8"]) {
      assert.ok(features.includes(feature), `FEAT lacks ${feature}: ${features.join(", ")}`);
    }
    assert.ok(features.some((feature) => /^MLST (\w[\w.]*\*?;)+$/.test(feature)), features.join(", "));
  });
});

test("HELP lists commands and every listed verb is implemented", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loggedIn(open);
    const reply = await client.send("HELP");
    assertMultiLine(reply, 214);
    const verbs = body(reply).join(" ").split(/\s+/).filter((word) => /^[A-Z]{3,4}$/.test(word));
    assert.ok(verbs.length >= 30, `HELP lists only ${verbs.join(" ")}`);
    for (const verb of ["USER", "PASS", "RETR", "STOR", "LIST", "MLSD", "EPSV", "FEAT", "QUIT"]) {
      assert.ok(verbs.includes(verb), `HELP lacks ${verb}: ${verbs.join(" ")}`);
    }
    assert.equal((await client.expect("HELP RETR", 214)).lines[0].includes("RETR"), true);
    await client.expect("HELP NOSUCH", 501);
    for (const verb of verbs.filter((verb) => verb !== "QUIT")) {
      const answer = await client.send(verb);
      assert.notEqual(answer.code, 500, `${verb} is listed by HELP but answers ${answer.lines[0]}`);
      // A prepared data channel would make the next bare transfer verb wait
      // for a connection; drop it.
      if (answer.code === 227 || answer.code === 229) await client.expect("ABOR", 225);
    }
    await client.quit();
  });
});

test("MLST of a file is a 250 multi-line reply with the full path", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    mkdirSync(join(fx.root, "dir"));
    writeFileSync(join(fx.root, "dir", "a.txt"), "hello");
    const client = await loggedIn(open);
    await client.expect("CWD /dir", 250);
    const reply = await client.expect("MLST a.txt", 250);
    assert.equal(reply.lines.length, 3);
    assert.ok(reply.lines[0].startsWith("250-"));
    assert.ok(reply.lines[2].startsWith("250 "));
    const facts = reply.lines[1];
    assert.ok(facts.startsWith(" "), facts);
    assert.ok(facts.endsWith("; /dir/a.txt"), facts);
    assert.match(facts, /(^ |;)type=file;/);
    assert.match(facts, /;size=5;/);
    await client.expect("MLST missing.txt", 550);
  });
});

test("REST then RETR resumes at the offset, once", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "r.txt"), "hello world");
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    await client.expect("REST 6", 350);
    assert.equal(Buffer.from(await client.retr("r.txt")).toString(), "world");
    assert.equal(Buffer.from(await client.retr("r.txt")).toString(), "hello world");
    await client.expect("REST 12", 350);
    const data = await client.pasv();
    await client.expect("RETR r.txt", 554);
    data.destroy();
    await client.expect("REST abc", 501);
  });
});

test("REST in ASCII mode is refused with 501", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE A", 200);
    await client.expect("REST 3", 501);
  });
});

test("APPE appends; STOR over an existing file replaces it", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    await client.stor("f.txt", "one");
    await client.stor("f.txt", "two", "APPE");
    assert.equal(text(join(fx.root, "f.txt")), "onetwo");
    await client.stor("new.txt", "fresh", "APPE");
    assert.equal(text(join(fx.root, "new.txt")), "fresh");
    writeFileSync(join(fx.root, "long.txt"), "a much longer content");
    await client.stor("long.txt", "short");
    assert.equal(text(join(fx.root, "long.txt")), "short");
  });
});

test("RNFR/RNTO renames; RNTO without RNFR is 503", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "a.txt"), "A");
    const client = await loggedIn(open);
    await client.expect("RNTO b.txt", 503);
    await client.expect("RNFR a.txt", 350);
    await client.expect("RNTO b.txt", 250);
    assert.equal(existsSync(join(fx.root, "a.txt")), false);
    assert.equal(text(join(fx.root, "b.txt")), "A");
    // RNFR is only good for the very next command.
    await client.expect("RNFR b.txt", 350);
    await client.expect("NOOP", 200);
    await client.expect("RNTO c.txt", 503);
    assert.equal(existsSync(join(fx.root, "c.txt")), false);
    await client.expect("RNFR missing.txt", 550);
  });
});

test("DELE, MKD and RMD change the disk", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "gone.txt"), "x");
    const client = await loggedIn(open);
    await client.expect("DELE gone.txt", 250);
    assert.equal(existsSync(join(fx.root, "gone.txt")), false);
    await client.expect("DELE gone.txt", 550);
    const made = await client.expect("MKD sub", 257);
    assert.match(made.lines[0], /^257 "\/sub"/);
    assert.ok(statSync(join(fx.root, "sub")).isDirectory());
    await client.expect("MKD sub", 550);
    writeFileSync(join(fx.root, "sub", "inner.txt"), "x");
    await client.expect("RMD sub", 550);
    assert.ok(existsSync(join(fx.root, "sub", "inner.txt")));
    await client.expect("DELE sub/inner.txt", 250);
    await client.expect("RMD sub", 250);
    assert.equal(existsSync(join(fx.root, "sub")), false);
  });
});

test("RMD / is 550", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    await client.expect("RMD /", 550);
    await client.expect("RMD ..", 550);
    assert.ok(statSync(fx.root).isDirectory());
  });
});

test("MKD of a name with a double quote doubles it in the 257 reply", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    const reply = await client.expect('MKD say "hi"', 257);
    assert.match(reply.lines[0], /^257 "\/say ""hi""" /);
    assert.ok(statSync(join(fx.root, 'say "hi"')).isDirectory());
    await client.expect('CWD say "hi"', 250);
    assert.match((await client.expect("PWD", 257)).lines[0], /^257 "\/say ""hi""" /);
  });
});

test("a name containing CR or NUL is refused with 501 and nothing is touched", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    for (const name of ["a", "b", "a\rb"]) writeFileSync(join(fx.root, name), name);
    const client = await loggedIn(open);
    await client.sendRaw("DELE a\rb\r\n");
    await client.expectReply(501);
    await client.sendRaw("MKD c\rd\r\n");
    await client.expectReply(501);
    await client.sendRaw("DELE a\0b\r\n");
    const nul = await client.expectReply(501);
    assert.ok(!nul.lines.join("").includes("\0"), "the name is not echoed");
    await client.sendRaw("MKD c\0d\r\n");
    await client.expectReply(501);
    for (const name of ["a", "b", "a\rb"]) assert.equal(text(join(fx.root, name)), name);
    assert.equal(existsSync(join(fx.root, "c\rd")), false);
    assert.equal(existsSync(join(fx.root, "c")), false);
    await client.expect("NOOP", 200);
  });
});

test("ABOR with nothing running is 225", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loggedIn(open);
    await client.expect("ABOR", 225);
    await client.expect("NOOP", 200);
  });
});

test("ABOR during a large RETR gives 426 then 226, and the session goes on", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "big.bin"), Buffer.alloc(BIG_SIZE, 7));
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    const data = await client.epsv();
    // A slow reader: nothing is read, so the server is stuck on backpressure.
    data.pause();
    data.on("error", () => {});
    await client.expect("RETR big.bin", 150);
    await sleep(200);
    await client.expect("ABOR", 426);
    await client.expectReply(226, "ABOR");
    data.destroy();
    await client.expect("NOOP", 200);
    writeFileSync(join(fx.root, "small.txt"), "still works");
    assert.equal(Buffer.from(await client.retr("small.txt")).toString(), "still works");
  });
});

test("QUIT gets 221 and the server closes the connection", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loggedIn(open);
    await client.expect("QUIT", 221);
    await within(client.closed, 5000, "server closing after QUIT");
  });
});

test("STAT without argument is a multi-line 211", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    assertMultiLine(await client.send("STAT"), 211);
    await client.login(USER, PASSWORD);
    const reply = await client.send("STAT");
    assertMultiLine(reply, 211);
    assert.ok(body(reply).some((line) => line.includes(USER)), reply.lines.join("\n"));
  });
});

test("a data connection to the PASV port from the right client works", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "p.txt"), "passive");
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    const reply = await client.expect("PASV", 227);
    assert.match(reply.lines[0], /\(127,0,0,1,\d+,\d+\)/);
    const data = await connectTcp(pasvPort(reply));
    const received = readAll(data);
    await client.expect("RETR p.txt", 150);
    assert.equal(Buffer.from(await received).toString(), "passive");
    await client.expectReply(226);
  });
});

test("a data connection from another address is refused; the client's own still works", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "p.txt"), "mine");
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    const port = pasvPort(await client.expect("PASV", 227));
    const thief = await connectTcp(port, "127.0.0.2");
    assert.equal(thief.localAddress, "127.0.0.2");
    const stolen = await within(readAll(thief).catch(() => new Uint8Array(0)), 5000, "foreign peer closed");
    assert.equal(stolen.length, 0);
    const data = await connectTcp(port);
    const received = readAll(data);
    await client.expect("RETR p.txt", 150);
    assert.equal(Buffer.from(await received).toString(), "mine");
    await client.expectReply(226);
  });
});

test("the server keeps serving after clients vanish mid-upload and mid-download", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "big.bin"), Buffer.alloc(BIG_SIZE, 1));

    const uploader = await loggedIn(open);
    await uploader.expect("TYPE I", 200);
    const up = await uploader.epsv();
    up.on("error", () => {});
    await uploader.expect("STOR partial.bin", 150);
    up.write(Buffer.alloc(1024 * 1024, 2));
    await sleep(50);
    up.destroy();
    uploader.close();

    const downloader = await loggedIn(open);
    await downloader.expect("TYPE I", 200);
    const down = await downloader.epsv();
    down.on("error", () => {});
    await downloader.expect("RETR big.bin", 150);
    await new Promise((resolve) => down.once("data", resolve));
    down.destroy();
    downloader.close();

    await waitFor(() => fx.server.connectionCount === 0, 5000, "sessions closed");
    const fresh = await loggedIn(open);
    await fresh.expect("TYPE I", 200);
    await fresh.stor("after.txt", "ok");
    assert.equal(Buffer.from(await fresh.retr("after.txt")).toString(), "ok");
    assert.equal(statSync(join(fx.root, "big.bin")).size, BIG_SIZE);
  });
});

test("a client vanishing mid-upload brings connectionCount back to 0", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    const data = await client.epsv();
    data.on("error", () => {});
    await client.expect("STOR partial.bin", 150);
    await new Promise<void>((resolve) => data.write(Buffer.alloc(256 * 1024, 3), () => resolve()));
    assert.equal(fx.server.connectionCount, 1);
    client.close();
    await waitFor(() => fx.server.connectionCount === 0, 5000, "session closed");
    // The abandoned upload left no handle open: the file can be replaced.
    const next = await loggedIn(open);
    await next.expect("TYPE I", 200);
    await next.stor("partial.bin", "whole");
    assert.equal(text(join(fx.root, "partial.bin")), "whole");
    data.destroy();
  });
});

test("a complete binary upload and download round-trips byte for byte", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
    const data = await client.epsv();
    await client.expect("STOR bin.dat", 150);
    await writeAndEnd(data, bytes);
    await client.expectReply(226);
    assert.deepEqual(new Uint8Array(readFileSync(join(fx.root, "bin.dat"))), bytes);
    assert.deepEqual(new Uint8Array(await client.retr("bin.dat")), bytes);
  });
});

test("a transfer without PASV/EPSV is refused with 425 before storage is touched", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    writeFileSync(join(fx.root, "keep.txt"), "precious");
    for (const command of ["STOR keep.txt", "APPE keep.txt", "RETR keep.txt", "LIST", "NLST", "MLSD", "STOR new.txt"]) {
      await client.expect(command, 425);
    }
    assert.equal(text(join(fx.root, "keep.txt")), "precious");
    assert.ok(!existsSync(join(fx.root, "new.txt")));
    await client.expect("NOOP", 200);
  });
});
