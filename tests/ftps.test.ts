import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { binaryContent, python, sha256, sha256File } from "./_clients.ts";
import type { Fixture } from "./_fixture.ts";
import { snapshot } from "./_ftp_client.ts";
import { makeCertificate, removeCertificate, startTlsFixture, type TestCertificate, TLS_PRELUDE } from "./_tls.ts";

const certificates: Promise<TestCertificate>[] = [];

/** A certificate made once per file (openssl), removed after the last test. */
function certificate(index: 0 | 1 = 0): Promise<TestCertificate> {
  certificates[index] ??= makeCertificate(`tsftpd-test-${index}`);
  return certificates[index];
}

after(async () => {
  for (const made of certificates) await removeCertificate(await made);
});

async function withTls(
  options: Parameters<typeof startTlsFixture>[1],
  body: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  const fixture = await startTlsFixture(await certificate(), options);
  try {
    await body(fixture);
  } finally {
    await fixture.close();
  }
}

/** Runs an FTP_TLS driver (the TLS prelude comes first). */
function tlsPython(fixture: Pick<Fixture, "port">, driver: string, params: Record<string, unknown> = {}) {
  return python(fixture, TLS_PRELUDE + driver, params);
}

interface FtpLibError {
  readonly class: string;
  readonly message: string;
}

const BIG = 50_000_000;

/** The runtime running these tests. */
const RUNTIME = typeof (globalThis as { Deno?: unknown }).Deno === "object"
  ? "deno"
  : typeof (globalThis as { Bun?: unknown }).Bun === "object"
  ? "bun"
  : "node";

test("ftplib FTP_TLS, TLS 1.2 and 1.3: list, 50 MB RETR and STOR with checksums, data resumes the control session", async () => {
  await withTls({}, async (fixture) => {
    const content = binaryContent(BIG);
    await writeFile(join(fixture.root, "big.bin"), content);
    const digest = sha256(content);
    for (const version of ["1.2", "1.3"]) {
      const result = await tlsPython(fixture, `
ftp = connect_tls(P["version"])
names = ftp.nlst()
h = hashlib.sha256()
ftp.retrbinary("RETR big.bin", h.update, 1 << 20)
with open(P["source"], "rb") as f:
    ftp.storbinary("STOR up.bin", f, 1 << 20)
emit({"protocol": ftp.sock.version(), "names": names, "retr": h.hexdigest(), "reused": data_reused,
      "noop": ftp.voidcmd("NOOP")})
ftp.quit()
`, { version, source: join(fixture.root, "big.bin") }) as {
        protocol: string;
        names: string[];
        retr: string;
        reused: boolean[];
        noop: string;
      };
      assert.equal(result.protocol, `TLSv${version}`);
      assert.ok(result.names.includes("big.bin"), result.names.join());
      assert.equal(result.retr, digest, `RETR over TLS ${version}`);
      assert.equal(await sha256File(join(fixture.root, "up.bin")), digest, `STOR over TLS ${version}`);
      // Every data connection resumed the control connection's session:
      // one shared context for control and data (pitfall P5).
      assert.deepEqual(result.reused, [true, true, true], `TLS ${version}`);
      assert.match(result.noop, /^200 /);
    }
  });
});

test("session reuse required: a data connection that does not resume is refused with 425, one that does works", async () => {
  await withTls({ tlsSessionReuse: "require" }, async (fixture) => {
    await writeFile(join(fixture.root, "a.txt"), "alpha\n");
    const before = snapshot(fixture.root);
    const result = await tlsPython(fixture, `
ftp = connect_tls(reuse=False)
refused_list = error_of(ftp.nlst)
refused_retr = error_of(ftp.retrbinary, "RETR a.txt", lambda data: None)
noop = ftp.voidcmd("NOOP")
ftp.reuse = True
names = ftp.nlst()
emit({"refused_list": refused_list, "refused_retr": refused_retr, "noop": noop, "names": names,
      "reused": data_reused})
`) as { refused_list: FtpLibError; refused_retr: FtpLibError; noop: string; names: string[]; reused: boolean[] };
    for (const refused of [result.refused_list, result.refused_retr]) {
      assert.equal(refused?.class, "error_temp");
      assert.match(refused.message, /^425 .*resume the TLS session/);
    }
    assert.match(result.noop, /^200 /);
    assert.deepEqual(result.names, ["a.txt"]);
    assert.deepEqual(result.reused, [false, false, true]);
    assert.deepEqual(snapshot(fixture.root), before);
  });
});

test("session reuse off: data connections work but never resume", async () => {
  await withTls({ tlsSessionReuse: "off" }, async (fixture) => {
    await writeFile(join(fixture.root, "a.txt"), "alpha\n");
    const result = await tlsPython(fixture, `
ftp = connect_tls("1.3")
emit({"names": ftp.nlst(), "again": ftp.nlst(), "reused": data_reused})
`) as { names: string[]; again: string[]; reused: boolean[] };
    assert.deepEqual(result.names, ["a.txt"]);
    assert.deepEqual(result.again, ["a.txt"]);
    // Deno's node:tls (rustls) always issues tickets; the others can be told
    // not to.
    if (RUNTIME !== "deno") assert.deepEqual(result.reused, [false, false]);
  });
});

test("pitfall P3: empty listings over TLS 1.3 and 1.2 end cleanly (no SHUTDOWN_WHILE_IN_INIT)", async () => {
  await withTls({}, async (fixture) => {
    await mkdir(join(fixture.root, "empty"));
    for (const version of ["1.3", "1.2"]) {
      const result = await tlsPython(fixture, `
ftp = connect_tls(P["version"])
lists = [ftp.nlst("empty") for _ in range(5)]
mlsd = [list(ftp.mlsd("empty")) for _ in range(5)]
emit({"lists": lists, "mlsd": mlsd})
`, { version }) as { lists: string[][]; mlsd: unknown[][] };
      assert.deepEqual(result.lists, [[], [], [], [], []], `TLS ${version}`);
      assert.deepEqual(result.mlsd, [[], [], [], [], []], `TLS ${version}`);
    }
  });
});

test("pitfall P1: twenty AUTH TLS handshakes in a row all complete", async () => {
  await withTls({}, async (fixture) => {
    const result = await tlsPython(fixture, `
versions = []
for i in range(20):
    ftp = ReusingFTP(context=tls_context(), encoding="utf-8")
    ftp.connect("127.0.0.1", P["port"], timeout=20)
    ftp.auth()
    versions.append(ftp.sock.version())
    ftp.quit()
emit(versions)
`) as string[];
    assert.equal(result.length, 20);
    assert.ok(result.every((version) => version === "TLSv1.3"), result.join());
  });
});

test("TLS 1.2 clients without tickets resume by session ID (the Node session cache) where the runtime can", async () => {
  await withTls({}, async (fixture) => {
    await writeFile(join(fixture.root, "a.txt"), "alpha\n");
    const result = await tlsPython(fixture, `
ftp = connect_tls("1.2", tickets=False)
emit({"names": ftp.nlst(), "reused": data_reused})
`) as { names: string[]; reused: boolean[] };
    assert.deepEqual(result.names, ["a.txt"]);
    // Measured: only Node's node:tls resumes by ID alone (runtime-matrix §2).
    if (RUNTIME === "node") assert.deepEqual(result.reused, [true]);
  });
});
