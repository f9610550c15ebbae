import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryContent, curl, type CurlResult, run, sha256 } from "./_clients.ts";
import { type Fixture, PASSWORD, USER } from "./_fixture.ts";
import { runScript, waitForOutput } from "./_spawn.ts";
import { makeCertificate, removeCertificate, startTlsFixture, type TestCertificate } from "./_tls.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;
const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";

const certificates: Promise<TestCertificate>[] = [];

function certificate(index: 0 | 1): Promise<TestCertificate> {
  certificates[index] ??= makeCertificate(`tsftpd-clients-${index}`);
  return certificates[index];
}

after(async () => {
  for (const made of certificates) await removeCertificate(await made);
});

async function withLocal(body: (local: string) => Promise<void>): Promise<void> {
  const local = await mkdtemp(join(tmpdir(), "tsftpd-ftps-client-"));
  try {
    await body(local);
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}

function assertOk(result: CurlResult): void {
  assert.equal(result.code, 0, `curl failed:\n${result.stderr}`);
}

/** curl against `base` (explicit `ftp://` with --ssl-reqd, or implicit
 * `ftps://`): list, download, upload, resumed upload and download, each
 * data connection resuming the control session. */
async function curlRoundTrip(fixture: Fixture, base: string, tlsArgs: readonly string[]): Promise<void> {
  await withLocal(async (local) => {
    const content = binaryContent(3 << 20);
    await writeFile(join(fixture.root, "down.bin"), content);
    const args = ["-k", ...tlsArgs];
    // Deno's TLS 1.3 sends session tickets on every data connection; curl
    // 7.88 closes an upload connection without reading them, so its kernel
    // resets the connection and drops what curl had not sent yet: the server
    // answers 426 (tests/ftps_upload_integrity.test.ts). Deno uploads run on
    // TLS 1.2, whose tickets come inside the handshake, which curl reads.
    const uploadArgs = IS_DENO ? [...args, "--tls-max", "1.2"] : args;
    const list = await curl([...args, `${base}/`]);
    assertOk(list);
    assert.match(new TextDecoder().decode(list.stdout), /down\.bin/);
    assert.ok(list.sent.includes("PROT P"), list.sent.join(" | "));

    const download = await curl([...args, "-o", join(local, "down.bin"), `${base}/down.bin`]);
    assertOk(download);
    assert.equal(sha256(await readFile(join(local, "down.bin"))), sha256(content));
    // curl says so when the data connection resumed the control session.
    assert.match(download.stderr, /SSL re-using session ID/);

    await writeFile(join(local, "up.bin"), content);
    const upload = await curl([...uploadArgs, "-T", join(local, "up.bin"), `${base}/up.bin`]);
    assertOk(upload);
    assert.equal(sha256(await readFile(join(fixture.root, "up.bin"))), sha256(content));

    // Resumed upload: the server holds the first MiB, curl sends the rest.
    await writeFile(join(fixture.root, "part.bin"), content.subarray(0, 1 << 20));
    const resumeUp = await curl([...uploadArgs, "-C", "-", "-T", join(local, "up.bin"), `${base}/part.bin`]);
    assertOk(resumeUp);
    assert.ok(resumeUp.sent.some((line) => line.startsWith("APPE ") || line.startsWith("REST ")), resumeUp.sent.join(" | "));
    assert.equal(sha256(await readFile(join(fixture.root, "part.bin"))), sha256(content));

    // Resumed download: the client holds the first MiB.
    await writeFile(join(local, "partial.bin"), content.subarray(0, 1 << 20));
    const resumeDown = await curl([...args, "-C", "-", "-o", join(local, "partial.bin"), `${base}/down.bin`]);
    assertOk(resumeDown);
    assert.ok(resumeDown.sent.includes(`REST ${1 << 20}`), resumeDown.sent.join(" | "));
    assert.equal(sha256(await readFile(join(local, "partial.bin"))), sha256(content));
  });
}

test("curl, explicit FTPS (--ssl-reqd) and implicit (ftps://) on one server: list, download, upload, resume, session reused", async () => {
  const fixture = await startTlsFixture(await certificate(0), { implicitTlsPort: 0 });
  try {
    await curlRoundTrip(fixture, fixture.url, ["--ssl-reqd"]);
    const implicit = `ftps://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${fixture.server.implicitTlsAddress.port}`;
    await curlRoundTrip(fixture, implicit, []);
    // TLS 1.2, which curl 7.88 resumes by session ID: the Node adapter's
    // session cache (the other runtimes' node:tls can't, runtime-matrix §2).
    const tls12 = await curl(["-k", "--ssl-reqd", "--tlsv1.2", "--tls-max", "1.2", `${fixture.url}/down.bin`, "-o", "/dev/null"]);
    assertOk(tls12);
  } finally {
    await fixture.close();
  }
});

test("lftp with ftp:ssl-force and ftp:ssl-protect-data: mirror round trip", async () => {
  const fixture = await startTlsFixture(await certificate(0), { tlsControlRequired: true, tlsDataRequired: true });
  try {
    await withLocal(async (local) => {
      const source = join(local, "source");
      await mkdir(join(source, "sub"), { recursive: true });
      const files: Record<string, Uint8Array> = {
        "a.bin": binaryContent(1 << 20),
        "sub/b.txt": new TextEncoder().encode("bravo\n"),
        "sub/empty": new Uint8Array(),
      };
      for (const [name, bytes] of Object.entries(files)) await writeFile(join(source, name), bytes);
      const script = [
        "set ftp:ssl-force true",
        "set ftp:ssl-protect-data true",
        "set ssl:verify-certificate no",
        "set net:max-retries 1",
        "set cmd:fail-exit true",
        // lftp (GnuTLS) doesn't read upload connections either: on Deno, TLS
        // 1.3 uploads are cut and refused with 426 (see curlRoundTrip).
        ...(IS_DENO ? ["set ssl:priority NORMAL:-VERS-TLS1.3"] : []),
        `open -u ${USER},${PASSWORD.replaceAll(" ", "\\ ")} ftp://127.0.0.1:${fixture.port}`,
        `mirror -R ${source} /tree`,
        `mirror /tree ${join(local, "back")}`,
        "bye",
      ].join("\n");
      const result = await run("lftp", ["-c", script], { timeoutMs: 60_000 });
      assert.equal(result.code, 0, result.stderr);
      for (const [name, bytes] of Object.entries(files)) {
        assert.equal(sha256(await readFile(join(fixture.root, "tree", name))), sha256(bytes), `uploaded ${name}`);
        assert.equal(sha256(await readFile(join(local, "back", name))), sha256(bytes), `downloaded ${name}`);
      }
    });
  } finally {
    await fixture.close();
  }
});

/** The subject line `openssl s_client -starttls ftp` shows for the server. */
async function servedSubject(port: number): Promise<string> {
  const result = await run("openssl", ["s_client", "-starttls", "ftp", "-connect", `127.0.0.1:${port}`], {
    input: "",
    timeoutMs: 30_000,
  });
  const text = new TextDecoder().decode(result.stdout);
  const subject = /^subject=.*$/m.exec(text);
  assert.ok(subject, `openssl s_client printed no subject:\n${text}\n${result.stderr}`);
  return subject[0];
}

test("openssl s_client -starttls ftp sees the certificate; reloadTls serves a new one to new connections only", async () => {
  const first = await certificate(0);
  const second = await certificate(1);
  const fixture = await startTlsFixture(first);
  try {
    assert.match(await servedSubject(fixture.port), /CN ?= ?tsftpd-clients-0$/);
    // PEM text works as well as paths.
    await fixture.server.reloadTls({ cert: second.certPem, key: second.keyFile });
    assert.match(await servedSubject(fixture.port), /CN ?= ?tsftpd-clients-1$/);
    // A broken certificate is refused and the current one stays.
    await assert.rejects(fixture.server.reloadTls({ cert: "-----BEGIN CERTIFICATE-----\nnope\n", key: second.keyFile }));
    await assert.rejects(fixture.server.reloadTls({ cert: join(tmpdir(), "no-such-cert.pem"), key: second.keyFile }));
    assert.match(await servedSubject(fixture.port), /CN ?= ?tsftpd-clients-1$/);
  } finally {
    await fixture.close();
  }
});

test("cli: --tls with --certfile/--keyfile, --tls-control-required and --implicit-port serve curl; --self-signed explains openssl", async () => {
  const made = await certificate(0);
  await withLocal(async (root) => {
    await writeFile(join(root, "hello.txt"), "hello over TLS\n");
    const server = runScript(MOD, [
      "-i", "127.0.0.1", "-p", "0", "-d", root, "-u", USER, "-P", PASSWORD,
      "--tls", "--certfile", made.certFile, "--keyfile", made.keyFile,
      "--tls-control-required", "--implicit-port", "0",
    ]);
    try {
      const [, port] = await waitForOutput(/starting FTP server on 127\.0\.0\.1:(\d+)/, server);
      const [, implicitPort] = await waitForOutput(/FTPS: AUTH TLS, implicit on port (\d+)/, server);
      const explicit = await curl(["-k", "--ssl-reqd", `ftp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/hello.txt`]);
      assertOk(explicit);
      assert.equal(new TextDecoder().decode(explicit.stdout), "hello over TLS\n");
      const implicit = await curl(["-k", `ftps://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${implicitPort}/hello.txt`]);
      assertOk(implicit);
      assert.equal(new TextDecoder().decode(implicit.stdout), "hello over TLS\n");
      // Plain FTP is refused at USER.
      const plain = await curl([`ftp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/hello.txt`]);
      assert.notEqual(plain.code, 0);
      assert.ok(plain.received.some((line) => line.startsWith("534 ")), plain.received.join(" | "));
    } finally {
      server.kill("SIGKILL");
      await server.exited;
    }
  });
  const selfSigned = runScript(MOD, ["--tls", "--self-signed"]);
  assert.equal(await selfSigned.exited, 2);
  assert.match(selfSigned.output(), /--self-signed: .*openssl req -x509/);
  const noCert = runScript(MOD, ["--tls"]);
  assert.equal(await noCert.exited, 2);
  assert.match(noCert.output(), /--tls needs --certfile and --keyfile/);
  const stray = runScript(MOD, ["--certfile", made.certFile]);
  assert.equal(await stray.exited, 2);
  assert.match(stray.output(), /--certfile needs --tls/);
});
