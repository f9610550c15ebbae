import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { MemoryAuthorizer, MemoryFileSystem } from "../mod.ts";
import { PASSWORD, startFixture, USER } from "./_fixture.ts";
import { type FtpClient, type FtpReply, sleep, snapshot, withClients, writeAndEnd } from "./_ftp_client.ts";

async function loggedIn(open: () => Promise<FtpClient>, user = USER, password = PASSWORD): Promise<FtpClient> {
  const client = await open();
  await client.login(user, password);
  return client;
}

/** The middle lines of a multi-line reply, without their leading space. */
function body(reply: FtpReply): string[] {
  return reply.lines.slice(1, -1).map((line) => line.slice(1));
}

/** Names at the end of STAT's LIST lines. */
function statNames(reply: FtpReply): string[] {
  return body(reply).map((line) => line.split(/\s+/).slice(8).join(" "));
}

test("STOU stores under a fresh name and says which in a 150 FILE: reply", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "taken.txt"), "old");
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    const upload = async (command: string, content: string): Promise<string> => {
      const data = await client.epsv();
      const reply = await client.expect(command, 150);
      const match = /^150 FILE: (.+)$/.exec(reply.lines[0]);
      assert.ok(match, reply.lines[0]);
      await writeAndEnd(data, content);
      await client.expectReply(226);
      return match[1];
    };
    const free = await upload("STOU free.txt", "one");
    assert.equal(free, "free.txt");
    const renamed = await upload("STOU taken.txt", "two");
    assert.match(renamed, /^taken\.txt\.[0-9a-f]{8}$/);
    const unnamed = await upload("STOU", "three");
    assert.match(unnamed, /^stou\.[0-9a-f]{8}$/);
    assert.equal(readFileSync(join(fx.root, "taken.txt"), "utf8"), "old");
    assert.equal(readFileSync(join(fx.root, renamed), "utf8"), "two");
    assert.equal(readFileSync(join(fx.root, unnamed), "utf8"), "three");
    assert.equal(readFileSync(join(fx.root, free), "utf8"), "one");
  });
});

test("STOU needs the w permission and a data channel; refused, it creates nothing", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const before = snapshot(fx.root);
    const anonymous = await loggedIn(open, "anonymous", "a@b");
    await anonymous.expectRefused("STOU", 550);
    const client = await loggedIn(open);
    await client.expect("STOU", 425);
    assert.deepEqual(snapshot(fx.root), before);
  });
});

test("REIN logs out and resets parameters, after a running upload completes", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    await client.expect("CWD /", 250);
    const data = await client.epsv();
    await client.expect("STOR during-rein.txt", 150);
    await client.sendRaw("REIN\r\n");
    await writeAndEnd(data, "finished first");
    await client.expectReply(226, "upload before REIN");
    await client.expectReply(220, "REIN");
    assert.equal(readFileSync(join(fx.root, "during-rein.txt"), "utf8"), "finished first");
    await client.expect("PWD", 530);
    await client.login(USER, PASSWORD);
    // Back to the initial ASCII type: SIZE is refused again.
    writeFileSync(join(fx.root, "s.bin"), "12345");
    await client.expect("SIZE s.bin", 550);
  });
});

test("STAT during a transfer reports it and its progress", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await loggedIn(open);
    await client.expect("TYPE I", 200);
    const data = await client.epsv();
    await client.expect("STOR progress.bin", 150);
    data.write(Buffer.alloc(5000, 1));
    // Poll until the server has received the bytes; STAT must show them.
    let status: FtpReply = await client.expect("STAT", 211);
    const progress = /Transfer in progress: (\d+) bytes in [\d.]+ s \(STOR \/progress\.bin\)/;
    const deadline = Date.now() + 10_000;
    while (!status.lines.some((line) => progress.exec(line)?.[1] === "5000") && Date.now() < deadline) {
      await sleep(20);
      status = await client.expect("STAT", 211);
    }
    assert.ok(status.lines.some((line) => progress.exec(line)?.[1] === "5000"), JSON.stringify(status.lines));
    await writeAndEnd(data, "");
    await client.expectReply(226);
    const idle = await client.expect("STAT", 211);
    assert.ok(!idle.lines.some((line) => line.includes("Transfer in progress")));
  });
});

test("STAT with a wildcard lists matching entries of that one folder only", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    for (const name of ["a.txt", "b.txt", "c.log", "x*y"]) writeFileSync(join(fx.root, name), name);
    mkdirSync(join(fx.root, "sub"));
    writeFileSync(join(fx.root, "sub", "d.txt"), "d");
    const client = await loggedIn(open);
    assert.deepEqual(statNames(await client.expect("STAT *.txt", 213)), ["a.txt", "b.txt"]);
    assert.deepEqual(statNames(await client.expect("STAT -la *.txt", 213)), ["a.txt", "b.txt"]);
    assert.deepEqual(statNames(await client.expect("STAT /sub/?.txt", 213)), ["d.txt"]);
    assert.deepEqual(statNames(await client.expect("STAT [ab].*", 213)), ["a.txt", "b.txt"]);
    assert.deepEqual(statNames(await client.expect("STAT [!ab]*", 213)), ["c.log", "sub", "x*y"]);
    // A name that exists literally is itself, not a pattern.
    assert.deepEqual(statNames(await client.expect("STAT x*y", 213)), ["x*y"]);
    assert.deepEqual(statNames(await client.expect("STAT *.none", 213)), []);
    // Wildcards in a folder part are literal names, not patterns.
    await client.expect("STAT */d.txt", 550);
  });
});

test("STAT output is bounded: a huge folder ends with a pointer to LIST", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    for (let i = 0; i < 1005; i++) writeFileSync(join(fx.root, `f${String(i).padStart(4, "0")}`), "");
    const client = await loggedIn(open);
    const reply = await client.expect("STAT f*", 213);
    const lines = body(reply);
    assert.equal(lines.length, 1001);
    assert.equal(lines.at(-1), "... 5 more entries; use LIST.");
  });
});

test("SITE HELP lists CHMOD; SITE CHMOD changes the bits, needs M, refuses bad input", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "m.txt"), "m");
    const client = await loggedIn(open);
    const help = await client.expect("SITE HELP", 214);
    assert.ok(body(help).some((line) => line.trim().startsWith("SITE CHMOD")), JSON.stringify(help.lines));
    await client.expect("SITE HELP CHMOD", 214);
    await client.expect("SITE CHMOD 600 m.txt", 200);
    assert.equal(statSync(join(fx.root, "m.txt")).mode & 0o777, 0o600);
    await client.expect("SITE CHMOD 9 m.txt", 501);
    await client.expect("SITE CHMOD 644", 501);
    await client.expect("SITE CHMOD 644 missing.txt", 550);
    await client.expect("SITE NONSENSE", 500);
    await client.expect("SITE CHMOD 644 bad\0name", 501);
    const anonymous = await loggedIn(open, "anonymous", "a@b");
    await anonymous.expect("SITE CHMOD 777 m.txt", 550);
    assert.equal(statSync(join(fx.root, "m.txt")).mode & 0o777, 0o600);
    const stranger = await open();
    await stranger.expect("SITE HELP", 214);
    await stranger.expect("SITE CHMOD 777 m.txt", 530);
  });
});

test("MFMT sets the modification time (UTC), needs T, refuses bad times", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const file = join(fx.root, "t.txt");
    writeFileSync(file, "t");
    utimesSync(file, new Date(Date.UTC(2001, 0, 1)), new Date(Date.UTC(2001, 0, 1)));
    const client = await loggedIn(open);
    const reply = await client.expect("MFMT 20200102030405 t.txt", 213);
    assert.equal(reply.lines[0], "213 Modify=20200102030405; /t.txt");
    assert.equal(statSync(file).mtimeMs, Date.UTC(2020, 0, 2, 3, 4, 5));
    await client.expect("MDTM t.txt", 213).then((mdtm) => assert.equal(mdtm.lines[0], "213 20200102030405"));
    for (const bad of ["MFMT 20201302030405 t.txt", "MFMT 20200230030405 t.txt", "MFMT 2020 t.txt", "MFMT 20200102030405"]) {
      await client.expect(bad, 501);
    }
    await client.expect("MFMT 20200102030405 missing.txt", 550);
    const anonymous = await loggedIn(open, "anonymous", "a@b");
    await anonymous.expect("MFMT 19990102030405 t.txt", 550);
    assert.equal(statSync(file).mtimeMs, Date.UTC(2020, 0, 2, 3, 4, 5));
  });
});

test("HASH answers SHA-256 by default; OPTS HASH switches; X-forms answer 250", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const content = Buffer.alloc(300_000);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) & 0xff;
    writeFileSync(join(fx.root, "h.bin"), content);
    mkdirSync(join(fx.root, "dir"));
    const digest = (name: string) => createHash(name).update(content).digest("hex");
    const client = await loggedIn(open);
    assert.equal((await client.expect("HASH h.bin", 213)).lines[0], `213 SHA-256 0-300000 ${digest("sha256")} /h.bin`);
    assert.equal((await client.expect("OPTS HASH", 200)).lines[0], "200 SHA-256");
    for (const [name, node] of [["SHA-512", "sha512"], ["SHA-1", "sha1"], ["MD5", "md5"]]) {
      assert.equal((await client.expect(`OPTS HASH ${name.toLowerCase()}`, 200)).lines[0], `200 ${name}`);
      assert.equal((await client.expect("HASH h.bin", 213)).lines[0], `213 ${name} 0-300000 ${digest(node)} /h.bin`);
    }
    const feat = await client.expect("FEAT", 211);
    assert.ok(feat.lines.includes(" HASH SHA-1;SHA-256;SHA-512;MD5*;CRC32"), JSON.stringify(feat.lines));
    await client.expect("OPTS HASH CRC32", 200);
    const crc = (await client.expect("HASH h.bin", 213)).lines[0].split(" ")[3];
    assert.match(crc, /^[0-9a-f]{8}$/);
    await client.expect("OPTS HASH SHA-3", 504);
    assert.equal((await client.expect("XCRC h.bin", 250)).lines[0], `250 ${crc.toUpperCase()}`);
    assert.equal((await client.expect("XMD5 h.bin", 250)).lines[0], `250 ${digest("md5")}`);
    assert.equal((await client.expect("XSHA1 h.bin", 250)).lines[0], `250 ${digest("sha1")}`);
    assert.equal((await client.expect("XSHA256 h.bin", 250)).lines[0], `250 ${digest("sha256")}`);
    assert.equal((await client.expect("XSHA512 h.bin", 250)).lines[0], `250 ${digest("sha512")}`);
    await client.expect("HASH dir", 550);
    await client.expect("HASH missing.bin", 550);
    // The known CRC-32 check value.
    writeFileSync(join(fx.root, "check.txt"), "123456789");
    assert.equal((await client.expect("XCRC check.txt", 250)).lines[0], "250 CBF43926");
  });
});

test("HOST before login selects a virtual host's users and files; unknown is 504, late is 503", async () => {
  const site = new MemoryFileSystem({ files: { "/site.txt": "virtual" } });
  const fixture = await startFixture({
    virtualHosts: {
      "FTP.Example.org": {
        fs: site,
        banner: "Welcome to example.org.",
        authorizer: new MemoryAuthorizer({ users: { ann: { password: "pw", permissions: "elr" } } }),
      },
      "192.0.2.1": {},
    },
  });
  await withClients(fixture, async (fx, open) => {
    writeFileSync(join(fx.root, "main.txt"), "main");
    const client = await open();
    await client.expect("HOST nowhere.example", 504);
    const reply = await client.expect("HOST ftp.example.ORG", 220);
    assert.equal(reply.lines[0], "220 Welcome to example.org.");
    // The default host's user is unknown on this one.
    await client.expect(`USER ${USER}`, 331);
    await client.expect(`PASS ${PASSWORD}`, 530);
    await client.login("ann", "pw");
    await client.expect("HOST ftp.example.org", 503);
    await client.expect("TYPE I", 200);
    assert.equal(Buffer.from(await client.retr("site.txt")).toString(), "virtual");
    // REIN forgets the host.
    await client.expect("REIN", 220);
    await client.login(USER, PASSWORD);
    await client.expect("TYPE I", 200);
    assert.equal(Buffer.from(await client.retr("main.txt")).toString(), "main");

    const literal = await open();
    await literal.expect("HOST [192.0.2.1]", 220);
    await literal.login(USER, PASSWORD);
    const afterUser = await open();
    await afterUser.expect(`USER ${USER}`, 331);
    await afterUser.expect("HOST ftp.example.org", 503);
  });
});

test("HOST without virtual hosts accepts any name", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    await client.expect("HOST anything.example", 220);
    await client.login(USER, PASSWORD);
  });
});

test("CLNT is noted, ACCT is superfluous (202), SMNT is not implemented (502) and not in HELP", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    await client.expect("CLNT curl 8.0", 200);
    await client.login(USER, PASSWORD);
    await client.expect("ACCT billing", 202);
    await client.expect("SMNT /mnt", 502);
    const help = await client.expect("HELP", 214);
    assert.ok(!help.lines.join(" ").split(/\s+/).includes("SMNT"), JSON.stringify(help.lines));
    assert.ok(help.lines.join(" ").split(/\s+/).includes("STOU"), JSON.stringify(help.lines));
    assert.match((await client.expect("HELP MFMT", 214)).lines[0], /^214 Syntax: MFMT/);
  });
});

test("FEAT lists exactly the implemented extensions, sorted", async () => {
  await withClients(await startFixture(), async (_fx, open) => {
    const client = await open();
    const features = body(await client.expect("FEAT", 211));
    assert.deepEqual(features, [...features].sort());
    for (const expected of ["EPRT", "EPSV", "HOST", "MFMT", "CLNT", "XCRC", "XMD5", "XSHA1", "XSHA256", "XSHA512"]) {
      assert.ok(features.includes(expected), `${expected} in ${JSON.stringify(features)}`);
    }
    assert.ok(features.includes("HASH SHA-1;SHA-256*;SHA-512;MD5;CRC32"), JSON.stringify(features));
  });
});

test("AVBL tells the free space of a real folder; storage that can't tell gets 502 and no FEAT line", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "f.txt"), "f");
    const client = await loggedIn(open);
    const reply = await client.expect("AVBL", 213);
    const free = Number(reply.lines[0].slice(4));
    const { bavail, bsize, blocks } = await statfs(fx.root);
    assert.ok(Number.isSafeInteger(free) && free > 0 && free <= blocks * bsize, reply.lines[0]);
    // Others write to this disk too: only the order of magnitude is stable.
    assert.ok(Math.abs(free - bavail * bsize) < 0.1 * blocks * bsize, `${free} vs ${bavail * bsize}`);
    await client.expect("AVBL /", 213);
    await client.expect("AVBL f.txt", 550);
    await client.expect("AVBL missing", 550);
    assert.ok(body(await client.expect("FEAT", 211)).includes("AVBL"));
  });
  const memory = await startFixture({ fs: new MemoryFileSystem() });
  await withClients(memory, async (_fx, open) => {
    const client = await loggedIn(open);
    await client.expect("AVBL", 502);
    assert.ok(!body(await client.expect("FEAT", 211)).includes("AVBL"));
  });
});

test("RFC 775 X-forms XPWD, XCWD, XCUP, XMKD, XRMD act as their RFC 959 commands; ALLO is 202", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    const client = await loggedIn(open);
    assert.equal((await client.expect("XMKD made", 257)).lines[0], '257 "/made" directory created.');
    await client.expect("XCWD made", 250);
    assert.match((await client.expect("XPWD", 257)).lines[0], /^257 "\/made"/);
    await client.expect("XCUP", 250);
    assert.match((await client.expect("XPWD", 257)).lines[0], /^257 "\/"/);
    await client.expect("XRMD made", 250);
    assert.equal(existsSync(join(fx.root, "made")), false);
    await client.expect("ALLO 1000", 202);
  });
});
