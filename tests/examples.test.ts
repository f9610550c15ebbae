import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { sha256 } from "./_clients.ts";
import { FtpClient } from "./_ftp_client.ts";
import { type Running, runScript, waitForOutput } from "./_spawn.ts";

const EXAMPLES = new URL("../examples/", import.meta.url).pathname;

/** Starts an example on a free port and resolves with its port once it
 * listens; `body` runs against it, then the example is killed. */
async function withExample(
  name: string,
  args: readonly string[],
  body: (port: number, example: Running) => Promise<void>,
): Promise<void> {
  const example = runScript(join(EXAMPLES, name), args, { PORT: "0", NO_COLOR: "1" });
  try {
    const [, port] = await waitForOutput(/listening on 127\.0\.0\.1:(\d+)/, example);
    await body(Number(port), example);
  } finally {
    example.kill("SIGKILL");
    await example.exited;
  }
}

test("every example is covered by this file", () => {
  const source = readFileSync(new URL(import.meta.url).pathname, "utf8");
  for (const name of readdirSync(EXAMPLES).filter((file) => file.endsWith(".ts"))) {
    assert.ok(source.includes(`"${name}"`), `${name} has a test here`);
  }
});

test("examples/upload_checksums.ts logs the SHA-256 of each upload", async () => {
  const folder = mkdtempSync(join(tmpdir(), "tsftpd-example-"));
  try {
    await withExample("upload_checksums.ts", [folder], async (port, example) => {
      const client = await FtpClient.connect(port);
      await client.login("alice", "secret");
      await client.expect("TYPE I", 200);
      const content = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
      await client.stor("data.bin", content);
      await client.quit();
      const [, logged] = await waitForOutput(/sha256 ([0-9a-f]{64}) \/data\.bin/, example);
      assert.equal(logged, sha256(content));
      assert.equal(sha256(readFileSync(join(folder, "data.bin"))), sha256(content));
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("examples/per_user_folders.ts gives each user a folder of their own", async () => {
  const base = mkdtempSync(join(tmpdir(), "tsftpd-example-"));
  try {
    await withExample("per_user_folders.ts", [base], async (port) => {
      const ann = await FtpClient.connect(port);
      const bob = await FtpClient.connect(port);
      await ann.login("ann", "ann-pw");
      await bob.login("bob", "bob-pw");
      await ann.stor("notes.txt", "ann's notes");
      assert.doesNotMatch(await bob.list(), /notes\.txt/);
      await bob.expectRefused("RETR notes.txt");
      await ann.quit();
      bob.close();
    });
    assert.equal(readFileSync(join(base, "ann", "notes.txt"), "utf8"), "ann's notes");
    assert.deepEqual(readdirSync(join(base, "bob")), []);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("examples/users_file.ts logs users in from users.json with their overrides, anonymous read-only", async () => {
  const folder = mkdtempSync(join(tmpdir(), "tsftpd-example-"));
  mkdirSync(join(folder, "archive"));
  try {
    await withExample("users_file.ts", [folder], async (port) => {
      const alice = await FtpClient.connect(port);
      await alice.expect("USER alice", 331);
      assert.match((await alice.expect("PASS wonderland", 230)).lines[0], /Hello Alice\./);
      await alice.expect("MKD archive/new", 550);
      await alice.stor("kept.txt", "kept");
      await alice.expectRefused("STOR archive/x.txt");
      const guest = await FtpClient.connect(port);
      await guest.login("anonymous", "guest@");
      await guest.expectRefused("STOR guest.txt");
      alice.close();
      guest.close();
    });
    assert.deepEqual(readdirSync(folder).sort(), ["archive", "kept.txt"]);
    assert.deepEqual(readdirSync(join(folder, "archive")), []);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("examples/custom_filesystem.ts serves generated files and refuses changes", async () => {
  await withExample("custom_filesystem.ts", [], async (port) => {
    const client = await FtpClient.connect(port);
    await client.login("anonymous", "guest@");
    await client.expect("TYPE I", 200);
    assert.equal(new TextDecoder().decode(await client.retr("hello.txt")), "Hello from a generated file system.\n");
    assert.match(new TextDecoder().decode(await client.retr("/status/time.txt")), /^\d{4}-\d\d-\d\dT/);
    const listing = await client.list("/status");
    assert.match(listing, /time\.txt/);
    assert.match(listing, /uptime\.txt/);
    await client.expect("CWD status", 250);
    await client.expect("MKD new", 550);
    await client.expect("DELE time.txt", 550);
    await client.expectRefused("RETR missing.txt");
    await client.expectRefused("STOR up.txt");
    await client.quit();
  });
});

/** The test runner of the runtime running this file, on one test file. */
function testRunnerCommand(file: string): string[] {
  if (typeof (globalThis as { Deno?: unknown }).Deno !== "undefined") return ["test", "-A", file];
  if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") return ["test", file];
  return ["--test", file];
}

test("examples/test_fixture.test.ts passes under this runtime's own test runner", async () => {
  const file = join(EXAMPLES, "test_fixture.test.ts");
  assert.ok(existsSync(file));
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  // Without the parent's NODE_TEST_CONTEXT, node --test runs the file as a
  // run of its own instead of skipping it as a nested one.
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, testRunnerCommand(file), { stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, output);
  assert.match(output, /an FTP client can create a folder on the in-memory server/);
});
