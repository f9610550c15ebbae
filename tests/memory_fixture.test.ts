import assert from "node:assert/strict";
import { test } from "node:test";
import { FtpServer, MemoryAuthorizer, MemoryFileSystem, silentLogger } from "../mod.ts";
import { connectTcp, FtpClient, pasvPort, readAll } from "./_ftp_client.ts";

test("the README's test-fixture recipe: FtpServer.start over a MemoryFileSystem on port 0", async () => {
  const fs = new MemoryFileSystem({ files: { "/hello.txt": "hi" } });
  const server = await FtpServer.start({
    host: "127.0.0.1",
    port: 0,
    fs,
    logger: silentLogger,
    authorizer: new MemoryAuthorizer({ users: { test: { password: "test", permissions: "elradfmwMT" } } }),
  });
  const { port } = server.address;
  assert.ok(port > 0, "port 0 reports the port chosen");
  const client = await FtpClient.connect(port);
  try {
    await client.login("test", "test");
    await client.expect("TYPE I", 200);
    assert.equal(new TextDecoder().decode(await client.retr("hello.txt")), "hi");
    await client.stor("up.txt", "stored in memory");
    const stat = await fs.stat("/up.txt");
    assert.equal(stat.size, "stored in memory".length);
    const reply = await client.send("PASV");
    const data = await connectTcp(pasvPort(reply));
    await client.expect("NLST", 150);
    assert.deepEqual(new TextDecoder().decode(await readAll(data)).split("\r\n").filter(Boolean), [
      "hello.txt",
      "up.txt",
    ]);
    await client.expectReply(226);
  } finally {
    client.close();
    await server.close();
  }
});

test("the README's three-line recipe: no authorizer means anonymous, read-only access over all interfaces", async () => {
  const fs = new MemoryFileSystem({ files: { "/hello.txt": "hi" } });
  const server = await FtpServer.start({ fs, port: 0, logger: silentLogger });
  const client = await FtpClient.connect(server.address.port);
  try {
    await client.login("anonymous", "guest@");
    await client.expect("TYPE I", 200);
    assert.equal(new TextDecoder().decode(await client.retr("hello.txt")), "hi");
    await client.expectRefused("STOR new.txt");
    await assert.rejects(fs.stat("/new.txt"), { code: "ENOENT" });
  } finally {
    client.close();
    await server.close();
  }
});
