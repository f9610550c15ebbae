import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { Client } from "basic-ftp";
import { binaryContent, withFixture } from "./_clients.ts";
import { type Fixture, PASSWORD, USER } from "./_fixture.ts";
import { makeTree, treeDigest } from "./_tree.ts";

/** A basic-ftp client logged in to `fixture` as alice, closed after `body`. */
async function withClient(fixture: Fixture, body: (client: Client, sent: string[]) => Promise<void>): Promise<void> {
  const client = new Client(30_000);
  const sent: string[] = [];
  // basic-ftp reports every command it sends through its logger.
  client.ftp.verbose = true;
  client.ftp.log = (message: string) => {
    if (message.startsWith("> ")) sent.push(message.slice(2));
  };
  try {
    await client.access({ host: "127.0.0.1", port: fixture.port, user: USER, password: PASSWORD, secure: false });
    await body(client, sent);
  } finally {
    client.close();
  }
}

function collect(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

test("basic-ftp: list, size, lastMod, uploadFrom and downloadTo (also resumed)", async () => {
  await withFixture(async (fixture, local) => {
    const content = binaryContent(700_000);
    writeFileSync(join(fixture.root, "remote.bin"), content);
    const when = new Date(Date.UTC(2022, 2, 4, 5, 6, 7));
    utimesSync(join(fixture.root, "remote.bin"), when, when);
    await withClient(fixture, async (client, sent) => {
      const listing = await client.list();
      const entry = listing.find((info) => info.name === "remote.bin");
      assert.equal(entry?.size, content.length);
      assert.ok(entry?.isFile);
      assert.ok(sent.includes("MLSD"), JSON.stringify(sent));
      assert.equal(await client.size("remote.bin"), content.length);
      assert.equal((await client.lastMod("remote.bin")).getTime(), when.getTime());

      const whole = collect();
      await client.downloadTo(whole.stream, "remote.bin");
      assert.ok(whole.bytes().equals(content), "download differs");
      const tail = collect();
      await client.downloadTo(tail.stream, "remote.bin", 123_456);
      assert.ok(tail.bytes().equals(content.subarray(123_456)), "resumed download differs");
      assert.ok(sent.includes("REST 123456"), JSON.stringify(sent));

      await client.uploadFrom(Readable.from([content.subarray(0, 1000), content.subarray(1000)]), "up.bin");
      assert.ok(readFileSync(join(fixture.root, "up.bin")).equals(content), "upload differs");
      writeFileSync(join(local, "from-file.bin"), content.subarray(0, 5000));
      await client.uploadFrom(join(local, "from-file.bin"), "from file.bin");
      await client.appendFrom(Readable.from([content.subarray(5000)]), "from file.bin");
      assert.ok(readFileSync(join(fixture.root, "from file.bin")).equals(content), "append differs");
    });
  });
});

test("basic-ftp: ensureDir, rename, remove, removeDir, and a tree both ways", async () => {
  await withFixture(async (fixture, local) => {
    makeTree(join(local, "src"), 40);
    await withClient(fixture, async (client) => {
      await client.ensureDir("/deep/er/still deeper");
      assert.ok(statSync(join(fixture.root, "deep/er/still deeper")).isDirectory());
      assert.equal(await client.pwd(), "/deep/er/still deeper");
      await client.uploadFromDir(join(local, "src"));
      assert.deepEqual(treeDigest(join(fixture.root, "deep/er/still deeper")), treeDigest(join(local, "src")));
      await client.cd("/");
      await client.downloadToDir(join(local, "back"), "/deep/er/still deeper");
      assert.deepEqual(treeDigest(join(local, "back")), treeDigest(join(local, "src")));

      writeFileSync(join(fixture.root, "old name.txt"), "renamed");
      await client.rename("old name.txt", "new 'name'.txt");
      assert.equal(readFileSync(join(fixture.root, "new 'name'.txt"), "utf8"), "renamed");
      await client.remove("new 'name'.txt");
      assert.equal(existsSync(join(fixture.root, "new 'name'.txt")), false);
      await assert.rejects(client.remove("missing.txt"), /550/);
      await client.removeDir("/deep");
      assert.equal(existsSync(join(fixture.root, "deep")), false);
    });
  });
});
