import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FtpServer,
  type HookEvents,
  type LoginRequest,
  type LogRecord,
  MemoryAuthorizer,
  MemoryFileSystem,
  type ServerHooks,
} from "../mod.ts";
import { type FtpClient, waitFor, withClients } from "./_ftp_client.ts";

type HookName = keyof ServerHooks;
type Recorded = { [K in HookName]: { name: K; event: HookEvents[K] } }[HookName];

const HOOK_NAMES: readonly HookName[] = [
  "onConnect",
  "onDisconnect",
  "onLogin",
  "onLoginFailed",
  "onLogout",
  "onFileSent",
  "onFileReceived",
  "onIncompleteFileSent",
  "onIncompleteFileReceived",
  "onCommand",
  "onReply",
];

interface HookedServer {
  readonly port: number;
  readonly fs: MemoryFileSystem;
  readonly events: Recorded[];
  readonly logs: LogRecord[];
  close(): Promise<void>;
}

/** A server over memory whose hooks record every event (plus `extra`). */
async function startHooked(
  extra: ServerHooks = {},
  files: Record<string, string | Uint8Array> = {},
  onRequest: (request: LoginRequest) => void = () => {},
): Promise<HookedServer> {
  const events: Recorded[] = [];
  const logs: LogRecord[] = [];
  const hooks: Record<string, (event: unknown) => unknown> = {};
  for (const name of HOOK_NAMES) {
    hooks[name] = (event) => {
      events.push({ name, event } as Recorded);
      return (extra[name] as ((event: unknown) => unknown) | undefined)?.(event);
    };
  }
  const fs = new MemoryFileSystem({ files });
  const users = new MemoryAuthorizer({ users: { alice: { password: "pw", permissions: "elradfmwMT" } } });
  const server = await FtpServer.start({
    host: "127.0.0.1",
    port: 0,
    fs,
    hooks: hooks as ServerHooks,
    failedLoginDelayMs: 0,
    logger: { log: (record) => logs.push(record) },
    authorizer: {
      authenticate(request) {
        onRequest(request);
        return users.authenticate(request);
      },
    },
  });
  return { port: server.address.port, fs, events, logs, close: () => server.close() };
}

function named<K extends HookName>(events: readonly Recorded[], name: K): HookEvents[K][] {
  return events.filter((recorded) => recorded.name === name).map((recorded) => recorded.event as HookEvents[K]);
}

/** Waits until the hooks of connection `client` have ended with onDisconnect. */
async function disconnected(server: HookedServer, client: FtpClient): Promise<void> {
  await client.closed;
  await waitFor(() => named(server.events, "onDisconnect").length > 0, 10_000, "onDisconnect");
}

test("hooks: onConnect fires once, before the greeting, and onDisconnect once, last", async () => {
  const server = await startHooked();
  await withClients(server, async (_, open) => {
    const client = await open();
    const connects = named(server.events, "onConnect");
    assert.equal(connects.length, 1);
    assert.equal(server.events[0].name, "onConnect", "before the 220 reply's onReply");
    assert.equal(connects[0].session.remoteAddress.port, client.socket.localPort);
    assert.equal(connects[0].session.username, undefined);
    await client.login("alice", "pw");
    await client.quit();
    await disconnected(server, client);
    const disconnects = named(server.events, "onDisconnect");
    assert.equal(disconnects.length, 1);
    assert.equal(server.events.at(-1)?.name, "onDisconnect");
    assert.equal(disconnects[0].session.id, connects[0].session.id);
  });
});

test("hooks: onLogin, onLoginFailed and onLogout fire once each with the user name", async () => {
  const requests: LoginRequest[] = [];
  const server = await startHooked({}, {}, (request) => requests.push(request));
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.expect("USER alice", 331);
    await client.expect("PASS wrong", 530);
    assert.deepEqual(named(server.events, "onLoginFailed").map((event) => event.username), ["alice"]);
    assert.equal(named(server.events, "onLogin").length, 0);
    await client.login("alice", "pw");
    const logins = named(server.events, "onLogin");
    assert.deepEqual(logins.map((event) => [event.username, event.session.username]), [["alice", "alice"]]);
    assert.equal(named(server.events, "onLogout").length, 0);
    await client.quit();
    await disconnected(server, client);
    const logouts = named(server.events, "onLogout");
    assert.deepEqual(logouts.map((event) => event.username), ["alice"]);
    // The authorizer saw the same session as the hooks.
    const session = logouts[0].session;
    assert.deepEqual(requests.map((request) => request.sessionId), [session.id, session.id]);
    assert.deepEqual(requests[1].remoteAddress, session.remoteAddress);
    assert.deepEqual(requests[1].localAddress, session.localAddress);
    assert.equal(named(server.events, "onLoginFailed").length, 1, "still one failure");
  });
});

test("hooks: onLogout fires on USER while logged in and on REIN, not on a dropped connection", async () => {
  const server = await startHooked();
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("alice", "pw");
    await client.expect("USER bob", 331);
    assert.equal(named(server.events, "onLogout").length, 1);
    await client.expect("PASS pw", 530);
    await client.login("alice", "pw");
    await client.expect("REIN", 220);
    assert.equal(named(server.events, "onLogout").length, 2);
    await client.login("alice", "pw");
    client.close();
    await disconnected(server, client);
    assert.equal(named(server.events, "onLogout").length, 2, "no logout for a dropped connection");
  });
});

test("hooks: onCommand sees each command once with PASS masked; onReply each reply", async () => {
  const server = await startHooked();
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("alice", "pw");
    await client.expect("noop", 200);
    await client.expect("HELP NOOP", 214);
    await client.quit();
    await disconnected(server, client);
    assert.deepEqual(named(server.events, "onCommand").map((event) => [event.verb, event.argument]), [
      ["USER", "alice"],
      ["PASS", "******"],
      ["NOOP", ""],
      ["HELP", "NOOP"],
      ["QUIT", ""],
    ]);
    const replies = named(server.events, "onReply");
    assert.deepEqual(replies.map((event) => event.code), [220, 331, 230, 200, 214, 221]);
    assert.match(replies[4].lines.join("\n"), /NOOP/);
    assert.equal(replies[5].session.username, undefined, "logged out before the 221");
  });
});

test("hooks: onFileReceived fires once the upload is complete on storage, onFileSent after a download", async () => {
  const content = "x".repeat(100_000);
  const seenOnStorage: string[] = [];
  const server = await startHooked({
    async onFileReceived(event) {
      const source = await event.fs.read(event.path, 0);
      let text = "";
      for (let chunk = await source.read(); chunk; chunk = await source.read()) text += new TextDecoder().decode(chunk);
      await source.close();
      seenOnStorage.push(text);
    },
  });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("alice", "pw");
    await client.expect("TYPE I", 200);
    await client.stor("up.txt", content);
    await waitFor(() => seenOnStorage.length > 0, 10_000, "onFileReceived");
    assert.equal(seenOnStorage[0], content, "the hook read the whole file from storage");
    const received = named(server.events, "onFileReceived");
    assert.equal(received.length, 1);
    assert.equal(received[0].path, "/up.txt");
    assert.equal(received[0].bytes, content.length);
    assert.equal(received[0].session.username, "alice");
    assert.ok(received[0].durationMs >= 0);
    assert.equal(named(server.events, "onFileSent").length, 0);

    await client.expect("MKD docs", 257);
    await client.stor("docs/b.bin", "12345", "APPE");
    await waitFor(() => named(server.events, "onFileReceived").length === 2, 10_000, "APPE's onFileReceived");
    assert.equal(named(server.events, "onFileReceived")[1].path, "/docs/b.bin");

    assert.equal((await client.retr("/docs/b.bin")).length, 5);
    await client.list("/");
    await waitFor(() => named(server.events, "onFileSent").length > 0, 10_000, "onFileSent");
    const sent = named(server.events, "onFileSent");
    assert.deepEqual(sent.map((event) => [event.path, event.bytes]), [["/docs/b.bin", 5]]);
    assert.equal(sent[0].fs, server.fs);
    await client.quit();
    await disconnected(server, client);
    assert.equal(named(server.events, "onFileSent").length, 1, "a listing is no file transfer");
    assert.equal(named(server.events, "onIncompleteFileReceived").length, 0);
    assert.equal(named(server.events, "onIncompleteFileSent").length, 0);
  });
});

test("hooks: an aborted upload fires onIncompleteFileReceived with the bytes and reason, not onFileReceived", async () => {
  const server = await startHooked();
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("alice", "pw");
    await client.expect("TYPE I", 200);
    const data = await client.epsv();
    await client.expect("STOR part.bin", 150);
    await new Promise<void>((resolve) => data.write("a".repeat(1000), () => resolve()));
    // STAT is served during the transfer; poll it until the bytes are in.
    for (let moved = 0; moved < 1000;) {
      const status = await client.expect("STAT", 211);
      moved = Number(/Transfer in progress: (\d+) bytes/.exec(status.lines.join("\n"))?.[1] ?? 0);
    }
    await client.expect("ABOR", 426);
    await client.expectReply(226);
    data.destroy();
    await waitFor(() => named(server.events, "onIncompleteFileReceived").length > 0, 10_000, "incomplete hook");
    const incomplete = named(server.events, "onIncompleteFileReceived");
    assert.equal(incomplete.length, 1);
    assert.equal(incomplete[0].path, "/part.bin");
    assert.equal(incomplete[0].bytes, 1000);
    assert.equal(incomplete[0].code, 426);
    assert.match(incomplete[0].reason, /abort/i);
    await client.quit();
    await disconnected(server, client);
    assert.equal(named(server.events, "onFileReceived").length, 0);
    assert.equal(named(server.events, "onIncompleteFileReceived").length, 1);
  });
});

test("hooks: a download cut by the client fires onIncompleteFileSent, not onFileSent", async () => {
  const server = await startHooked({}, { "/big.bin": new Uint8Array(32 * 1024 * 1024) });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("alice", "pw");
    await client.expect("TYPE I", 200);
    const data = await client.epsv();
    data.pause(); // read nothing: the server blocks on backpressure
    await client.expect("RETR big.bin", 150);
    await client.expect("ABOR", 426);
    await client.expectReply(226);
    data.destroy();
    await waitFor(() => named(server.events, "onIncompleteFileSent").length > 0, 10_000, "incomplete hook");
    const incomplete = named(server.events, "onIncompleteFileSent");
    assert.equal(incomplete.length, 1);
    assert.equal(incomplete[0].path, "/big.bin");
    assert.ok(incomplete[0].bytes < 32 * 1024 * 1024, `bytes ${incomplete[0].bytes}`);
    assert.equal(incomplete[0].code, 426);
    await client.quit();
    await disconnected(server, client);
    assert.equal(named(server.events, "onFileSent").length, 0);
  });
});

test("hooks: a hook that throws or rejects is logged and the session goes on", async () => {
  const server = await startHooked({
    onCommand: (event) => {
      if (event.verb === "NOOP") throw new Error("sync hook failure");
    },
    onFileReceived: () => Promise.reject(new Error("async hook failure")),
  });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("alice", "pw");
    await client.expect("NOOP", 200);
    await client.stor("a.txt", "hello");
    assert.equal(new TextDecoder().decode(await client.retr("a.txt")), "hello");
    await client.quit();
    await disconnected(server, client);
    const errors = server.logs.filter((record) => record.level === "error").map((record) => record.message);
    assert.equal(errors.length, 2, errors.join("\n"));
    assert.match(errors[0], /onCommand hook failed: .*sync hook failure/);
    assert.match(errors[1], /onFileReceived hook failed: .*async hook failure/);
  });
});

test("hooks: the session's end waits for a running async hook, so onDisconnect stays last", async () => {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const server = await startHooked({ onLogout: () => gate });
  await withClients(server, async (_, open) => {
    const client = await open();
    await client.login("alice", "pw");
    await client.quit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(named(server.events, "onDisconnect").length, 0, "waiting for onLogout");
    release();
    await disconnected(server, client);
  });
});
