import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { open, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { curl, ftpUrl, sha256File, withFixture } from "./_clients.ts";

const BLOCK = 1024 * 1024;
const BLOCKS = 1024;
const SIZE = BLOCK * BLOCKS;

/**
 * Writes 1 GiB to `path`: one random 1 MiB block, repeated with its index
 * stamped at both ends so that a lost, repeated or reordered block changes
 * the checksum. Returns the SHA-256, computed while writing.
 */
async function writeBigFile(path: string): Promise<string> {
  const block = randomBytes(BLOCK);
  const hash = createHash("sha256");
  const file = await open(path, "w");
  try {
    for (let index = 0; index < BLOCKS; index++) {
      block.writeUInt32BE(index, 0);
      block.writeUInt32LE(index, BLOCK - 4);
      hash.update(block);
      // The block is only changed again once this write has finished with it.
      await file.write(block);
    }
  } finally {
    await file.close();
  }
  return hash.digest("hex");
}

function mibPerSecond(startedMs: number): string {
  return (SIZE / BLOCK / ((performance.now() - startedMs) / 1000)).toFixed(0);
}

test("big file: 1 GiB survives RETR and STOR with curl byte for byte", { timeout: 300_000 }, async () => {
  await withFixture(async (fixture) => {
    const original = join(fixture.root, "big.bin");
    const copy = join(fixture.root, "copy.bin");
    try {
      const digest = await writeBigFile(original);
      assert.equal((await stat(original)).size, SIZE);

      const received = createHash("sha256");
      let bytes = 0;
      let started = performance.now();
      const download = await curl(["-o", "-", ftpUrl(fixture, "/big.bin")], {
        timeoutMs: 240_000,
        onStdout: (chunk) => {
          bytes += chunk.length;
          received.update(chunk);
        },
      });
      const retrSpeed = mibPerSecond(started);
      assert.equal(download.code, 0, download.stderr);
      assert.equal(bytes, SIZE);
      assert.equal(received.digest("hex"), digest, "downloaded checksum differs");

      started = performance.now();
      const upload = await curl(["-T", original, ftpUrl(fixture, "/copy.bin")], { timeoutMs: 240_000 });
      const storSpeed = mibPerSecond(started);
      assert.equal(upload.code, 0, upload.stderr);
      assert.ok(upload.received.some((line) => line.startsWith("226 ")), upload.stderr);
      assert.equal((await stat(copy)).size, SIZE);
      assert.equal(await sha256File(copy), digest, "uploaded checksum differs");
      console.log(`big file: RETR ${retrSpeed} MiB/s, STOR ${storSpeed} MiB/s (curl, 1 GiB, information only)`);
    } finally {
      await rm(original, { force: true });
      await rm(copy, { force: true });
    }
  });
});
