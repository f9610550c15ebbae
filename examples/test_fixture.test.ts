/**
 * An in-memory FTP server as a test fixture, in three lines: start it on
 * port 0, point the code under test at `server.address.port`, close it.
 * The same file runs under `deno test -A`, `bun test` and `node --test`.
 *
 * Here the "code under test" is a tiny FTP exchange over a raw socket, so
 * that the example needs nothing but the runtime.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { FtpServer, MemoryAuthorizer, MemoryFileSystem, silentLogger } from "../mod.ts";

/** Sends command lines one by one and returns every reply line. */
function converse(port: number, commands: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const replies: string[] = [];
    let buffer = "";
    let next = 0;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf("\r\n"); end !== -1; end = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        replies.push(line);
        if (/^\d{3} /.test(line)) {
          if (next < commands.length) socket.write(`${commands[next++]}\r\n`);
          else socket.end();
        }
      }
    });
    socket.on("close", () => resolve(replies));
    socket.on("error", reject);
  });
}

test("an FTP client can create a folder on the in-memory server", async () => {
  const fs = new MemoryFileSystem({ files: { "/readme.txt": "hello" } });
  const server = await FtpServer.start({
    host: "127.0.0.1",
    port: 0,
    fs,
    logger: silentLogger,
    authorizer: new MemoryAuthorizer({ users: { test: { password: "test", permissions: "elradfmw" } } }),
  });
  try {
    const replies = await converse(server.address.port, [
      "USER test",
      "PASS test",
      "MKD reports",
      "TYPE I",
      "SIZE readme.txt",
      "QUIT",
    ]);
    assert.ok(replies.includes('257 "/reports" directory created.'), replies.join("\n"));
    assert.ok(replies.includes("213 5"), replies.join("\n"));
    assert.equal((await fs.stat("/reports")).kind, "directory");
  } finally {
    await server.close();
  }
});
