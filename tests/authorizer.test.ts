import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  type AccountLimits,
  type Authorizer,
  type Connection,
  FtpServer,
  type FtpServerOptions,
  hashPassword,
  MemoryAuthorizer,
  MemoryFileSystem,
  permissionsAt,
  silentLogger,
  verifyPassword,
} from "../mod.ts";
import { Security } from "../src/security.ts";
import { snapshot, withClients } from "./_ftp_client.ts";

/** Cheap hashes: these tests check the logic, not the cost. */
const ITERATIONS = 1000;

async function start(options: FtpServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = await FtpServer.start({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    failedLoginDelayMs: 0,
    ...options,
  });
  return { port: server.address.port, close: () => server.close() };
}

function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), "tsftpd-auth-"));
}

test("permissionsAt: the deepest covering override wins; non-recursive ones cover direct children only", () => {
  const account = {
    permissions: "elr",
    permissionOverrides: [
      { path: "/incoming", permissions: "elrw" },
      { path: "/pub", permissions: "el", recursive: true },
      { path: "/pub/open", permissions: "elrw" },
    ],
  };
  assert.equal(permissionsAt(account, "/"), "elr");
  assert.equal(permissionsAt(account, "/a.txt"), "elr");
  assert.equal(permissionsAt(account, "/incoming"), "elrw");
  assert.equal(permissionsAt(account, "/incoming/a.txt"), "elrw");
  assert.equal(permissionsAt(account, "/incoming/sub/a.txt"), "elr", "not recursive");
  assert.equal(permissionsAt(account, "/incomingx/a.txt"), "elr", "a sibling with the same prefix");
  assert.equal(permissionsAt(account, "/pub/a/b/c.txt"), "el", "recursive");
  assert.equal(permissionsAt(account, "/pub/open/x.txt"), "elrw", "deeper override");
  assert.equal(permissionsAt(account, "/pub/open/deeper/x.txt"), "el", "deeper one is not recursive");
  assert.equal(permissionsAt({ permissions: "elr" }, "/x"), "elr");
});

test("permission overrides hold over the wire, and refusals leave storage alone", async () => {
  const fs = new MemoryFileSystem({ files: { "/pub/secret.txt": "s", "/incoming/sub/keep.txt": "k", "/top.txt": "t" } });
  const authorizer = new MemoryAuthorizer({
    users: {
      bob: {
        password: "pw",
        permissions: "elr",
        permissionOverrides: [
          { path: "/incoming", permissions: "elrwm" },
          { path: "/pub", permissions: "el", recursive: true },
        ],
      },
    },
  });
  const server = await start({ fs, authorizer });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("bob", "pw");
    await client.expect("TYPE I", 200);
    await client.expectRefused("STOR /top.txt");
    await client.expectRefused("STOR /incoming/sub/new.txt");
    await client.expectRefused("RETR /pub/secret.txt");
    await client.expect("MKD /new", 550);
    await client.expect("CWD /incoming", 250);
    await client.expectRefused("STOR sub/keep.txt");
    assert.equal((await fs.stat("/top.txt")).size, 1);
    assert.equal((await fs.stat("/incoming/sub/keep.txt")).size, 1);
    await assert.rejects(fs.stat("/incoming/sub/new.txt"), { code: "ENOENT" });
    await assert.rejects(fs.stat("/new"), { code: "ENOENT" });

    await client.stor("up.txt", "uploaded");
    assert.equal((await fs.stat("/incoming/up.txt")).size, 8);
    await client.expect("MKD made", 257);
    assert.equal(new TextDecoder().decode(await client.retr("/top.txt")), "t");
    assert.match(await client.list("/pub"), /secret\.txt/, "listing /pub is allowed");
    const facts = (await client.expect("MLST /incoming/up.txt", 250)).lines[1];
    assert.match(facts, /perm=[a-z]*w/, `upload allowed there: ${facts}`);
    const topFacts = (await client.expect("MLST /top.txt", 250)).lines[1];
    assert.doesNotMatch(topFacts, /perm=[a-zA-Z]*w/, `no upload at the top: ${topFacts}`);
  });
});

test("hashPassword makes a PBKDF2-SHA256 string that verifyPassword accepts, and salts each hash", async () => {
  const hash = await hashPassword("correct horse", { iterations: ITERATIONS });
  assert.match(hash, /^\$pbkdf2-sha256\$i=1000\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.equal(await verifyPassword(hash, "correct horse"), true);
  assert.equal(await verifyPassword(hash, "correct horsf"), false);
  assert.equal(await verifyPassword(hash, ""), false);
  assert.notEqual(await hashPassword("correct horse", { iterations: ITERATIONS }), hash);
  await assert.rejects(verifyPassword("plain", "plain"), TypeError);
  await assert.rejects(hashPassword("x", { iterations: 0 }), RangeError);
});

test("MemoryAuthorizer: hashed passwords log in over the wire; a user needs a hash or an explicit plain password", async () => {
  const authorizer = new MemoryAuthorizer({
    users: {
      carol: { passwordHash: await hashPassword("h4sh", { iterations: ITERATIONS }), permissions: "elr" },
      dave: { password: "plain" },
    },
  });
  assert.throws(() => authorizer.addUser("eve", { passwordHash: "nope" }), TypeError);
  assert.throws(() => authorizer.addUser("eve", {} as never), TypeError);
  assert.throws(() => authorizer.addUser("eve", { password: "x", permissions: "elrq" }), TypeError);
  assert.throws(
    () => authorizer.addUser("eve", { password: "x", permissionOverrides: [{ path: "rel", permissions: "e" }] }),
    TypeError,
  );
  const server = await start({ fs: new MemoryFileSystem(), authorizer });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.expect("USER carol", 331);
    await client.expect("PASS wrong", 530);
    await client.expect("USER carol", 331);
    await client.expect("PASS $pbkdf2-sha256", 530);
    await client.login("carol", "h4sh");
    const other = await open();
    await other.expect("USER nobody", 331);
    await other.expect("PASS h4sh", 530);
    await other.login("dave", "plain");
  });
});

function writeUsersFile(folder: string, content: unknown): string {
  const path = join(folder, "users.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

test("MemoryAuthorizer.fromFile: users with hashes, relative homes and overrides, served over the wire", async () => {
  const folder = tempFolder();
  try {
    mkdirSync(join(folder, "homes", "alice", "ro"), { recursive: true });
    mkdirSync(join(folder, "public"));
    writeFileSync(join(folder, "public", "readme.txt"), "public");
    const path = writeUsersFile(folder, {
      users: {
        alice: {
          passwordHash: await hashPassword("alice pw", { iterations: ITERATIONS }),
          permissions: "elradfmw",
          home: "homes/alice",
          permissionOverrides: [{ path: "/ro", permissions: "elr", recursive: true }],
          loginMessage: "Hello Alice.",
        },
      },
      anonymous: { permissions: "elr", home: join(folder, "public") },
    });
    const authorizer = await MemoryAuthorizer.fromFile(path);
    const server = await start({ fs: new MemoryFileSystem(), authorizer });
    await withClients(server, async (_, open) => {
      const alice = await open();
      await alice.expect("USER alice", 331);
      const welcome = await alice.expect("PASS alice pw", 230);
      assert.match(welcome.lines[0], /Hello Alice\./);
      await alice.expect("TYPE I", 200);
      await alice.stor("mine.txt", "in alice's home");
      assert.equal(readFileSync(join(folder, "homes", "alice", "mine.txt"), "utf8"), "in alice's home");
      await alice.expect("MKD rw", 257);
      await alice.expectRefused("STOR /ro/x.txt");
      const anonymous = await open();
      await anonymous.login("anonymous", "guest@");
      await anonymous.expect("TYPE I", 200);
      assert.equal(new TextDecoder().decode(await anonymous.retr("readme.txt")), "public");
      await anonymous.expectRefused("STOR up.txt");
    });
    assert.deepEqual(snapshot(join(folder, "public")).map((line) => line.split(" ")[0]), ["readme.txt"]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("MemoryAuthorizer.fromFile: plain-text passwords only when allowed; bad files are clear errors", async () => {
  const folder = tempFolder();
  try {
    const plain = writeUsersFile(folder, { users: { bob: { password: "pw" } } });
    await assert.rejects(MemoryAuthorizer.fromFile(plain), /users\.bob: plain-text "password" refused/);
    const allowed: Authorizer = await MemoryAuthorizer.fromFile(plain, { allowPlainTextPasswords: true });
    assert.ok(allowed);
    const cases: [unknown, RegExp][] = [
      ["{ not json", /users file .*users\.json: /],
      [[], /must hold a JSON object/],
      [{ users: { bob: { passwordHash: "x", pasword: "typo" } } }, /unknown field "pasword"/],
      [{ users: { bob: {} } }, /users\.bob needs "passwordHash"/],
      [{ users: { bob: { passwordHash: "nope" } } }, /passwordHash is not a \$pbkdf2-sha256\$ hash/],
      [{ users: { bob: { password: "pw", permissions: "elrZ" } } }, /Unknown permission letter "Z"/],
      [{ users: { bob: { password: "pw", permissionOverrides: [{ path: "/x" }] } } }, /needs "path" and "permissions"/],
      [{ anonymous: "yes" }, /"anonymous" must be true, false or an object/],
    ];
    for (const [content, expected] of cases) {
      const path = writeUsersFile(folder, content);
      await assert.rejects(MemoryAuthorizer.fromFile(path, { allowPlainTextPasswords: true }), expected);
    }
    await assert.rejects(MemoryAuthorizer.fromFile(join(folder, "missing.json")), /users file .*missing\.json/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("custom commands: a new verb and a SITE subcommand with permission, help text and feature", async () => {
  const fs = new MemoryFileSystem({ files: { "/a.txt": "hello", "/locked/b.txt": "b" } });
  const seen: string[] = [];
  const server = await start({
    fs,
    authorizer: new MemoryAuthorizer({
      users: { bob: { password: "pw", permissions: "elr", permissionOverrides: [{ path: "/locked", permissions: "el" }] } },
    }),
    commands: [{
      verb: "whoami",
      syntax: "WHOAMI (who you are logged in as)",
      argument: "none",
      features: ["WHOAMI"],
      handle: (session) => session.reply(200, `You are ${session.user?.account.username}.`),
    }],
    siteCommands: [{
      verb: "size2",
      argument: "required",
      permission: "r",
      path: (argument) => argument.slice(argument.indexOf(" ") + 1),
      syntax: "SITE SIZE2 <unit> <path> (size of a file)",
      async handle(session, argument) {
        seen.push(argument);
        const stat = await session.fs.stat(session.resolve(argument.slice(argument.indexOf(" ") + 1)));
        await session.reply(200, `${stat.size} ${argument.split(" ")[0]}`);
      },
    }],
  });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.expect("WHOAMI", 530);
    await client.expect("SITE SIZE2 bytes a.txt", 530);
    const siteHelp = await client.expect("SITE HELP", 214);
    assert.match(siteHelp.lines.join("\n"), /SITE SIZE2 <unit> <path>/);
    assert.match(siteHelp.lines.join("\n"), /SITE HELP/);
    await client.login("bob", "pw");
    assert.equal((await client.expect("whoami", 200)).lines[0], "200 You are bob.");
    await client.expect("WHOAMI extra", 501);
    assert.equal((await client.expect("site size2 bytes a.txt", 200)).lines[0], "200 5 bytes");
    await client.expect("SITE SIZE2 bytes locked/b.txt", 550);
    await client.expect("SITE SIZE2", 501);
    await client.expect("SITE NOPE", 500);
    assert.deepEqual(seen, ["bytes a.txt"], "the refused calls never reached the handler");
    assert.match((await client.expect("HELP", 214)).lines.join("\n"), /WHOAMI/);
    assert.match((await client.expect("HELP WHOAMI", 214)).lines[0], /WHOAMI \(who you are logged in as\)/);
    assert.match((await client.expect("SITE HELP SIZE2", 214)).lines[0], /SITE SIZE2/);
    const feat = await client.expect("FEAT", 211);
    assert.ok(feat.lines.includes(" WHOAMI"), feat.lines.join("\n"));
  });
});

test("custom commands: a handler that throws a plain error gets 451 and the session goes on", async () => {
  const server = await start({
    fs: new MemoryFileSystem(),
    authorizer: new MemoryAuthorizer({ anonymous: true }),
    commands: [{ verb: "BOOM", login: false, syntax: "BOOM", handle: () => { throw new Error("kaput"); } }],
  });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.expect("BOOM", 451);
    await client.expect("NOOP", 200);
  });
});

test("account limits: maxSessions, quota and rate limits from the account replace the server's", async () => {
  const fs = new MemoryFileSystem();
  const authorizer = new MemoryAuthorizer({
    users: {
      gus: { password: "pw", permissions: "elrw", limits: { maxSessions: 1, maxBytes: 10 } },
      hal: { password: "pw", permissions: "elrw" },
    },
  });
  const server = await start({ fs, authorizer, maxSessionsPerUser: 5 });
  await withClients(server, async (_, open) => {
    const first = await open();
    await first.login("gus", "pw");
    const second = await open();
    await second.expect("USER gus", 331);
    assert.match((await second.expect("PASS pw", 530)).lines[0], /Too many sessions/);
    await first.expect("TYPE I", 200);
    await first.stor("small.txt", "12345");
    const data = await first.epsv();
    await first.expect("STOR big.txt", 150);
    data.end("x".repeat(100));
    await first.expectReply(552);
    const third = await open();
    await third.login("hal", "pw");
    const fourth = await open();
    await fourth.login("hal", "pw"); // the server's limit (5) still holds for others
  });
  assert.equal((await fs.stat("/small.txt")).size, 5);
});

test("account limits: a session's transfers are throttled only when the account or the server says so", () => {
  const security = new Security();
  const connection = { closed: Promise.resolve() } as unknown as Connection;
  assert.equal(security.throttle(connection, "gus"), connection);
  assert.equal(security.throttle(connection, "gus", { maxSessions: 1 } as AccountLimits), connection);
  assert.notEqual(security.throttle(connection, "gus", { writeLimit: 1000 }), connection);
  assert.notEqual(new Security({ throttle: { readLimit: 1000 } }).throttle(connection, "gus", {}), connection);
});

test("MemoryAuthorizer.fromFile: limits and tlsRequired are read and checked", async () => {
  const folder = tempFolder();
  try {
    const good = writeUsersFile(folder, {
      users: { ivy: { password: "pw", tlsRequired: true, limits: { maxSessions: 2, writeLimit: 1000, maxFiles: 3 } } },
    });
    const authorizer = await MemoryAuthorizer.fromFile(good, { allowPlainTextPasswords: true });
    const account = await authorizer.authenticate({
      username: "ivy",
      password: "pw",
      remoteAddress: { address: "127.0.0.1", port: 1, family: "IPv4" },
      localAddress: { address: "127.0.0.1", port: 2121, family: "IPv4" },
      sessionId: 1,
    });
    assert.deepEqual(account?.limits, { maxSessions: 2, writeLimit: 1000, maxFiles: 3 });
    assert.equal(account?.tlsRequired, true);
    for (const [bad, expected] of [
      [{ maxSessions: -1 }, /limits\.maxSessions must be a whole number/],
      [{ writeLimit: "fast" }, /limits\.writeLimit must be a whole number/],
      [{ speed: 1 }, /unknown field "speed"/],
    ] as const) {
      const path = writeUsersFile(folder, { users: { ivy: { password: "pw", limits: bad } } });
      await assert.rejects(MemoryAuthorizer.fromFile(path, { allowPlainTextPasswords: true }), expected);
    }
    const notBoolean = writeUsersFile(folder, { users: { ivy: { password: "pw", tlsRequired: "yes" } } });
    await assert.rejects(
      MemoryAuthorizer.fromFile(notBoolean, { allowPlainTextPasswords: true }),
      /tlsRequired must be true or false/,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("permission overrides: CWD and CDUP are checked on the folder they enter", async () => {
  const fs = new MemoryFileSystem({ files: { "/closed/open/a.txt": "a" } });
  const authorizer = new MemoryAuthorizer({
    users: {
      kim: {
        password: "pw",
        permissions: "elr",
        permissionOverrides: [{ path: "/closed", permissions: "lr" }, { path: "/closed/open", permissions: "elr" }],
      },
    },
  });
  const server = await start({ fs, authorizer });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("kim", "pw");
    await client.expect("CWD /closed", 550);
    await client.expect("CWD /closed/open", 250);
    await client.expect("CDUP", 550);
    assert.match((await client.expect("PWD", 257)).lines[0], /"\/closed\/open"/);
    await client.expect("CWD /", 250);
  });
});
