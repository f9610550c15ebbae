import assert from "node:assert/strict";
import { test } from "node:test";
import { FtpServer, MemoryAuthorizer, MemoryFileSystem, type ServerHooks, silentLogger } from "../mod.ts";
import { connectTcp, FtpClient, readAll, waitFor, within } from "./_ftp_client.ts";

async function startServer(fs: MemoryFileSystem, hooks: ServerHooks = {}): Promise<FtpServer> {
  return await FtpServer.start({
    host: "127.0.0.1",
    port: 0,
    fs,
    hooks,
    logger: silentLogger,
    authorizer: new MemoryAuthorizer({ users: { alice: { password: "pw", permissions: "elradfmwMT" } } }),
  });
}

function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  return () => done;
}

test("close({ graceMs }): stops accepting, closes idle sessions with 421, lets a running upload finish", async () => {
  const fs = new MemoryFileSystem();
  const disconnects: number[] = [];
  const server = await startServer(fs, { onDisconnect: ({ session }) => void disconnects.push(session.id) });
  const { port } = server.address;
  const idle = await FtpClient.connect(port);
  const uploader = await FtpClient.connect(port);
  try {
    await idle.login("alice", "pw");
    await uploader.login("alice", "pw");
    await uploader.expect("TYPE I", 200);
    const data = await uploader.epsv();
    await uploader.expect("STOR big.bin", 150);
    await new Promise<void>((resolve) => data.write(new Uint8Array(100_000), () => resolve()));

    const closing = server.close({ graceMs: 120_000 });
    const closed = settled(closing);
    await idle.expectReply(421);
    await within(idle.closed, 10_000, "idle session closed");
    await assert.rejects(connectTcp(port), "no new connections are accepted");
    assert.equal(closed(), false, "close waits for the running upload");

    await new Promise<void>((resolve) => data.end(new Uint8Array(50_000), () => resolve()));
    await uploader.expectReply(226);
    await uploader.expectReply(421);
    await within(closing, 10_000, "close() after the upload");
    await uploader.closed;
    assert.equal((await fs.stat("/big.bin")).size, 150_000, "the upload is complete");
    assert.equal(disconnects.length, 2, "close() resolves after every session's hooks");
    assert.equal(server.connectionCount, 0);
  } finally {
    idle.close();
    uploader.close();
    await server.close();
  }
});

test("close({ graceMs }): a transfer still running when the grace period ends is cut with 421", async () => {
  const fs = new MemoryFileSystem({ files: { "/big.bin": new Uint8Array(32 * 1024 * 1024) } });
  const incomplete: number[] = [];
  const server = await startServer(fs, { onIncompleteFileSent: ({ bytes }) => void incomplete.push(bytes) });
  const client = await FtpClient.connect(server.address.port);
  try {
    await client.login("alice", "pw");
    await client.expect("TYPE I", 200);
    const data = await client.epsv();
    data.pause(); // never read: the download cannot finish
    await client.expect("RETR big.bin", 150);
    await within(server.close({ graceMs: 300 }), 30_000, "close() after the grace period");
    await client.expectReply(421);
    await client.closed;
    data.destroy();
    assert.equal(incomplete.length, 1, "the cut download is reported as incomplete");
  } finally {
    client.close();
  }
});

test("close() without grace cuts transfers at once; a closed server can listen again", async () => {
  const fs = new MemoryFileSystem({ files: { "/a.txt": "hello" } });
  const server = await startServer(fs);
  const client = await FtpClient.connect(server.address.port);
  await client.login("alice", "pw");
  const data = await client.epsv();
  await client.expect("STOR slow.bin", 150);
  await within(server.close(), 10_000, "close()");
  await client.expectReply(421);
  await client.closed;
  data.destroy();
  const { port } = await server.listen();
  const again = await FtpClient.connect(port);
  try {
    await again.login("alice", "pw");
    await again.expect("TYPE I", 200);
    const back = await again.epsv();
    const received = readAll(back);
    await again.expect("RETR a.txt", 150);
    assert.equal(new TextDecoder().decode(await received), "hello");
    await again.expectReply(226);
  } finally {
    again.close();
    await server.close();
  }
  await waitFor(() => server.connectionCount === 0, 10_000, "no sessions left");
});
