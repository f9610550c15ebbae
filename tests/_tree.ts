/**
 * A folder tree with awkward names for the mirror-style interop tests
 * (lftp, rclone), and a way to compare two trees byte for byte.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Folder names, nested as listed (a `/` makes a subfolder). */
const FOLDERS = [
  "plain",
  "with space",
  "with space/deeper level",
  "quote's \"double\"",
  "ünïcödé — 日本語",
  "ünïcödé — 日本語/-dash folder",
  "a/b/c/d",
];

/** Name stems that clients and servers tend to get wrong. */
const STEMS = ["file", "two  spaces", "-leading-dash", "it's", "say \"hi\"", "naïve café", "emoji 🎉", "semi;colon", "hash#", "percent%20"];

/**
 * Writes `count` files (sizes from 0 bytes to 1 MiB, content unique per
 * file) spread over nested folders with odd names under `root`. Returns
 * the files' relative paths.
 *
 * @example
 * ```ts
 * import { makeTree } from "./_tree.ts";
 * const paths = makeTree("/tmp/tree", 200);
 * ```
 */
export function makeTree(root: string, count: number): string[] {
  const folders = ["", ...FOLDERS];
  for (const folder of FOLDERS) mkdirSync(join(root, folder), { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const folder = folders[i % folders.length];
    const name = `${STEMS[i % STEMS.length]} ${i}.${i % 3 === 0 ? "txt" : "bin"}`;
    const path = folder === "" ? name : `${folder}/${name}`;
    // Mostly small files, a few large enough to take several reads.
    const size = i % 50 === 7 ? 1024 * 1024 + i : i % 10 === 0 ? 0 : (i * 7919) % 20_000;
    const bytes = new Uint8Array(size);
    for (let j = 0; j < size; j++) bytes[j] = (j * 31 + i * 17 + (j >> 8)) & 0xff;
    // Text files get real line ends, to catch a client that uses ASCII.
    if (path.endsWith(".txt")) for (let j = 64; j < size; j += 64) bytes[j] = 0x0a;
    writeFileSync(join(root, path), bytes);
    paths.push(path);
  }
  return paths;
}

/**
 * Every file under `root` as `relative/path sha256`, and every folder as
 * `relative/path/`, sorted: equal lists mean byte-identical trees.
 *
 * @example
 * ```ts
 * import { treeDigest } from "./_tree.ts";
 * const same = treeDigest("/tmp/a").join() === treeDigest("/tmp/b").join();
 * ```
 */
export function treeDigest(root: string, prefix = ""): string[] {
  const lines: string[] = [];
  for (const name of readdirSync(join(root, prefix))) {
    const relative = prefix === "" ? name : `${prefix}/${name}`;
    if (statSync(join(root, relative)).isDirectory()) {
      lines.push(`${relative}/`, ...treeDigest(root, relative));
    } else {
      lines.push(`${relative} ${createHash("sha256").update(readFileSync(join(root, relative))).digest("hex")}`);
    }
  }
  return lines.sort();
}
