import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { access, chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { binaryContent, curl, type CurlResult, ftpUrl, withFixture } from "./_clients.ts";

const decoder = new TextDecoder();

function text(result: CurlResult): string {
  return decoder.decode(result.stdout);
}

/** Listing lines; curl turns the wire's CRLF into LF for ASCII transfers. */
function lines(listing: string): string[] {
  assert.ok(listing.endsWith("\n"), `listing ends with a line end: ${JSON.stringify(listing)}`);
  return listing.slice(0, -1).split(/\r?\n/);
}

function assertOk(result: CurlResult): void {
  assert.equal(result.code, 0, `curl failed:\n${result.stderr}`);
}

async function exists(path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false);
}

/** The `ls -l` line curl printed for `name`, split into mode, size and name. */
function listed(listing: string, name: string): { mode: string; size: number } | undefined {
  for (const line of lines(listing)) {
    const match = /^([dl-][rwxsStT-]{9})\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\w{3}\s+\d+\s+[\d:]+\s(.+)$/.exec(line);
    if (match && match[3] === name) return { mode: match[1], size: Number(match[2]) };
  }
  return undefined;
}

async function seedListingTree(root: string): Promise<void> {
  await writeFile(join(root, "a.txt"), "alpha\n");
  await chmod(join(root, "a.txt"), 0o644);
  await writeFile(join(root, "b.bin"), new Uint8Array(1000));
  await mkdir(join(root, "sub"));
}

function assertListing(listing: string): void {
  assert.equal(lines(listing).length, 3, listing);
  assert.deepEqual(listed(listing, "a.txt"), { mode: "-rw-r--r--", size: 6 });
  assert.equal(listed(listing, "b.bin")?.size, 1000);
  assert.match(listed(listing, "sub")?.mode ?? "", /^d/);
}

test("curl: LIST over EPSV (curl's default)", async () => {
  await withFixture(async (fixture) => {
    await seedListingTree(fixture.root);
    const result = await curl([ftpUrl(fixture, "/")]);
    assertOk(result);
    assert.ok(result.sent.includes("EPSV"), result.stderr);
    assert.ok(!result.sent.includes("PASV"), result.stderr);
    assert.ok(result.received.some((line) => line.startsWith("229 ")), result.stderr);
    assert.ok(result.sent.includes("LIST"), result.stderr);
    assertListing(text(result));
  });
});

test("curl: LIST over PASV (--disable-epsv)", async () => {
  await withFixture(async (fixture) => {
    await seedListingTree(fixture.root);
    const result = await curl(["--disable-epsv", ftpUrl(fixture, "/")]);
    assertOk(result);
    assert.ok(result.sent.includes("PASV"), result.stderr);
    assert.ok(!result.sent.includes("EPSV"), result.stderr);
    assert.ok(
      result.received.some((line) => /^227 .*\(127,0,0,1,\d+,\d+\)/.test(line)),
      result.stderr,
    );
    assertListing(text(result));
  });
});

test("curl: LIST of a subfolder", async () => {
  await withFixture(async (fixture) => {
    await mkdir(join(fixture.root, "sub"));
    await writeFile(join(fixture.root, "sub", "inner.txt"), "12345");
    await chmod(join(fixture.root, "sub", "inner.txt"), 0o640);
    const result = await curl([ftpUrl(fixture, "/sub/")]);
    assertOk(result);
    assert.deepEqual(listed(text(result), "inner.txt"), { mode: "-rw-r-----", size: 5 });
    assert.equal(listed(text(result), "sub"), undefined);
  });
});

test("curl: binary download is byte-exact", async () => {
  await withFixture(async (fixture) => {
    const content = binaryContent(3 * 1024 * 1024 + 17);
    await writeFile(join(fixture.root, "data.bin"), content);
    const result = await curl(["-o", "-", ftpUrl(fixture, "/data.bin")]);
    assertOk(result);
    assert.ok(result.sent.includes("TYPE I"), result.stderr);
    assert.ok(result.sent.includes("RETR data.bin"), result.stderr);
    assert.equal(result.stdout.length, content.length);
    assert.ok(Buffer.from(result.stdout).equals(content), "downloaded bytes differ");
  });
});

test("curl: upload with -T stores the exact bytes", async () => {
  await withFixture(async (fixture, local) => {
    const content = binaryContent(2 * 1024 * 1024 + 5);
    await writeFile(join(local, "up.bin"), content);
    const result = await curl(["-T", join(local, "up.bin"), ftpUrl(fixture, "/up.bin")]);
    assertOk(result);
    assert.ok(result.sent.includes("STOR up.bin"), result.stderr);
    assert.ok(result.received.some((line) => line.startsWith("226 ")), result.stderr);
    assert.ok((await readFile(join(fixture.root, "up.bin"))).equals(content), "stored bytes differ");
  });
});

test("curl: upload over an existing file replaces it", async () => {
  await withFixture(async (fixture, local) => {
    await writeFile(join(fixture.root, "over.txt"), "a much longer old content that must disappear\n");
    await writeFile(join(local, "over.txt"), "new\n");
    assertOk(await curl(["-T", join(local, "over.txt"), ftpUrl(fixture, "/over.txt")]));
    assert.equal(await readFile(join(fixture.root, "over.txt"), "utf8"), "new\n");
  });
});

test("curl: resumed download (-C -) sends REST and completes the partial file", async () => {
  await withFixture(async (fixture, local) => {
    const content = binaryContent(1024 * 1024 + 3);
    const have = 300_001;
    await writeFile(join(fixture.root, "resume.bin"), content);
    await writeFile(join(local, "resume.bin"), content.subarray(0, have));
    const result = await curl(["-C", "-", "-o", join(local, "resume.bin"), ftpUrl(fixture, "/resume.bin")]);
    assertOk(result);
    assert.ok(result.sent.includes(`REST ${have}`), result.stderr);
    assert.ok(result.received.some((line) => line.startsWith("350 ")), result.stderr);
    // Had the server ignored REST, the whole file would have been appended.
    const downloaded = await readFile(join(local, "resume.bin"));
    assert.equal(downloaded.length, content.length);
    assert.ok(downloaded.equals(content), "resumed download differs");
  });
});

test("curl: resumed upload (-C -) asks SIZE, then APPEs only the rest", async () => {
  await withFixture(async (fixture, local) => {
    const content = binaryContent(1024 * 1024 + 11);
    const have = 400_003;
    await writeFile(join(local, "resume.bin"), content);
    await writeFile(join(fixture.root, "resume.bin"), content.subarray(0, have));
    const result = await curl([
      "-C", "-", "-T", join(local, "resume.bin"), "-w", "%{size_upload}", ftpUrl(fixture, "/resume.bin"),
    ]);
    assertOk(result);
    // curl sends TYPE I first, so the server may answer SIZE (refused in ASCII).
    const sent = result.sent;
    assert.ok(sent.includes("SIZE resume.bin"), result.stderr);
    assert.ok(sent.indexOf("TYPE I") < sent.indexOf("SIZE resume.bin"), result.stderr);
    assert.ok(result.received.includes(`213 ${have}`), result.stderr);
    assert.ok(sent.includes("APPE resume.bin"), result.stderr);
    assert.ok(!sent.includes("STOR resume.bin"), result.stderr);
    assert.equal(Number(text(result)), content.length - have, "curl sent more than the missing tail");
    assert.ok((await readFile(join(fixture.root, "resume.bin"))).equals(content), "resumed upload differs");
  });
});

test("curl: -Q MKD creates a folder", async () => {
  await withFixture(async (fixture) => {
    const result = await curl(["-Q", "MKD made", ftpUrl(fixture, "/")]);
    assertOk(result);
    assert.ok(result.received.some((line) => line.startsWith('257 "/made"')), result.stderr);
    assert.ok((await stat(join(fixture.root, "made"))).isDirectory());
    assert.match(listed(text(result), "made")?.mode ?? "", /^d/);
  });
});

test("curl: -Q RNFR/RNTO renames a file", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "old.txt"), "renamed content");
    const result = await curl(["-Q", "RNFR old.txt", "-Q", "RNTO new.txt", ftpUrl(fixture, "/")]);
    assertOk(result);
    assert.ok(result.received.some((line) => line.startsWith("350 ")), result.stderr);
    assert.ok(result.received.some((line) => line.startsWith("250 ")), result.stderr);
    assert.equal(await exists(join(fixture.root, "old.txt")), false);
    assert.equal(await readFile(join(fixture.root, "new.txt"), "utf8"), "renamed content");
  });
});

test("curl: -Q DELE deletes a file, and fails for a missing one", async () => {
  await withFixture(async (fixture) => {
    await writeFile(join(fixture.root, "doomed.txt"), "bye");
    await writeFile(join(fixture.root, "kept.txt"), "stay");
    const deleted = await curl(["-Q", "DELE doomed.txt", ftpUrl(fixture, "/")]);
    assertOk(deleted);
    assert.equal(await exists(join(fixture.root, "doomed.txt")), false);
    assert.equal(await readFile(join(fixture.root, "kept.txt"), "utf8"), "stay");
    const again = await curl(["-Q", "DELE doomed.txt", ftpUrl(fixture, "/")]);
    assert.equal(again.code, 21, `curl's "quote command returned error":\n${again.stderr}`);
    assert.ok(again.received.some((line) => line.startsWith("550 ")), again.stderr);
  });
});

test("curl: --list-only uses NLST and gets bare names", async () => {
  await withFixture(async (fixture) => {
    await seedListingTree(fixture.root);
    const result = await curl(["--list-only", ftpUrl(fixture, "/")]);
    assertOk(result);
    assert.ok(result.sent.includes("NLST"), result.stderr);
    assert.deepEqual(lines(text(result)), ["a.txt", "b.bin", "sub"]);
  });
});

test("curl: anonymous may download but not upload", async () => {
  await withFixture(async (fixture, local) => {
    await writeFile(join(fixture.root, "public.txt"), "for everyone");
    const download = await curl(["-o", "-", ftpUrl(fixture, "/public.txt", "anonymous")]);
    assertOk(download);
    assert.ok(download.sent.includes("USER anonymous"), download.stderr);
    assert.equal(text(download), "for everyone");

    await writeFile(join(local, "evil.txt"), "should not land");
    const upload = await curl(["-T", join(local, "evil.txt"), ftpUrl(fixture, "/evil.txt", "anonymous")]);
    assert.equal(upload.code, 25, `curl's "upload failed":\n${upload.stderr}`);
    assert.ok(upload.received.some((line) => line.startsWith("550 ")), upload.stderr);
    assert.deepEqual((await readdir(fixture.root)).sort(), ["public.txt"]);
  });
});

test("curl: names with spaces and UTF-8 download, upload and list", async () => {
  await withFixture(async (fixture, local) => {
    const name = "é ü 文件.txt";
    const content = new TextEncoder().encode("contenu: 文件 ✓\n");
    await writeFile(join(fixture.root, name), content);

    const download = await curl(["-o", "-", ftpUrl(fixture, `/${name}`)]);
    assertOk(download);
    assert.ok(download.sent.includes(`RETR ${name}`), download.stderr);
    assert.ok(Buffer.from(download.stdout).equals(content));

    const uploaded = "ñ up 上传.bin";
    const bytes = binaryContent(70_000);
    await writeFile(join(local, "plain.bin"), bytes);
    assertOk(await curl(["-T", join(local, "plain.bin"), ftpUrl(fixture, `/${uploaded}`)]));
    assert.ok((await readFile(join(fixture.root, uploaded))).equals(bytes));

    const names = await curl(["--list-only", ftpUrl(fixture, "/")]);
    assertOk(names);
    assert.deepEqual(lines(text(names)).sort(), [name, uploaded].sort());
  });
});

test("curl: active mode (-P -) downloads over EPRT and, with --disable-eprt, uploads over PORT", async () => {
  await withFixture(async (fixture, local) => {
    const content = binaryContent(512 * 1024 + 9);
    await writeFile(join(fixture.root, "active.bin"), content);
    const down = await curl(["-P", "-", "-o", "-", ftpUrl(fixture, "/active.bin")]);
    assertOk(down);
    assert.ok(down.sent.some((line) => line.startsWith("EPRT |1|127.0.0.1|")), down.stderr);
    assert.ok(!down.sent.includes("EPSV") && !down.sent.includes("PASV"), down.stderr);
    assert.ok(Buffer.from(down.stdout).equals(content), "active download differs");

    await writeFile(join(local, "up.bin"), content);
    const up = await curl(["-P", "-", "--disable-eprt", "-T", join(local, "up.bin"), ftpUrl(fixture, "/up.bin")]);
    assertOk(up);
    assert.ok(up.sent.some((line) => line.startsWith("PORT 127,0,0,1,")), up.stderr);
    assert.ok((await readFile(join(fixture.root, "up.bin"))).equals(content), "active upload differs");
  });
});

test("curl: active mode towards another address is refused and nothing is stored", async () => {
  await withFixture(async (fixture, local) => {
    await writeFile(join(local, "bounce.txt"), "must not arrive\n");
    // curl listens on 127.0.0.2 and announces it, while its control
    // connection comes from 127.0.0.1: a foreign address to the server.
    const result = await curl([
      "-P", "127.0.0.2", "--disable-eprt", "-T", join(local, "bounce.txt"), ftpUrl(fixture, "/bounce.txt"),
    ]);
    assert.notEqual(result.code, 0, result.stderr);
    assert.ok(result.sent.some((line) => line.startsWith("PORT 127,0,0,2,")), result.stderr);
    assert.ok(result.received.some((line) => line.startsWith("501 ")), result.stderr);
    assert.ok(!result.sent.some((line) => line.startsWith("STOR")), result.stderr);
    assert.deepEqual(await readdir(fixture.root), []);
  });
});

test("curl: ;type=a downloads and uploads in ASCII, LF on disk and CRLF on the wire", async () => {
  await withFixture(async (fixture, local) => {
    await writeFile(join(fixture.root, "text.txt"), "one\ntwo\n");
    const down = await curl(["-o", "-", "-w", "|%{size_download}", `${ftpUrl(fixture, "/text.txt")};type=a`]);
    assertOk(down);
    assert.ok(down.sent.includes("TYPE A"), down.stderr);
    // curl turns the wire's CRLF back into LF; the byte count shows the
    // wire carried 10 bytes (CRLF) for the 8 stored (LF).
    assert.equal(text(down), "one\ntwo\n|10");
    // curl sends an ASCII upload with CRLF line ends (LF becomes CRLF).
    await writeFile(join(local, "crlf.txt"), "three\nfour\n");
    const up = await curl(["-T", join(local, "crlf.txt"), `${ftpUrl(fixture, "/crlf.txt")};type=a`]);
    assertOk(up);
    assert.equal(await readFile(join(fixture.root, "crlf.txt"), "utf8"), "three\nfour\n");
  });
});
