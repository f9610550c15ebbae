import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { hashPassword, VERSION } from "../mod.ts";
import { curl, python, sha256 } from "./_clients.ts";
import { connectTcp, FtpClient } from "./_ftp_client.ts";
import { PASSWORD, USER } from "./_fixture.ts";
import { type Running, runScript, waitForOutput } from "./_spawn.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;

function run(args: readonly string[]): Running {
  return runScript(MOD, args);
}

function ftpCommand(port: number, lines: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    import("node:net").then(({ connect }) => {
      const socket = connect(port, "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk;
        if (/^221 /m.test(text)) socket.end();
      });
      socket.on("connect", () => socket.write(lines.map((line) => line + "\r\n").join("")));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    }, reject);
  });
}

test("cli: --version and --help print and exit 0", async () => {
  const version = run(["--version"]);
  assert.equal(await version.exited, 0);
  assert.match(version.output(), new RegExp(`tsftpd ${VERSION.replaceAll(".", "\\.")}`));
  const help = run(["-h"]);
  assert.equal(await help.exited, 0);
  for (const flag of ["--interface", "--port", "--directory", "--write", "--username", "--password", "--nat-address", "--range", "--debug"]) {
    assert.ok(help.output().includes(flag), `help mentions ${flag}`);
  }
});

test("cli: a bad option is a one-line error and a non-zero exit", async () => {
  const bad = run(["--bogus"]);
  assert.equal(await bad.exited, 2);
  assert.match(bad.output(), /unknown option "--bogus"/);
  assert.equal(bad.output().trim().split("\n").length, 1);
});

test("cli: a port in use is a one-line error and exit 1", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const { port } = blocker.address() as { port: number };
  try {
    const busy = run(["-i", "127.0.0.1", "-p", String(port)]);
    assert.equal(await busy.exited, 1);
    assert.match(busy.output(), /address already in use/);
    assert.equal(busy.output().trim().split("\n").length, 1);
  } finally {
    blocker.close();
  }
});

test("cli: serves a folder anonymously read-only, logs sessions, stops on SIGINT", async () => {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-cli-"));
  writeFileSync(join(root, "hello.txt"), "hi\n");
  const server = run(["-i", "127.0.0.1", "-p", "0", "-d", root]);
  try {
    const [, port] = await waitForOutput(/starting FTP server on 127\.0\.0\.1:(\d+).*root (\S+)/, server);
    assert.match(server.output(), new RegExp(`(deno|bun|node) \\S+, root `));
    const transcript = await ftpCommand(Number(port), [
      "USER anonymous",
      "PASS guest@",
      "TYPE I",
      "SIZE hello.txt",
      "MKD newdir",
      "QUIT",
    ]);
    assert.match(transcript, /^230 /m);
    assert.match(transcript, /^213 3\r$/m);
    assert.match(transcript, /^550 /m, "anonymous may not MKD by default");
    await waitForOutput(/\[I [\d-]+ [\d:]+\] 127\.0\.0\.1:\d+-\[anonymous\] USER 'anonymous' logged in\./, server);
    server.kill("SIGINT");
    assert.equal(await server.exited, 0);
    assert.match(server.output(), /FTP server stopped/);
  } finally {
    server.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
});

test("cli: --username/--password/--write give that user write access, no anonymous", async () => {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-cli-"));
  const server = run(["-i", "127.0.0.1", "-p", "0", "-d", root, "-w", "-u", "bob", "-P", "pw"]);
  try {
    const [, port] = await waitForOutput(/starting FTP server on 127\.0\.0\.1:(\d+)/, server);
    const anonymous = await ftpCommand(Number(port), ["USER anonymous", "PASS x", "QUIT"]);
    assert.match(anonymous, /^530 /m);
    const bob = await ftpCommand(Number(port), ["USER bob", "PASS pw", "MKD made", "QUIT"]);
    assert.match(bob, /^257 "\/made"/m);
    server.kill("SIGTERM");
    assert.equal(await server.exited, 0);
  } finally {
    server.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
});

test("cli: curl and python ftplib log in, list, download, upload, resume, rename and delete", async () => {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-cli-"));
  const local = mkdtempSync(join(tmpdir(), "tsftpd-cli-local-"));
  const server = run(["-i", "127.0.0.1", "-p", "0", "-d", root, "-w", "-u", USER, "-P", PASSWORD]);
  try {
    const [, port] = await waitForOutput(/starting FTP server on 127\.0\.0\.1:(\d+)/, server);
    const url = `ftp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
    const content = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7 + (i >> 12)) & 0xff);

    // curl: upload half, resume the upload, download half, resume the download.
    writeFileSync(join(local, "half.bin"), content.subarray(0, content.length / 2));
    assert.equal((await curl(["-T", join(local, "half.bin"), `${url}/up.bin`])).code, 0);
    writeFileSync(join(local, "full.bin"), content);
    assert.equal((await curl(["-C", "-", "-T", join(local, "full.bin"), `${url}/up.bin`])).code, 0);
    assert.equal(sha256(readFileSync(join(root, "up.bin"))), sha256(content));
    writeFileSync(join(local, "down.bin"), content.subarray(0, 1000));
    assert.equal((await curl(["-C", "-", "-o", join(local, "down.bin"), `${url}/up.bin`])).code, 0);
    assert.equal(sha256(readFileSync(join(local, "down.bin"))), sha256(content));
    const listing = await curl([`${url}/`]);
    assert.match(new TextDecoder().decode(listing.stdout), /up\.bin\r?\n/);
    const renamed = await curl(["-Q", "RNFR up.bin", "-Q", "RNTO moved.bin", "-Q", "DELE moved.bin", `${url}/`]);
    assert.equal(renamed.code, 0);
    assert.ok(!existsSync(join(root, "up.bin")) && !existsSync(join(root, "moved.bin")));

    // python3 ftplib: the same verbs through another client.
    writeFileSync(join(root, "f.bin"), content);
    const result = await python({ port: Number(port) }, `
ftp = connect()
names = ftp.nlst()
tail = io.BytesIO()
ftp.retrbinary("RETR f.bin", tail.write, rest=1000)
ftp.storbinary("STOR g.bin", io.BytesIO(b"uploaded by ftplib"))
ftp.rename("g.bin", "h.bin")
facts = dict(ftp.mlsd())
ftp.delete("f.bin")
ftp.quit()
emit({"names": names, "tail": hashlib.sha256(tail.getvalue()).hexdigest(), "h": facts["h.bin"]["size"]})
`) as { names: string[]; tail: string; h: string };
    assert.deepEqual(result.names, ["f.bin"]);
    assert.equal(result.tail, sha256(content.subarray(1000)));
    assert.equal(result.h, "18");
    assert.equal(readFileSync(join(root, "h.bin"), "utf8"), "uploaded by ftplib");
    assert.ok(!existsSync(join(root, "f.bin")));
  } finally {
    server.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
    rmSync(local, { recursive: true, force: true });
  }
});

test("cli: --users-file with hashed passwords, --log-format json, and a graceful stop on SIGTERM", async () => {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-cli-"));
  const usersFile = join(root, "users.json");
  writeFileSync(usersFile, JSON.stringify({
    users: { carol: { passwordHash: await hashPassword("c4rol", { iterations: 1000 }), permissions: "elrm", home: "." } },
  }));
  const server = run(["-i", "127.0.0.1", "-p", "0", "-d", root, "--users-file", usersFile, "--log-format", "json", "--grace", "5"]);
  try {
    const [, port] = await waitForOutput(/"message":">>> starting FTP server on 127\.0\.0\.1:(\d+)/, server);
    const transcript = await ftpCommand(Number(port), ["USER carol", "PASS c4rol", "MKD made", "QUIT"]);
    assert.match(transcript, /^257 "\/made"/m);
    assert.ok(existsSync(join(root, "made")));
    await waitForOutput(/"message":"USER 'carol' logged in\."/, server);
    server.kill("SIGTERM");
    assert.equal(await server.exited, 0);
    for (const line of server.output().trim().split("\n")) JSON.parse(line);
    assert.match(server.output(), /transfers may finish within 5 s/);
  } finally {
    server.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
});

test("cli: a users file with a plain-text password is refused with a one-line error", async () => {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-cli-"));
  const usersFile = join(root, "users.json");
  writeFileSync(usersFile, JSON.stringify({ users: { bob: { password: "pw" } } }));
  try {
    const bad = run(["-p", "0", "-d", root, "--users-file", usersFile]);
    assert.equal(await bad.exited, 2);
    assert.match(bad.output(), /plain-text "password" refused/);
    assert.equal(bad.output().trim().split("\n").length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** Whether a TCP connection to `port` on 127.0.0.1 is accepted. */
async function accepts(port: number): Promise<boolean> {
  try {
    (await connectTcp(port)).destroy();
    return true;
  } catch {
    return false;
  }
}

/** Starts the CLI with `--workers 2`; resolves once both processes have
 * bound, with the control port and the two halves of the passive range. */
async function startTwoWorkers(root: string) {
  // A random 100-port range below the ephemeral ports, away from other runs.
  const from = 20000 + 100 * Math.floor(Math.random() * 100);
  const server = run(["-i", "127.0.0.1", "-p", "0", "-d", root, "--workers", "2", "-r", `${from}-${from + 99}`]);
  const [, port] = await waitForOutput(/starting FTP server on 127\.0\.0\.1:(\d+).*worker 1\/2/, server);
  await waitForOutput(new RegExp(`starting FTP server on 127\\.0\\.0\\.1:${port}.*worker 2/2`), server);
  return { server, port: Number(port), halves: [[from, from + 49], [from + 50, from + 99]] as const };
}

test("cli: --workers 2 serves the port from two processes, each with its half of the passive range", async () => {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-cli-"));
  const { server, port, halves } = await startTwoWorkers(root);
  try {
    // The kernel spreads connections by their source port, so a few dozen
    // sessions reach both processes; each announces ports of its own half.
    const seen = new Set<number>();
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const client = await FtpClient.connect(port);
      await client.login("anonymous", "guest@");
      const reply = await client.expect("EPSV", 229);
      const passive = Number(/\|\|\|(\d+)\|/.exec(reply.lines[0])?.[1]);
      const half = halves.findIndex(([from, to]) => passive >= from && passive <= to);
      assert.notEqual(half, -1, `passive port ${passive} is outside ${halves}`);
      seen.add(half);
      await client.expect("QUIT", 221);
      client.close();
    }
    assert.equal(seen.size, 2, "both workers served sessions");
    server.kill("SIGTERM");
    assert.equal(await server.exited, 0);
    assert.equal(await accepts(port), false, "no worker is left listening");
  } finally {
    server.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
});

test("cli: the workers end with their primary, even when it is killed", async () => {
  const root = mkdtempSync(join(tmpdir(), "tsftpd-cli-"));
  const { server, port } = await startTwoWorkers(root);
  try {
    server.kill("SIGKILL");
    await server.exited;
    const deadline = Date.now() + 20_000;
    while (await accepts(port) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await accepts(port), false, "the second worker has ended");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
