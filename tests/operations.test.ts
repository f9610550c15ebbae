import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createConsoleLogger,
  formatPrometheus,
  FtpServer,
  type LogRecord,
  MemoryAuthorizer,
  MemoryFileSystem,
  silentLogger,
} from "../mod.ts";
import { FtpClient, waitFor, withClients } from "./_ftp_client.ts";

test("metrics: a snapshot and Prometheus text count connections, logins, transfers, bytes and errors", async () => {
  const fs = new MemoryFileSystem({ files: { "/a.txt": "0123456789" } });
  const server = await FtpServer.start({
    host: "127.0.0.1",
    port: 0,
    fs,
    logger: silentLogger,
    failedLoginDelayMs: 0,
    authorizer: new MemoryAuthorizer({ users: { alice: { password: "pw", permissions: "elradfmw" } } }),
  });
  assert.equal(server.metrics().connectionsTotal, 0);
  await withClients({ port: server.address.port, close: () => server.close() }, async ({ port }, open) => {
    const client = await open();
    await client.expect("USER alice", 331);
    await client.expect("PASS nope", 530);
    await client.login("alice", "pw");
    await client.expect("TYPE I", 200);
    await client.retr("a.txt");
    await client.stor("b.txt", "abc");
    await client.expectRefused("RETR missing.txt");
    const other = await FtpClient.connect(port);
    await waitFor(() => server.metrics().connectionsOpen === 2, 10_000, "second connection counted");
    other.close();
    await waitFor(() => server.metrics().connectionsOpen === 1, 10_000, "dropped connection uncounted");
    await waitFor(() => server.metrics().filesReceivedTotal === 1, 10_000, "upload counted");
    const metrics = server.metrics();
    assert.deepEqual(
      {
        connectionsTotal: metrics.connectionsTotal,
        connectionsOpen: metrics.connectionsOpen,
        loginsTotal: metrics.loginsTotal,
        loginFailuresTotal: metrics.loginFailuresTotal,
        sessionsLoggedIn: metrics.sessionsLoggedIn,
        filesSentTotal: metrics.filesSentTotal,
        filesReceivedTotal: metrics.filesReceivedTotal,
        bytesSentTotal: metrics.bytesSentTotal,
        bytesReceivedTotal: metrics.bytesReceivedTotal,
        transfersFailedTotal: metrics.transfersFailedTotal,
      },
      {
        connectionsTotal: 2,
        connectionsOpen: 1,
        loginsTotal: 1,
        loginFailuresTotal: 1,
        sessionsLoggedIn: 1,
        filesSentTotal: 1,
        filesReceivedTotal: 1,
        bytesSentTotal: 10,
        bytesReceivedTotal: 3,
        transfersFailedTotal: 0,
      },
    );
    assert.equal(metrics.errorRepliesTotal, 2, "530 and 550");
    // USER, PASS twice each, TYPE, and EPSV before RETR, STOR and RETR: counted
    // with no onCommand hook set.
    assert.equal(metrics.commandsTotal, 11);
    const text = formatPrometheus(metrics);
    assert.match(text, /^# TYPE tsftpd_connections_total counter$/m);
    assert.match(text, /^# TYPE tsftpd_connections_open gauge$/m);
    assert.match(text, /^tsftpd_login_failures_total 1$/m);
    assert.match(text, /^tsftpd_bytes_sent_total 10$/m);
    assert.match(formatPrometheus(metrics, { prefix: "ftp_" }), /^ftp_files_received_total 1$/m);
    await client.quit();
    await waitFor(() => server.metrics().sessionsLoggedIn === 0, 10_000, "logout counted");
  });
});

test("several servers in one process keep their own users, storage and counters", async () => {
  const start = (user: string, fs: MemoryFileSystem) =>
    FtpServer.start({
      host: "127.0.0.1",
      port: 0,
      fs,
      logger: silentLogger,
      failedLoginDelayMs: 0,
      authorizer: new MemoryAuthorizer({ users: { [user]: { password: "pw", permissions: "elradfmw" } } }),
    });
  const fsA = new MemoryFileSystem({ files: { "/only-a.txt": "a" } });
  const fsB = new MemoryFileSystem({ files: { "/only-b.txt": "b" } });
  const a = await start("ann", fsA);
  const b = await start("ben", fsB);
  try {
    assert.notEqual(a.address.port, b.address.port);
    const toA = await FtpClient.connect(a.address.port);
    const toB = await FtpClient.connect(b.address.port);
    await toA.login("ann", "pw");
    await toA.expect("USER ben", 331);
    await toA.expect("PASS pw", 530);
    await toA.login("ann", "pw");
    await toB.login("ben", "pw");
    await toA.stor("from-a.txt", "x");
    assert.match(await toA.list(), /only-a\.txt/);
    assert.doesNotMatch(await toB.list(), /only-a|from-a/);
    await a.close();
    await toA.closed;
    await toB.expect("NOOP", 200);
    assert.equal(a.metrics().loginFailuresTotal, 1);
    assert.equal(b.metrics().loginFailuresTotal, 0);
    toB.close();
  } finally {
    await a.close();
    await b.close();
  }
});

test("logging: pyftpdlib-style lines by default, JSON on request, changing commands at info with their reply", async () => {
  const text: string[] = [];
  const json: string[] = [];
  const records: LogRecord[] = [];
  const textLogger = createConsoleLogger({ write: (line) => text.push(line) });
  const jsonLogger = createConsoleLogger({ format: "json", level: "debug", write: (line) => json.push(line) });
  const server = await FtpServer.start({
    host: "127.0.0.1",
    port: 0,
    fs: new MemoryFileSystem(),
    logger: {
      log(record) {
        records.push(record);
        textLogger.log(record);
        jsonLogger.log(record);
      },
    },
    authorizer: new MemoryAuthorizer({ users: { alice: { password: "secret-pw", permissions: "elradfmw" } } }),
  });
  await withClients({ port: server.address.port, close: () => server.close() }, async (_, open) => {
    const client = await open();
    await client.login("alice", "secret-pw");
    await client.expect("MKD docs", 257);
    await client.expect("DELE nothing.txt", 550);
    await client.quit();
    await waitFor(() => text.some((line) => line.includes("FTP session closed")), 10_000, "close line");
  });
  assert.match(text.join("\n"), /^\[I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] 127\.0\.0\.1:\d+-\[alice\] USER 'alice' logged in\.$/m);
  assert.match(text.join("\n"), /-\[alice\] MKD docs 257$/m);
  assert.match(text.join("\n"), /-\[alice\] DELE nothing\.txt 550 'No such file or directory\.'$/m);
  assert.ok(!text.some((line) => line.startsWith("[D")), "info level drops debug records");
  const parsed = json.map((line) => JSON.parse(line));
  const login = parsed.find((entry) => entry.message === "USER 'alice' logged in.");
  assert.equal(login.level, "info");
  assert.equal(login.user, "alice");
  assert.match(login.remote, /^127\.0\.0\.1:\d+$/);
  assert.equal(typeof login.session, "number");
  assert.ok(!Number.isNaN(Date.parse(login.time)));
  assert.ok(parsed.some((entry) => entry.message === "<- PASS ******"), "debug traces mask PASS");
  assert.ok(!json.join("\n").includes("secret-pw"), "the password is never logged");
  assert.ok(records.every((record) => record.session === undefined || record.session.id === login.session));
});
