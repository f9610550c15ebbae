import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type RunResult, withFixture } from "./_clients.ts";
import type { Fixture } from "./_fixture.ts";
import { PASSWORD, USER } from "./_fixture.ts";
import { makeTree, treeDigest } from "./_tree.ts";

/** Quotes a word for an lftp script (double quotes, backslash escapes). */
function quote(word: string): string {
  return `"${word.replace(/[\\"]/g, "\\$&")}"`;
}

/**
 * Runs lftp commands against `fixture` as alice and returns the result. lftp
 * must not try TLS (that is another issue's concern), must fail instead of
 * retrying forever, and must stop at the first failing command.
 */
async function lftp(fixture: Fixture, commands: readonly string[], settings: readonly string[] = []): Promise<RunResult & { text: string }> {
  const script = [
    "set ftp:ssl-allow no",
    "set net:max-retries 1",
    "set net:timeout 30",
    "set net:reconnect-interval-base 1",
    "set cmd:fail-exit yes",
    "set xfer:clobber yes",
    ...settings,
    `open -u ${quote(`${USER},${PASSWORD}`)} -p ${fixture.port} 127.0.0.1`,
    ...commands,
  ].join("\n");
  // lftp reads a script file (a pipe as /dev/stdin is a socket to it).
  const folder = mkdtempSync(join(tmpdir(), "tsftpd-lftp-"));
  try {
    writeFileSync(join(folder, "script"), script);
    const result = await run("lftp", ["-f", join(folder, "script")], { timeoutMs: 120_000 });
    return { ...result, text: new TextDecoder().decode(result.stdout) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function assertOk(result: RunResult & { text: string }): void {
  assert.equal(result.code, 0, `lftp failed:\n${result.stderr}\n${result.text}`);
}

test("lftp: mirror a 200-file tree with odd names down, mirror -R it up, byte-identical both ways", async () => {
  await withFixture(async (fixture, local) => {
    makeTree(fixture.root, 200);
    const original = treeDigest(fixture.root);
    assert.equal(original.filter((line) => !line.endsWith("/")).length, 200);
    const down = join(local, "down");
    const result = await lftp(fixture, [`mirror --parallel=4 / ${quote(down)}`]);
    assertOk(result);
    assert.deepEqual(treeDigest(down), original);

    const up = await lftp(fixture, [`mirror -R --parallel=4 ${quote(down)} /uploaded`]);
    assertOk(up);
    assert.deepEqual(treeDigest(join(fixture.root, "uploaded")), original);
  });
});

test("lftp: cls -l, mv, chmod, rm -r and quote HASH", async () => {
  await withFixture(async (fixture) => {
    mkdirSync(join(fixture.root, "tree/inner"), { recursive: true });
    writeFileSync(join(fixture.root, "tree/inner/x.txt"), "x");
    writeFileSync(join(fixture.root, "tree/y.txt"), "y");
    const content = "hash me\n";
    writeFileSync(join(fixture.root, "-dash name.txt"), content);
    const result = await lftp(fixture, [
      "cls -l",
      `mv ${quote("-dash name.txt")} ${quote("moved name.txt")}`,
      `chmod 600 ${quote("moved name.txt")}`,
      "rm -r tree",
      `quote HASH ${quote("moved name.txt")}`,
    ]);
    assertOk(result);
    assert.match(result.text, /^-rw-r--r--.* -dash name\.txt$/m);
    assert.match(result.text, /^d.* tree\/?$/m);
    assert.equal(existsSync(join(fixture.root, "-dash name.txt")), false);
    assert.equal(readFileSync(join(fixture.root, "moved name.txt"), "utf8"), content);
    assert.equal(statSync(join(fixture.root, "moved name.txt")).mode & 0o777, 0o600);
    assert.equal(existsSync(join(fixture.root, "tree")), false);
    const sha = createHash("sha256").update(content).digest("hex");
    assert.ok(result.text.includes(`213 SHA-256 0-${content.length} ${sha} /moved name.txt`), result.text);
  });
});

test("lftp: with ftp:use-mdtm and ftp:use-size, a mirror keeps times and skips what is current", async () => {
  await withFixture(async (fixture, local) => {
    const file = join(fixture.root, "dated.bin");
    writeFileSync(file, "dated content");
    const when = new Date(Date.UTC(2021, 5, 7, 8, 9, 10));
    utimesSync(file, when, when);
    // LIST gives no seconds and MLSD would make MDTM and SIZE unnecessary.
    const settings = ["set ftp:use-mdtm yes", "set ftp:use-size yes", "set ftp:use-mlsd no", "debug 5"];
    const first = await lftp(fixture, [`mirror / ${quote(local)}`], settings);
    assertOk(first);
    assert.match(first.stderr, /---> MDTM dated\.bin/);
    assert.equal(statSync(join(local, "dated.bin")).mtimeMs, when.getTime());
    // Same size and time on both sides: nothing to fetch, the local edit stays.
    writeFileSync(join(local, "dated.bin"), "local edit!!!");
    utimesSync(join(local, "dated.bin"), when, when);
    const again = await lftp(fixture, [`mirror / ${quote(local)}`], settings);
    assertOk(again);
    assert.equal(readFileSync(join(local, "dated.bin"), "utf8"), "local edit!!!");
    assert.doesNotMatch(again.stderr, /---> RETR/);
  });
});
