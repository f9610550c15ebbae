import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MemoryAuthorizer } from "../mod.ts";
import { binaryContent, python, sha256, sha256File } from "./_clients.ts";
import { type Fixture, PASSWORD, startFixture, USER } from "./_fixture.ts";
import { FtpClient, snapshot } from "./_ftp_client.ts";
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

test("tlsControlRequired: a plain client gets 534 on USER and PASS and nothing more; over TLS it logs in", async () => {
  await withTls({ tlsControlRequired: true }, async (fixture) => {
    await writeFile(join(fixture.root, "a.txt"), "alpha\n");
    const before = snapshot(fixture.root);
    const client = await FtpClient.connect(fixture.port);
    try {
      await client.expect(`USER ${USER}`, 534);
      await client.expect(`PASS ${PASSWORD}`, 534);
      await client.expect("LIST", 530);
      await client.expect("STOR x.txt", 530);
    } finally {
      client.close();
    }
    assert.deepEqual(snapshot(fixture.root), before);
    const names = await tlsPython(fixture, `emit(connect_tls().nlst())`);
    assert.deepEqual(names, ["a.txt"]);
  });
});

test("tlsDataRequired: transfers under PROT C are refused with 534, under PROT P they work", async () => {
  await withTls({ tlsDataRequired: true }, async (fixture) => {
    await writeFile(join(fixture.root, "a.txt"), "alpha\n");
    const before = snapshot(fixture.root);
    const result = await tlsPython(fixture, `
ftp = connect_tls(prot_p=False)
refused = [error_of(ftp.nlst), error_of(ftp.retrbinary, "RETR a.txt", lambda data: None),
           error_of(ftp.storbinary, "STOR b.txt", io.BytesIO(b"bravo"))]
ftp.prot_p()
emit({"refused": refused, "names": ftp.nlst()})
`) as { refused: FtpLibError[]; names: string[] };
    for (const refused of result.refused) assert.match(refused?.message ?? "", /^534 .*PROT P/);
    assert.deepEqual(result.names, ["a.txt"]);
    assert.deepEqual(snapshot(fixture.root), before);
  });
});

test("an account with tlsRequired can't log in on a plain connection (530), can over TLS", async () => {
  const authorizer = new MemoryAuthorizer({
    users: { bob: { password: "bobpw", permissions: "elr", tlsRequired: true } },
  });
  await withTls({ authorizer }, async (fixture) => {
    const client = await FtpClient.connect(fixture.port);
    try {
      await client.expect("USER bob", 331);
      await client.expect("PASS bobpw", 530);
      await client.expect("PWD", 530);
    } finally {
      client.close();
    }
    const pwd = await tlsPython(fixture, `emit(connect_tls().pwd())`, { user: "bob", password: "bobpw" });
    assert.equal(pwd, "/");
  });
});

test("FEAT shows AUTH TLS, PBSZ and PROT only with TLS; AUTH, PBSZ, PROT and CCC refusals", async () => {
  const plain = await startFixture();
  try {
    const client = await FtpClient.connect(plain.port);
    try {
      const feat = await client.expect("FEAT", 211);
      assert.ok(!feat.lines.some((line) => /AUTH|PBSZ|PROT/.test(line)), feat.lines.join(" | "));
      await client.expect("AUTH TLS", 500);
    } finally {
      client.close();
    }
  } finally {
    await plain.close();
  }
  await withTls({}, async (fixture) => {
    const client = await FtpClient.connect(fixture.port);
    try {
      const feat = await client.expect("FEAT", 211);
      for (const feature of ["AUTH TLS", "PBSZ", "PROT"]) {
        assert.ok(feat.lines.includes(` ${feature}`), `${feature} in ${feat.lines.join(" | ")}`);
      }
      await client.expect("AUTH KERBEROS", 504);
      await client.expect("PBSZ 0", 503);
      await client.expect("PROT P", 503);
    } finally {
      client.close();
    }
    const result = await tlsPython(fixture, `
ftp = connect_tls(prot_p=False)
codes = {}
for command in ["PROT P", "PBSZ abc", "PBSZ 0", "PROT S", "PROT E", "PROT X", "CCC", "AUTH TLS", "PROT C"]:
    try:
        codes[command] = ftp.sendcmd(command)[:3]
    except ftplib.Error as error:
        codes[command] = str(error)[:3]
emit(codes)
`) as Record<string, string>;
    assert.deepEqual(result, {
      // ftplib's login() sent AUTH TLS but no PBSZ yet: PROT must wait.
      "PROT P": "503",
      "PBSZ abc": "501",
      "PBSZ 0": "200",
      "PROT S": "536",
      "PROT E": "536",
      "PROT X": "504",
      "CCC": "534",
      "AUTH TLS": "503",
      "PROT C": "200",
    });
  });
});

test("a failed TLS handshake on the data connection gives 522 and the control connection stays usable", async () => {
  await withTls({}, async (fixture) => {
    await writeFile(join(fixture.root, "a.txt"), "alpha\n");
    const result = await tlsPython(fixture, `
ftp = connect_tls()
conn, _ = ftplib.FTP.ntransfercmd(ftp, "NLST")
conn.sendall(b"this is not a TLS ClientHello\\r\\n" * 64)
conn.close()
failed = error_of(ftp.voidresp)
emit({"failed": failed, "noop": ftp.voidcmd("NOOP"), "names": ftp.nlst()})
`) as { failed: FtpLibError; noop: string; names: string[] };
    assert.match(result.failed?.message ?? "", /^522 /);
    assert.match(result.noop, /^200 /);
    assert.deepEqual(result.names, ["a.txt"]);
  });
});

test("a client that drops TLS mid-upload gets 426, never 226, and the incomplete-upload hook fires", async () => {
  const incomplete: { path: string; code: number }[] = [];
  const hooks = {
    onIncompleteFileReceived: (event: { path: string; code: number }) => void incomplete.push(event),
  };
  await withTls({ hooks }, async (fixture) => {
    const result = await tlsPython(fixture, `
import struct
ftp = connect_tls()
ftp.voidcmd("TYPE I")
conn, _ = ftp.ntransfercmd("STOR part.bin")
conn.sendall(b"x" * 1000000)
# No close_notify, and a reset instead of a FIN: the upload is cut short.
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
emit({"reply": error_of(ftp.voidresp), "noop": ftp.voidcmd("NOOP")})
`) as { reply: FtpLibError | null; noop: string };
    assert.match(result.reply?.message ?? "no error", /^426 /);
    assert.deepEqual(incomplete.map(({ path, code }) => ({ path, code })), [{ path: "/part.bin", code: 426 }]);
    assert.match(result.noop, /^200 /);
  });
});

test("plain commands sent right behind AUTH TLS are dropped, not run (CVE-2011-0411)", async () => {
  await withTls({}, async (fixture) => {
    const result = await tlsPython(fixture, `
raw = socket.create_connection(("127.0.0.1", P["port"]), timeout=30)
reader = raw.makefile("rb", buffering=0)
greeting = reader.readline()
raw.sendall(b"AUTH TLS\\r\\nUSER injected\\r\\n")
auth = reader.readline()
secure = tls_context().wrap_socket(raw)
secure.sendall(b"PASS whatever\\r\\n")
emit({"auth": auth.decode(), "pass": secure.recv(1000).decode()})
`) as { auth: string; pass: string };
    assert.match(result.auth, /^234 /);
    // Had USER run, PASS would be checked (530); it was dropped, so 503.
    assert.match(result.pass, /^503 /);
  });
});

test("active mode (PORT/EPRT) under PROT P: the server connects, then is the TLS server; data resumes the session", async () => {
  await withTls({}, async (fixture) => {
    const content = binaryContent(2 << 20);
    await writeFile(join(fixture.root, "a.bin"), content);
    const result = await tlsPython(fixture, `
ftp = connect_tls()
ftp.set_pasv(False)
h = hashlib.sha256()
ftp.retrbinary("RETR a.bin", h.update, 1 << 20)
with open(P["source"], "rb") as f:
    ftp.storbinary("STOR b.bin", f, 1 << 20)
emit({"retr": h.hexdigest(), "reused": data_reused})
`, { source: join(fixture.root, "a.bin") }) as { retr: string; reused: boolean[] };
    assert.equal(result.retr, sha256(content));
    assert.equal(await sha256File(join(fixture.root, "b.bin")), sha256(content));
    assert.deepEqual(result.reused, [true, true]);
  });
});
