import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryContent, curl, python, sha256 } from "./_clients.ts";
import { makeCertificate, removeCertificate, startTlsFixture, TLS_PRELUDE } from "./_tls.ts";

const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";

const certificate = makeCertificate("tsftpd-integrity");
after(async () => removeCertificate(await certificate));

/** Below, around and above a TLS record (16 KiB) and a socket buffer. */
const SIZES = [1, 16_385, 65_537, 300_000, 1 << 20, (2 << 20) + 13];
const ROUNDS = 3;

/** What the server stored for `name`, or `null` if nothing. */
function stored(root: string, name: string): Promise<Uint8Array | null> {
  return readFile(join(root, name)).catch(() => null);
}

// Deno's TLS 1.3 sends session tickets on every data connection; curl 7.88
// never reads an upload's data connection, so closing it makes curl's kernel
// reset the connection and drop what curl had not sent yet. The server can't
// get those bytes back, but it must see the reset and answer 426, never 226.
test("PROT P uploads of varied sizes, repeated (curl TLS 1.3 and 1.2, ftplib): every 226 leaves the exact bytes", async () => {
  const fixture = await startTlsFixture(await certificate);
  const local = await mkdtemp(join(tmpdir(), "tsftpd-integrity-"));
  try {
    const files = SIZES.map((size) => binaryContent(size));
    for (const [i, bytes] of files.entries()) await writeFile(join(local, `f${i}.bin`), bytes);
    const refused: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const version of ["1.3", "1.2"]) {
        for (const [i, bytes] of files.entries()) {
          const name = `curl${version}_${round}_${i}.bin`;
          const result = await curl([
            "-k", "--ssl-reqd", `--tlsv${version}`, "--tls-max", version,
            "-T", join(local, `f${i}.bin`), `${fixture.url}/${name}`,
          ]);
          const final = result.received.filter((line) => /^\d{3} /.test(line)).at(-1) ?? "";
          if (final.startsWith("226 ")) {
            assert.equal(result.code, 0, result.stderr);
            assert.equal(sha256((await stored(fixture.root, name)) ?? new Uint8Array()), sha256(bytes), `${name}: 226`);
          } else {
            assert.match(final, /^426 /, `${name}: ${final}\n${result.stderr}`);
            assert.notEqual(result.code, 0);
            refused.push(name);
          }
        }
      }
      // ftplib reads the data connection to its end (unwrap), so nothing is
      // ever cut: every upload must arrive whole.
      const done = await python(fixture, TLS_PRELUDE + `
ftp = connect_tls()
for i in range(P["count"]):
    with open(P["local"] + "/f%d.bin" % i, "rb") as f:
        ftp.storbinary("STOR py_%d_%d.bin" % (P["round"], i), f, 65536)
emit("ok")
`, { count: SIZES.length, local, round });
      assert.equal(done, "ok");
      for (const [i, bytes] of files.entries()) {
        const name = `py_${round}_${i}.bin`;
        assert.equal(sha256((await stored(fixture.root, name)) ?? new Uint8Array()), sha256(bytes), name);
      }
    }
    // Only a TLS 1.3 upload on Deno may be cut (see above); TLS 1.2 sends
    // its ticket inside the handshake, which curl reads.
    if (IS_DENO) assert.ok(refused.every((name) => name.startsWith("curl1.3_")), refused.join(", "));
    else assert.deepEqual(refused, []);
  } finally {
    await fixture.close();
    await rm(local, { recursive: true, force: true });
  }
});
