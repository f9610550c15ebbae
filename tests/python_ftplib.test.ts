import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { access, chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { binaryContent, python, sha256, withFixture } from "./_clients.ts";

/** An ftplib exception as the drivers' `error_of()` reports it. */
interface FtpLibError {
  readonly class: string;
  readonly message: string;
}

async function exists(path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false);
}

function assertRefused(error: FtpLibError | null, what: string): void {
  assert.ok(error, `${what} should have raised`);
  assert.equal(error.class, "error_perm", `${what}: ${error.message}`);
  assert.match(error.message, /^550 /, what);
}

/** `YYYYMMDDHHMMSS` (UTC) of a time in milliseconds, as MLSx and MDTM give it. */
function timeVal(ms: number): string {
  return new Date(ms).toISOString().replace(/\D/g, "").slice(0, 14);
}

test("ftplib: welcome, login, and a wrong password is refused with 530", async () => {
  await withFixture(async (fixture) => {
    const result = await python(fixture, `
ftp = ftplib.FTP(encoding="utf-8")
welcome = ftp.connect("127.0.0.1", P["port"], timeout=60)
login = ftp.login(P["user"], P["password"])
pwd = ftp.pwd()
quit = ftp.quit()
bad = ftplib.FTP(encoding="utf-8")
bad.connect("127.0.0.1", P["port"], timeout=60)
emit({"welcome": welcome, "login": login, "pwd": pwd, "quit": quit,
      "bad": error_of(bad.login, P["user"], "wrong")})
`) as { welcome: string; login: string; pwd: string; quit: string; bad: FtpLibError | null };
    assert.match(result.welcome, /^220 /);
    assert.match(result.login, /^230 /);
    assert.equal(result.pwd, "/");
    assert.match(result.quit, /^221 /);
    assert.equal(result.bad?.class, "error_perm");
    assert.match(result.bad?.message ?? "", /^530 /);
  });
});

test("ftplib: mlsd() facts describe files and folders", async () => {
  await withFixture(async (fixture) => {
    const file = join(fixture.root, "data.bin");
    await writeFile(file, binaryContent(12_345));
    await chmod(file, 0o640);
    await mkdir(join(fixture.root, "sub"));
    await chmod(join(fixture.root, "sub"), 0o750);
    const entries = Object.fromEntries(
      await python(fixture, `
ftp = connect()
emit(list(ftp.mlsd()))
`) as [string, Record<string, string>][],
    );
    assert.deepEqual(Object.keys(entries).sort(), ["data.bin", "sub"]);
    const data = entries["data.bin"];
    const sub = entries["sub"];
    for (const facts of [data, sub]) {
      for (const fact of ["type", "size", "modify", "perm", "unique", "unix.mode"]) {
        assert.ok(fact in facts, `fact ${fact} missing: ${JSON.stringify(facts)}`);
      }
    }
    assert.equal(data.type, "file");
    assert.equal(sub.type, "dir");
    assert.equal(data.size, "12345");
    assert.equal(data["unix.mode"], "0640");
    assert.equal(sub["unix.mode"], "0750");
    assert.equal(data.modify, timeVal((await stat(file)).mtimeMs));
    assert.equal(sub.modify, timeVal((await stat(join(fixture.root, "sub"))).mtimeMs));
    // alice holds every permission: RFC 3659 §7.5.5 letters for each kind.
    assert.deepEqual([...data.perm].sort(), ["a", "d", "f", "r", "w"]);
    assert.deepEqual([...sub.perm].sort(), ["c", "d", "e", "f", "l", "m", "p"]);
    assert.notEqual(data.unique, sub.unique);
    assert.ok(data.unique.length > 0);
  });
});

test("ftplib: mlsd() as anonymous shows read-only perm facts", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "f.txt"), "x");
    await mkdir(join(fixture.root, "d"));
    const entries = Object.fromEntries(
      await python(fixture, `
ftp = connect("anonymous", "guest@example.com")
emit(list(ftp.mlsd()))
`) as [string, Record<string, string>][],
    );
    assert.equal(entries["f.txt"].perm, "r");
    assert.deepEqual([...entries["d"].perm].sort(), ["e", "l"]);
  });
});

test("ftplib: retrbinary with rest= returns the file from the offset", async () => {
  await withFixture(async (fixture) => {
    const content = binaryContent(200_003);
    await writeFile(join(fixture.root, "big.bin"), content);
    const result = await python(fixture, `
ftp = connect()
got = {}
for offset in P["offsets"]:
    parts = []
    ftp.retrbinary("RETR big.bin", parts.append, rest=offset)
    data = b"".join(parts)
    got[str(offset)] = {"length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
got["beyond"] = error_of(ftp.retrbinary, "RETR big.bin", lambda _: None, rest=P["beyond"])
emit(got)
`, { offsets: [0, 1, 65_536, 123_457, 200_003], beyond: 200_004 }) as Record<string, unknown>;
    for (const offset of [0, 1, 65_536, 123_457, 200_003]) {
      const expected = content.subarray(offset);
      assert.deepEqual(result[String(offset)], { length: expected.length, sha256: sha256(expected) }, `rest=${offset}`);
    }
    const beyond = result.beyond as FtpLibError | null;
    assert.ok(beyond, "REST beyond the end must fail the RETR");
    assert.equal(beyond.class, "error_perm");
  });
});

test("ftplib: storbinary stores the exact bytes", async () => {
  await withFixture(async (fixture, local) => {
    const content = binaryContent(1024 * 1024 + 7);
    await writeFile(join(local, "src.bin"), content);
    const result = await python(fixture, `
ftp = connect()
with open(P["source"], "rb") as source:
    reply = ftp.storbinary("STOR stored.bin", source)
emit({"reply": reply, "size": ftp.size("stored.bin")})
`, { source: join(local, "src.bin") }) as { reply: string; size: number };
    assert.match(result.reply, /^226 /);
    assert.equal(result.size, content.length);
    assert.ok((await readFile(join(fixture.root, "stored.bin"))).equals(content), "stored bytes differ");
  });
});

test("ftplib: an upload whose data connection is reset gets 426, never 226, and the file it replaces stays", async () => {
  await withFixture(async (fixture) => {
    const kept = join(fixture.root, "kept.bin");
    await writeFile(kept, "original");
    const result = await python(fixture, `
import socket, struct
ftp = connect()
ftp.voidcmd("TYPE I")
conn = ftp.transfercmd("STOR kept.bin")
conn.sendall(b"x" * 4000000)
# A reset right behind the data, no FIN: the server reads the data first.
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
emit({"reply": error_of(ftp.voidresp), "noop": ftp.voidcmd("NOOP")})
`) as { reply: FtpLibError | null; noop: string };
    assert.match(result.reply?.message ?? "no error: 226", /^426 /);
    assert.match(result.noop, /^200 /);
    assert.equal(await readFile(kept, "utf8"), "original");
  });
});

test("ftplib: nlst lists names of the folder and of a subfolder", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "b.txt"), "b");
    await writeFile(join(fixture.root, "a b.txt"), "a");
    await mkdir(join(fixture.root, "dir"));
    await writeFile(join(fixture.root, "dir", "inner.txt"), "i");
    const result = await python(fixture, `
ftp = connect()
emit({"root": ftp.nlst(), "dir": ftp.nlst("dir")})
`) as { root: string[]; dir: string[] };
    assert.deepEqual(result.root.sort(), ["a b.txt", "b.txt", "dir"]);
    assert.deepEqual(result.dir, ["inner.txt"]);
  });
});

test("ftplib: rename moves a file", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "from.txt"), "moving");
    await mkdir(join(fixture.root, "there"));
    const result = await python(fixture, `
ftp = connect()
emit({"reply": ftp.rename("from.txt", "there/to.txt"),
      "missing": error_of(ftp.rename, "nothing.txt", "x.txt")})
`) as { reply: string; missing: FtpLibError | null };
    assert.match(result.reply, /^250 /);
    assert.equal(await exists(join(fixture.root, "from.txt")), false);
    assert.equal(await readFile(join(fixture.root, "there", "to.txt"), "utf8"), "moving");
    assertRefused(result.missing, "RNFR of a missing file");
    assert.equal(await exists(join(fixture.root, "x.txt")), false);
  });
});

test("ftplib: delete removes a file", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "gone.txt"), "bye");
    await writeFile(join(fixture.root, "kept.txt"), "stay");
    const result = await python(fixture, `
ftp = connect()
emit({"reply": ftp.delete("gone.txt"), "again": error_of(ftp.delete, "gone.txt")})
`) as { reply: string; again: FtpLibError | null };
    assert.match(result.reply, /^250 /);
    assert.deepEqual(await readdir(fixture.root), ["kept.txt"]);
    assertRefused(result.again, "DELE of a missing file");
  });
});

test("ftplib: mkd, cwd, pwd and rmd", async () => {
  await withFixture(async (fixture) => {
    const result = await python(fixture, `
ftp = connect()
steps = {"mkd": ftp.mkd("top")}
steps["cwd"] = ftp.cwd("top")
steps["pwd_in"] = ftp.pwd()
steps["mkd_inner"] = ftp.mkd("inner")
steps["mkd_deep"] = ftp.mkd("inner/deep")
steps["cwd_deep"] = ftp.cwd("/top/inner/deep")
steps["pwd_deep"] = ftp.pwd()
steps["cwd_up"] = ftp.cwd("../..")
steps["pwd_up"] = ftp.pwd()
steps["rmd_full"] = error_of(ftp.rmd, "inner")
steps["rmd"] = ftp.rmd("inner/deep")
steps["cwd_missing"] = error_of(ftp.cwd, "nowhere")
emit(steps)
`) as Record<string, unknown>;
    assert.equal(result.mkd, "/top");
    assert.match(result.cwd as string, /^250 /);
    assert.equal(result.pwd_in, "/top");
    assert.equal(result.mkd_inner, "/top/inner");
    assert.equal(result.mkd_deep, "/top/inner/deep");
    assert.equal(result.pwd_deep, "/top/inner/deep");
    assert.equal(result.pwd_up, "/top");
    assertRefused(result.rmd_full as FtpLibError | null, "RMD of a non-empty folder");
    assert.match(result.rmd as string, /^250 /);
    assertRefused(result.cwd_missing as FtpLibError | null, "CWD to a missing folder");
    assert.ok((await stat(join(fixture.root, "top", "inner"))).isDirectory());
    assert.equal(await exists(join(fixture.root, "top", "inner", "deep")), false);
  });
});

test("ftplib: SIZE is refused in the initial ASCII type and works after TYPE I", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "sized.bin"), binaryContent(54_321));
    const result = await python(fixture, `
ftp = connect()
ascii = error_of(ftp.size, "sized.bin")
type_i = ftp.sendcmd("TYPE I")
size = ftp.size("sized.bin")
missing = error_of(ftp.size, "missing.bin")
folder = error_of(ftp.size, "/")
type_a = ftp.sendcmd("TYPE A")
ascii_again = error_of(ftp.size, "sized.bin")
emit({"ascii": ascii, "type_i": type_i, "size": size, "missing": missing, "folder": folder,
      "type_a": type_a, "ascii_again": ascii_again})
`) as Record<string, unknown>;
    assertRefused(result.ascii as FtpLibError | null, "SIZE in the initial ASCII type");
    assert.match(result.type_i as string, /^200 /);
    assert.equal(result.size, 54_321);
    assertRefused(result.missing as FtpLibError | null, "SIZE of a missing file");
    assertRefused(result.folder as FtpLibError | null, "SIZE of a folder");
    assert.match(result.type_a as string, /^200 /);
    assertRefused(result.ascii_again as FtpLibError | null, "SIZE after TYPE A");
  });
});

test("ftplib: FEAT, SYST, NOOP, HELP and STAT", async () => {
  await withFixture(async (fixture) => {
    const result = await python(fixture, `
ftp = connect()
emit({name: ftp.sendcmd(name) for name in ["FEAT", "SYST", "NOOP", "HELP", "STAT", "HELP RETR"]})
`) as Record<string, string>;
    const feat = result.FEAT.split("\n");
    assert.match(feat[0], /^211-/);
    assert.match(feat[feat.length - 1], /^211 /);
    // RFC 2389: each feature line starts with a space.
    const features = feat.slice(1, -1).map((line) => {
      assert.match(line, /^ \S/);
      return line.trim();
    });
    for (const name of ["EPSV", "MDTM", "REST STREAM", "SIZE", "TVFS", "UTF8"]) {
      assert.ok(features.includes(name), `FEAT lacks ${name}: ${features}`);
    }
    const mlst = features.find((line) => line.startsWith("MLST "));
    assert.ok(mlst, `FEAT lacks MLST: ${features}`);
    for (const fact of ["type*;", "size*;", "modify*;", "perm*;", "unique*;", "unix.mode*;"]) {
      assert.ok(mlst.includes(fact), `MLST lacks ${fact}: ${mlst}`);
    }
    assert.equal(result.SYST, "215 UNIX Type: L8");
    assert.match(result.NOOP, /^200 /);
    assert.match(result.HELP, /^214-/);
    for (const verb of ["RETR", "STOR", "MLSD", "EPSV", "FEAT"]) assert.match(result.HELP, new RegExp(`\\b${verb}\\b`));
    assert.match(result["HELP RETR"], /^214 .*RETR/);
    assert.match(result.STAT, /^211-/);
    assert.match(result.STAT, /alice/);
    assert.match(result.STAT, /\n211 /);
  });
});

test("ftplib: storlines and retrlines in ASCII mode: LF on disk, CRLF on the wire", async () => {
  await withFixture(async (fixture) => {
    const result = await python(fixture, `
ftp = connect()
stored = ftp.storlines("STOR lines.txt", io.BytesIO("one\\ntwo\\r\\nthree é\\n\\nlast\\n".encode()))
lines = []
fetched = ftp.retrlines("RETR lines.txt", lines.append)
ftp.sendcmd("TYPE A")
with ftp.transfercmd("RETR lines.txt") as conn:
    wire = b""
    while chunk := conn.recv(65536):
        wire += chunk
ftp.voidresp()
emit({"stored": stored, "fetched": fetched, "lines": lines, "wire": wire.decode()})
`) as { stored: string; fetched: string; lines: string[]; wire: string };
    assert.match(result.stored, /^226 /);
    assert.match(result.fetched, /^226 /);
    assert.equal(await readFile(join(fixture.root, "lines.txt"), "utf8"), "one\ntwo\nthree é\n\nlast\n");
    assert.deepEqual(result.lines, ["one", "two", "three é", "", "last"]);
    assert.equal(result.wire, "one\r\ntwo\r\nthree é\r\n\r\nlast\r\n");
  });
});

test("ftplib: retrieving a missing file raises error_perm 550", async () => {
  await withFixture(async (fixture) => {
    const result = await python(fixture, `
ftp = connect()
emit({"binary": error_of(ftp.retrbinary, "RETR missing.bin", lambda _: None),
      "lines": error_of(ftp.retrlines, "RETR missing.txt", lambda _: None),
      "noop": ftp.voidcmd("NOOP")})
`) as { binary: FtpLibError | null; lines: FtpLibError | null; noop: string };
    assertRefused(result.binary, "RETR of a missing file");
    assertRefused(result.lines, "RETR of a missing file (ASCII)");
    // The session stays usable after the error.
    assert.match(result.noop, /^200 /);
  });
});

test("ftplib: anonymous may log in and read but not STOR, DELE, MKD or RNFR", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "public.txt"), "read me");
    await mkdir(join(fixture.root, "folder"));
    const before = await snapshot(fixture.root);
    const result = await python(fixture, `
ftp = ftplib.FTP(encoding="utf-8")
ftp.connect("127.0.0.1", P["port"], timeout=60)
login = ftp.login()
parts = []
ftp.retrbinary("RETR public.txt", parts.append)
emit({"login": login, "read": b"".join(parts).decode(),
      "stor": error_of(ftp.storbinary, "STOR new.txt", io.BytesIO(b"nope")),
      "stor_over": error_of(ftp.storbinary, "STOR public.txt", io.BytesIO(b"nope")),
      "appe": error_of(ftp.storbinary, "APPE public.txt", io.BytesIO(b"nope")),
      "dele": error_of(ftp.delete, "public.txt"),
      "mkd": error_of(ftp.mkd, "made"),
      "rmd": error_of(ftp.rmd, "folder"),
      "rnfr": error_of(ftp.sendcmd, "RNFR public.txt"),
      "rename": error_of(ftp.rename, "public.txt", "moved.txt"),
      "noop": ftp.voidcmd("NOOP")})
`) as Record<string, unknown>;
    assert.match(result.login as string, /^230 /);
    assert.equal(result.read, "read me");
    for (const what of ["stor", "stor_over", "appe", "dele", "mkd", "rmd", "rnfr", "rename"]) {
      assertRefused(result[what] as FtpLibError | null, `anonymous ${what}`);
    }
    assert.match(result.noop as string, /^200 /);
    assert.deepEqual(await snapshot(fixture.root), before);
  });
});

/** Every entry under `folder` with its content (files) or a marker (folders). */
async function snapshot(folder: string, into: Record<string, string> = {}): Promise<Record<string, string>> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      into[path] = "<dir>";
      await snapshot(path, into);
    } else {
      into[path] = Buffer.from(await readFile(path)).toString("base64");
    }
  }
  return into;
}

test("ftplib: active mode (set_pasv(False)) downloads and uploads; dir(), acct() and abort()", async () => {
  await withFixture(async (fixture) => {
    const content = binaryContent(200_000);
    await writeFile(join(fixture.root, "act.bin"), content);
    await writeFile(join(fixture.root, "big.bin"), binaryContent(32 * 1024 * 1024));
    const result = await python(fixture, `
ftp = connect()
ftp.set_pasv(False)
down = io.BytesIO()
retr = ftp.retrbinary("RETR act.bin", down.write)
stor = ftp.storbinary("STOR act-up.bin", io.BytesIO(down.getvalue()))
lines = []
ftp.dir(lines.append)
acct = ftp.acct("billing")
ftp.set_pasv(True)
conn = ftp.transfercmd("RETR big.bin")
conn.recv(1024)
aborted = ftp.abort()
# abort() returns the first reply; after a 426 the 226 follows.
after_abort = ftp.voidresp()
conn.close()
emit({"retr": retr, "stor": stor, "sha": hashlib.sha256(down.getvalue()).hexdigest(),
      "lines": lines, "acct": acct, "aborted": aborted, "after_abort": after_abort, "noop": ftp.voidcmd("NOOP")})
`) as Record<string, string> & { lines: string[] };
    assert.match(result.retr, /^226 /);
    assert.equal(result.sha, sha256(content));
    assert.match(result.stor, /^226 /);
    assert.ok(Buffer.from(await readFile(join(fixture.root, "act-up.bin"))).equals(content));
    assert.ok(result.lines.some((line) => /^-rw.* act\.bin$/.test(line)), JSON.stringify(result.lines));
    assert.match(result.acct, /^202 /);
    // The transfer was running: 426 for it, then 226 for ABOR itself. ftplib
    // sends ABOR as TCP urgent data, so its LF never arrives inline.
    assert.match(result.aborted, /^426 /);
    assert.match(result.after_abort, /^226 /);
    assert.match(result.noop, /^200 /);
  });
});

test("ftplib: sendcmd for STOU, HASH, MFMT, SITE CHMOD, AVBL, CLNT and REIN", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "h.txt"), "hash me");
    const result = await python(fixture, `
ftp = connect()
ftp.voidcmd("TYPE I")
conn, _ = ftp.ntransfercmd("STOU upload.txt")
stou = ftp.lastresp
conn.sendall(b"unique")
conn.close()
stou_end = ftp.voidresp()
out = {"stou_end": stou_end}
for command in ["HASH h.txt", "OPTS HASH MD5", "HASH h.txt", "MFMT 20200102030405 h.txt",
                "SITE CHMOD 640 h.txt", "AVBL", "CLNT python ftplib", "REIN"]:
    out[command] = ftp.sendcmd(command)
out["after_rein"] = error_of(ftp.pwd)
emit(out)
`) as Record<string, unknown>;
    assert.match(result.stou_end as string, /^226 /);
    assert.equal(await readFile(join(fixture.root, "upload.txt"), "utf8"), "unique");
    assert.equal(result["HASH h.txt"], `213 MD5 0-7 ${createHash("md5").update("hash me").digest("hex")} /h.txt`);
    assert.equal(result["OPTS HASH MD5"], "200 MD5");
    assert.equal(result["MFMT 20200102030405 h.txt"], "213 Modify=20200102030405; /h.txt");
    assert.equal((await stat(join(fixture.root, "h.txt"))).mtimeMs, Date.UTC(2020, 0, 2, 3, 4, 5));
    assert.match(result["SITE CHMOD 640 h.txt"] as string, /^200 /);
    assert.equal((await stat(join(fixture.root, "h.txt"))).mode & 0o777, 0o640);
    assert.match(result.AVBL as string, /^213 \d+$/);
    assert.match(result["CLNT python ftplib"] as string, /^200 /);
    assert.match(result.REIN as string, /^220 /);
    assert.match((result.after_rein as FtpLibError).message, /^530 /);
  });
});
