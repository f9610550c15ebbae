import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loginBinary, startFixture, type Fixture } from "./_fixture.ts";
import { readAll, snapshot, within, withClients } from "./_ftp_client.ts";

/** A fixture whose root holds symlinks leading out of it:
 * `link` → /etc (read checks only), `outlink` → a scratch folder outside,
 * `outfile` → a file in it, `dangling` → a missing name in it, and
 * `sub/deep` → the scratch folder again, one level down. */
interface JailFixture extends Fixture {
  readonly outside: string;
}

async function startJail(): Promise<JailFixture> {
  const fx = await startFixture();
  const outside = mkdtempSync(join(tmpdir(), "tsftpd-outside-"));
  writeFileSync(join(outside, "secret.txt"), "outside secret");
  writeFileSync(join(outside, "f"), "outside f");
  mkdirSync(join(outside, "sub"));
  symlinkSync("/etc", join(fx.root, "link"));
  symlinkSync(outside, join(fx.root, "outlink"));
  symlinkSync(join(outside, "secret.txt"), join(fx.root, "outfile"));
  symlinkSync(join(outside, "new.txt"), join(fx.root, "dangling"));
  mkdirSync(join(fx.root, "sub"));
  symlinkSync(outside, join(fx.root, "sub", "deep"));
  writeFileSync(join(fx.root, "inside.txt"), "inside");
  return {
    ...fx,
    outside,
    async close() {
      await fx.close();
      rmSync(outside, { recursive: true, force: true });
    },
  };
}

test("jail: climbing paths never leave the root", async () => {
  await withClients(await startJail(), async (fx, open) => {
    const client = await loginBinary(open);
    for (const path of ["../../../../etc/passwd", "/../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "..\\..\\etc\\passwd"]) {
      await client.expectRefused(`RETR ${path}`);
    }
    // `..` stops at the root, so the same names reach a file inside it.
    mkdirSync(join(fx.root, "etc"));
    writeFileSync(join(fx.root, "etc", "passwd"), "jailed passwd");
    assert.equal(Buffer.from(await client.retr("../../../../etc/passwd")).toString(), "jailed passwd");
    assert.equal(Buffer.from(await client.retr("/../../etc/passwd")).toString(), "jailed passwd");
    await client.expect("CWD sub", 250);
    assert.equal(Buffer.from(await client.retr("../../../etc/passwd")).toString(), "jailed passwd");
  });
});

test("jail: CWD .. at the root stays at /", async () => {
  await withClients(await startJail(), async (_fx, open) => {
    const client = await loginBinary(open);
    await client.expect("CWD ..", 250);
    assert.match((await client.expect("PWD", 257)).lines[0], /^257 "\/" /);
    await client.expect("CDUP", 250);
    await client.expect("CWD ../../..", 250);
    assert.match((await client.expect("PWD", 257)).lines[0], /^257 "\/" /);
  });
});

test("jail: a symlink to /etc cannot be entered, read, listed or examined", async () => {
  await withClients(await startJail(), async (_fx, open) => {
    const client = await loginBinary(open);
    await client.expect("CWD link", 550);
    assert.match((await client.expect("PWD", 257)).lines[0], /^257 "\/" /);
    await client.expect("CWD /link/", 550);
    await client.expectRefused("RETR link/passwd");
    await client.expectRefused("RETR /link/passwd");
    for (const command of ["SIZE link/passwd", "MDTM link/passwd", "MLST link/passwd", "MLST link", "STAT link"]) {
      const reply = await client.expect(command, 550);
      assert.ok(!reply.lines.join("\n").includes("root:"), `${command}: ${reply.lines.join(" | ")}`);
    }
    for (const command of ["LIST link", "LIST -la link", "NLST link", "MLSD link"]) {
      const data = await client.epsv();
      const received = readAll(data).catch(() => new Uint8Array(0));
      const reply = await client.send(command);
      if (reply.code === 150) {
        const listing = Buffer.from(await within(received, 5000, command)).toString();
        assert.equal(listing, "", `${command} listed /etc: ${listing.slice(0, 200)}`);
        await client.expectReply(226);
      } else {
        data.destroy();
        assert.equal(reply.code, 550, `${command}: ${reply.lines.join(" | ")}`);
      }
    }
    await client.expect("NOOP", 200);
  });
});

test("jail: nothing outside the root can be written, removed or renamed", async () => {
  await withClients(await startJail(), async (fx, open) => {
    const before = snapshot(fx.outside);
    const client = await loginBinary(open);
    const refusals = [
      "STOR outlink/x",
      "STOR outlink/secret.txt",
      "APPE outlink/secret.txt",
      "STOR outfile",
      "APPE outfile",
      "STOR dangling",
      "APPE dangling",
      "STOR sub/deep/x",
      "STOR link/x",
      "RETR outfile",
      "RETR outlink/f",
      "RETR sub/deep/secret.txt",
    ];
    for (const command of refusals) await client.expectRefused(command);
    for (
      const command of [
        "MKD outlink/d",
        "MKD sub/deep/d",
        "MKD dangling",
        "RMD outlink/sub",
        "DELE outlink/f",
        "DELE sub/deep/f",
        "RNFR outlink/f",
        "RNFR outfile/x",
        "CWD outlink",
        "CWD sub/deep",
        "SIZE outlink/f",
        "SIZE outfile",
        "MDTM outlink/f",
        "MLST outlink/f",
        "STAT outlink",
      ]
    ) {
      await client.expect(command, 550);
    }
    for (const destination of ["outlink/x", "outlink/f", "sub/deep/x", "link/x"]) {
      await client.expect("RNFR inside.txt", 350);
      await client.expect(`RNTO ${destination}`, 550);
    }
    assert.equal(readFileSync(join(fx.root, "inside.txt"), "utf8"), "inside");
    assert.deepEqual(snapshot(fx.outside), before);
    assert.equal(existsSync(join(fx.outside, "new.txt")), false);
    assert.equal(existsSync("/etc/x"), false);
    await client.expect("NOOP", 200);
  });
});

test("jail: removing a link to the outside never touches its target", async () => {
  await withClients(await startJail(), async (fx, open) => {
    const before = snapshot(fx.outside);
    const client = await loginBinary(open);
    // Refusing is as safe as removing only the link; either is fine, but a
    // 250 must mean the link itself is gone and its target untouched.
    for (const [command, name] of [["DELE outfile", "outfile"], ["DELE outlink", "outlink"], ["RMD outlink", "outlink"]]) {
      const reply = await client.send(command);
      assert.ok(reply.code === 250 || reply.code === 550, `${command}: ${reply.lines.join(" | ")}`);
      if (reply.code === 250) assert.equal(existsSync(join(fx.root, name)), false);
      assert.deepEqual(snapshot(fx.outside), before);
    }
  });
});
