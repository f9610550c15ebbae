import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { LocalFileSystem, type Runtime } from "../mod.ts";
import { loadRuntime } from "../src/runtime/load.ts";
import { loginBinary, startFixture } from "./_fixture.ts";
import { readAll, snapshot, within, withClients } from "./_ftp_client.ts";

function outsideFolder(): string {
  const outside = mkdtempSync(join(tmpdir(), "tsftpd-outside-"));
  writeFileSync(join(outside, "f.txt"), "outside secret");
  return outside;
}

test("jail: folders swapped for links to the outside while the session runs are refused for every command", async () => {
  const outside = outsideFolder();
  await withClients(await startFixture(), async (fx, open) => {
    mkdirSync(join(fx.root, "a", "b"), { recursive: true });
    writeFileSync(join(fx.root, "a", "b", "f.txt"), "inside");
    const client = await loginBinary(open);
    await client.expect("CWD /a/b", 250);
    assert.equal(Buffer.from(await client.retr("f.txt")).toString(), "inside");
    // Someone with shell access swaps a folder above the session's working
    // folder for a link to the outside, at each depth in turn.
    for (const swapped of ["a", "a/b"]) {
      rmSync(join(fx.root, "a"), { recursive: true, force: true });
      mkdirSync(join(fx.root, "a", "b"), { recursive: true });
      writeFileSync(join(fx.root, "a", "b", "f.txt"), "inside");
      rmSync(join(fx.root, swapped), { recursive: true });
      symlinkSync(outside, join(fx.root, swapped));
      // Under the link, the outside has the very names the session uses.
      mkdirSync(join(outside, "b"), { recursive: true });
      writeFileSync(join(outside, "b", "f.txt"), "outside secret");
      const before = snapshot(outside);
      await client.expectRefused("RETR f.txt");
      await client.expectRefused("STOR f.txt");
      await client.expectRefused("STOR new.txt");
      await client.expectRefused("APPE f.txt");
      await client.expectRefused("STOU");
      await client.expectRefused("LIST", 550);
      await client.expectRefused("MLSD", 550);
      for (
        const command of [
          "SIZE f.txt",
          "MDTM f.txt",
          "MLST f.txt",
          "STAT f.txt",
          "DELE f.txt",
          "MKD d",
          "RMD d",
          "CWD .",
          "RNFR f.txt",
          "SITE CHMOD 644 f.txt",
          "MFMT 20200101000000 f.txt",
          "HASH f.txt",
          "XMD5 f.txt",
        ]
      ) {
        await client.expect(command, 550);
      }
      await client.expect("RNFR /inside-name-missing", 550);
      assert.deepEqual(snapshot(outside), before, `after swapping ${swapped}`);
      await client.expect("NOOP", 200);
    }
  });
  rmSync(outside, { recursive: true, force: true });
});

test("jail: the root can be neither removed nor renamed nor replaced, however it is named", async () => {
  await withClients(await startFixture(), async (fx, open) => {
    writeFileSync(join(fx.root, "x.txt"), "x");
    mkdirSync(join(fx.root, "d"));
    const client = await loginBinary(open);
    for (const name of ["/", ".", "..", "../..", "//", "/./", "/d/..", "d/../.."]) {
      const rmd = await client.send(`RMD ${name}`);
      assert.ok(rmd.code >= 500, `RMD ${name}: ${rmd.lines.join(" | ")}`);
      const rnfr = await client.send(`RNFR ${name}`);
      assert.ok(rnfr.code >= 500, `RNFR ${name}: ${rnfr.lines.join(" | ")}`);
      await client.expect("RNFR /x.txt", 350);
      const rnto = await client.send(`RNTO ${name}`);
      assert.ok(rnto.code >= 500, `RNTO ${name}: ${rnto.lines.join(" | ")}`);
      const dele = await client.send(`DELE ${name}`);
      assert.ok(dele.code >= 500, `DELE ${name}: ${dele.lines.join(" | ")}`);
    }
    assert.equal(readFileSync(join(fx.root, "x.txt"), "utf8"), "x");
    // Backslashes are ordinary name characters: this is a file in the root.
    await client.expect("RNFR /x.txt", 350);
    await client.expect("RNTO \\..\\..", 250);
    assert.equal(readFileSync(join(fx.root, "\\..\\.."), "utf8"), "x");
  });
});

/**
 * A runtime whose file port swaps `swap.folder` for a link to `swap.to`
 * right before opening a file under it: the race a local attacker would try
 * to win between the jail check and the open.
 */
function racingRuntime(real: Runtime, swap: { folder: string; to: string; armed: boolean }): Runtime {
  const racing = (path: string) => {
    if (!swap.armed || !path.startsWith(`${swap.folder}/`)) return;
    swap.armed = false;
    renameSync(swap.folder, `${swap.folder}.moved`);
    symlinkSync(swap.to, swap.folder);
  };
  return {
    ...real,
    files: {
      ...real.files,
      openRead(path, offset) {
        racing(path);
        return real.files.openRead(path, offset);
      },
      openWrite(path, mode) {
        racing(path);
        return real.files.openWrite(path, mode);
      },
    },
  };
}

test("jail: a folder swapped for a link between the check and the open is caught after the open", async () => {
  const outside = outsideFolder();
  const root = mkdtempSync(join(tmpdir(), "tsftpd-race-"));
  const swap = { folder: join(root, "sub"), to: outside, armed: false };
  const fs = new LocalFileSystem(root, { runtime: racingRuntime(await loadRuntime(), swap) });
  await withClients(await startFixture({ fs }), async (_fx, open) => {
    const client = await loginBinary(open);
    const before = snapshot(outside);
    for (const [command, mode] of [["RETR sub/f.txt", "read"], ["STOR sub/f.txt", "write"], ["APPE sub/f.txt", "write"]]) {
      rmSync(join(root, "sub"), { recursive: true, force: true });
      rmSync(join(root, "sub.moved"), { recursive: true, force: true });
      mkdirSync(join(root, "sub"));
      writeFileSync(join(root, "sub", "f.txt"), "inside");
      swap.armed = true;
      const data = await client.epsv();
      data.on("error", () => {});
      const received = readAll(data).catch(() => new Uint8Array(0));
      const reply = await client.send(command);
      assert.equal(swap.armed, false, `${command}: the race was run`);
      if (reply.code === 150) {
        if (mode === "write") data.end("written through the link");
        const leaked = Buffer.from(await within(received, 5000, command)).toString();
        throw new Error(`${command} was accepted after the swap; data: ${JSON.stringify(leaked)}`);
      }
      data.destroy();
      assert.equal(reply.code, 550, `${command}: ${reply.lines.join(" | ")}`);
      assert.deepEqual(snapshot(outside), before, command);
    }
    // HASH reads the file too, and answers on the control connection.
    rmSync(join(root, "sub"), { recursive: true, force: true });
    rmSync(join(root, "sub.moved"), { recursive: true, force: true });
    mkdirSync(join(root, "sub"));
    writeFileSync(join(root, "sub", "f.txt"), "inside");
    swap.armed = true;
    const hash = await client.send("HASH sub/f.txt");
    assert.equal(swap.armed, false, "HASH: the race was run");
    assert.equal(hash.code, 550, hash.lines.join(" | "));
    await client.expect("NOOP", 200);
  });
  rmSync(outside, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});
