import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MemoryAuthorizer } from "../mod.ts";
import { type Fixture, startFixture } from "./_fixture.ts";
import { type FtpClient, snapshot, withClients } from "./_ftp_client.ts";

const READER = { name: "reader", password: "r-pass" };
const WRITER = { name: "writer", password: "w-pass" };

/** A fixture with `reader` (elr), `writer` (elradfmw) and anonymous (elr),
 * over a root holding `docs/a.txt` and the empty folder `empty`. */
async function startPermissionFixture(): Promise<Fixture> {
  const fx = await startFixture({
    authorizer: new MemoryAuthorizer({
      users: {
        [READER.name]: { password: READER.password, permissions: "elr" },
        [WRITER.name]: { password: WRITER.password, permissions: "elradfmw" },
      },
      anonymous: { permissions: "elr" },
    }),
  });
  mkdirSync(join(fx.root, "docs"));
  writeFileSync(join(fx.root, "docs", "a.txt"), "alpha");
  mkdirSync(join(fx.root, "empty"));
  return fx;
}

async function loginAs(open: () => Promise<FtpClient>, user: string, password: string): Promise<FtpClient> {
  const client = await open();
  await client.login(user, password);
  await client.expect("TYPE I", 200);
  return client;
}

async function assertReadOnly(fx: Fixture, client: FtpClient): Promise<void> {
  const before = snapshot(fx.root);
  await client.expectRefused("STOR new.txt");
  await client.expectRefused("STOR docs/a.txt");
  await client.expectRefused("APPE docs/a.txt");
  for (const command of ["DELE docs/a.txt", "MKD made", "RMD empty", "RNFR docs/a.txt"]) {
    await client.expect(command, 550);
  }
  // Refused either for lack of permission or because RNFR was.
  const rnto = await client.send("RNTO docs/b.txt");
  assert.ok(rnto.code === 550 || rnto.code === 503, rnto.lines.join(" | "));
  assert.deepEqual(snapshot(fx.root), before);
  assert.equal(existsSync(join(fx.root, "new.txt")), false);
  assert.equal(existsSync(join(fx.root, "made")), false);

  // Reading still works.
  assert.match(await client.list("docs"), /^-r.* a\.txt\r\n$/);
  assert.equal(Buffer.from(await client.retr("docs/a.txt")).toString(), "alpha");
  await client.expect("CWD docs", 250);
  assert.equal((await client.expect("SIZE a.txt", 213)).lines[0], "213 5");
  await client.expect("MDTM a.txt", 213);
  await client.expect("CDUP", 250);
}

test("permissions: anonymous (elr) can read but not change anything", async () => {
  await withClients(await startPermissionFixture(), async (fx, open) => {
    await assertReadOnly(fx, await loginAs(open, "anonymous", "guest@example.com"));
  });
});

test("permissions: a user with only elr can read but not change anything", async () => {
  await withClients(await startPermissionFixture(), async (fx, open) => {
    await assertReadOnly(fx, await loginAs(open, READER.name, READER.password));
  });
});

test("permissions: a user with elradfmw can do all of it", async () => {
  await withClients(await startPermissionFixture(), async (fx, open) => {
    const client = await loginAs(open, WRITER.name, WRITER.password);
    await client.stor("new.txt", "fresh");
    assert.equal(readFileSync(join(fx.root, "new.txt"), "utf8"), "fresh");
    await client.stor("docs/a.txt", "+more", "APPE");
    assert.equal(readFileSync(join(fx.root, "docs", "a.txt"), "utf8"), "alpha+more");
    await client.expect("MKD made", 257);
    assert.ok(statSync(join(fx.root, "made")).isDirectory());
    await client.expect("RMD empty", 250);
    assert.equal(existsSync(join(fx.root, "empty")), false);
    await client.expect("RNFR docs/a.txt", 350);
    await client.expect("RNTO docs/b.txt", 250);
    assert.equal(readFileSync(join(fx.root, "docs", "b.txt"), "utf8"), "alpha+more");
    await client.expect("DELE docs/b.txt", 250);
    assert.equal(existsSync(join(fx.root, "docs", "b.txt")), false);
    assert.match(await client.list(), /made\r\n/);
    assert.equal(Buffer.from(await client.retr("new.txt")).toString(), "fresh");
    await client.expect("CWD docs", 250);
    await client.expect("SIZE /new.txt", 213);
  });
});
