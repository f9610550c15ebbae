import { test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalFileSystem } from "../src/fs/local.ts";
import { fileSystemContract, get, put, rejectsWith } from "./_fs_contract.ts";
import { within } from "./_ftp_client.ts";

function tempFolder(): string {
  return realpathSync(mkdtempSync(join(tmpdir(), "tsftpd-local-")));
}

function removeFolder(folder: string): Promise<void> {
  rmSync(folder, { recursive: true, force: true });
  return Promise.resolve();
}

fileSystemContract("LocalFileSystem", () => {
  const base = tempFolder();
  return Promise.resolve({
    fs: new LocalFileSystem(base),
    cleanup: () => removeFolder(base),
  });
});

const PAST = Date.UTC(2001, 1, 3, 4, 5, 6);

/** Names the jail cases poke at; none may exist in /etc, which they also
 * probe (so a broken jail could not damage anything there). */
const PROBED_NAMES = [
  "secret.txt",
  "empty",
  "deep",
  "new.txt",
  "newdir",
  "planted",
  "planted.txt",
];

/** The same small tree twice outside the root, so a leak shows up in both. */
function makeOutsideTree(folder: string): void {
  mkdirSync(join(folder, "empty"), { recursive: true });
  mkdirSync(join(folder, "deep"));
  writeFileSync(join(folder, "secret.txt"), "secret");
  writeFileSync(join(folder, "deep", "inner.txt"), "inner");
}

/**
 * base/
 *   outside/, root2/      trees outside the root (root2 shares its prefix)
 *   root/
 *     inside.txt, sub/x.txt
 *     a/b/c/up -> ../../../..        (depth 3, back to base)
 *     etc -> /etc
 *     sibling -> ../outside          siblingabs -> base/outside
 *     evil -> ../root2               secretlink -> ../outside/secret.txt
 *     danglingout -> ../outside/new.txt (dangling, would create outside)
 *     dangling -> nowhere            loop -> loop
 *     inlink -> sub                  infile -> sub/x.txt
 */
function makeJail(): { base: string; root: string } {
  const base = tempFolder();
  const root = join(base, "root");
  makeOutsideTree(join(base, "outside"));
  makeOutsideTree(join(base, "root2"));
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(join(root, "a", "b", "c"), { recursive: true });
  writeFileSync(join(root, "inside.txt"), "inside");
  writeFileSync(join(root, "sub", "x.txt"), "x");
  const links: Record<string, string> = {
    "a/b/c/up": "../../../..",
    etc: "/etc",
    sibling: "../outside",
    siblingabs: join(base, "outside"),
    evil: "../root2",
    secretlink: "../outside/secret.txt",
    danglingout: "../outside/new.txt",
    dangling: "nowhere",
    loop: "loop",
    inlink: "sub",
    infile: "sub/x.txt",
  };
  for (const [name, target] of Object.entries(links)) {
    symlinkSync(target, join(root, name));
  }
  return { base, root };
}

/** Everything below `folder`, without following symlinks. */
function snapshot(folder: string): string[] {
  const lines: string[] = [];
  const visit = (path: string) => {
    const info = lstatSync(path);
    let detail = "";
    if (info.isSymbolicLink()) detail = `-> ${readlinkSync(path)}`;
    else if (info.isFile()) detail = readFileSync(path, "latin1");
    lines.push(
      `${path} ${info.mode.toString(8)} ${info.size} ${info.mtimeMs} ${detail}`,
    );
    if (info.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    }
  };
  visit(folder);
  return lines;
}

type Probe = (fs: LocalFileSystem, gate: string) => Promise<unknown>;

/** Operations that would reach outside through `gate` if the jail leaked.
 * `onTarget` marks those that would change the link target itself. */
const PROBES: ReadonlyArray<
  readonly [name: string, probe: Probe, onTarget?: boolean]
> = [
  ["stat", (fs, gate) => fs.stat(gate)],
  ["stat a file", (fs, gate) => fs.stat(`${gate}/secret.txt`)],
  ["stat a missing name", (fs, gate) => fs.stat(`${gate}/missing`)],
  ["stat a missing deep name", (fs, gate) => fs.stat(`${gate}/deep/missing/x`)],
  ["stat below a file", (fs, gate) => fs.stat(`${gate}/secret.txt/x`)],
  ["list", (fs, gate) => fs.list(gate)],
  ["list a subfolder", (fs, gate) => fs.list(`${gate}/deep`)],
  ["read", (fs, gate) => fs.read(gate, 0)],
  ["read a file", (fs, gate) => fs.read(`${gate}/secret.txt`, 0)],
  ["read a deep file", (fs, gate) => fs.read(`${gate}/deep/inner.txt`, 0)],
  ["truncate", (fs, gate) => fs.write(gate, { kind: "truncate" })],
  ["append", (fs, gate) => fs.write(gate, { kind: "append" })],
  [
    "write at an offset",
    (fs, gate) => fs.write(gate, { kind: "offset", offset: 1 }),
  ],
  [
    "truncate a file",
    (fs, gate) => fs.write(`${gate}/secret.txt`, { kind: "truncate" }),
  ],
  [
    "append to a file",
    (fs, gate) => fs.write(`${gate}/secret.txt`, { kind: "append" }),
  ],
  [
    "write a file at an offset",
    (fs, gate) => fs.write(`${gate}/secret.txt`, { kind: "offset", offset: 1 }),
  ],
  [
    "create a file",
    (fs, gate) => fs.write(`${gate}/new.txt`, { kind: "truncate" }),
  ],
  [
    "create a deep file",
    (fs, gate) => fs.write(`${gate}/deep/new.txt`, { kind: "append" }),
  ],
  ["mkdir", (fs, gate) => fs.mkdir(gate)],
  ["mkdir inside", (fs, gate) => fs.mkdir(`${gate}/newdir`)],
  ["rmdir", (fs, gate) => fs.rmdir(gate)],
  ["rmdir an empty folder", (fs, gate) => fs.rmdir(`${gate}/empty`)],
  ["remove", (fs, gate) => fs.remove(gate)],
  ["remove a file", (fs, gate) => fs.remove(`${gate}/secret.txt`)],
  ["rename", (fs, gate) => fs.rename(gate, "/moved")],
  [
    "rename a file out",
    (fs, gate) => fs.rename(`${gate}/secret.txt`, "/stolen.txt"),
  ],
  ["rename a folder out", (fs, gate) => fs.rename(`${gate}/empty`, "/stolen")],
  ["rename onto", (fs, gate) => fs.rename("/inside.txt", gate)],
  [
    "rename a file in",
    (fs, gate) => fs.rename("/inside.txt", `${gate}/planted.txt`),
  ],
  ["rename a folder in", (fs, gate) => fs.rename("/sub", `${gate}/planted`)],
  [
    "rename over a file",
    (fs, gate) => fs.rename("/inside.txt", `${gate}/secret.txt`),
  ],
  ["chmod", (fs, gate) => fs.chmod(gate, 0o700), true],
  ["chmod a file", (fs, gate) => fs.chmod(`${gate}/secret.txt`, 0o700)],
  ["set the mtime", (fs, gate) => fs.setModifiedTime(gate, PAST), true],
  [
    "set a file's mtime",
    (fs, gate) => fs.setModifiedTime(`${gate}/secret.txt`, PAST),
  ],
];

/** Runs every probe through `gate`; each must fail with EACCES. */
async function probeGate(
  fs: LocalFileSystem,
  gate: string,
  options: { spareTarget?: boolean } = {},
) {
  const leaks: string[] = [];
  for (const [name, probe, onTarget] of PROBES) {
    if (onTarget && options.spareTarget) continue;
    try {
      const opened = await probe(fs, gate);
      // A sink or source that opened is a leak; close it unused.
      await (opened as { close?: () => Promise<void> } | undefined)?.close?.();
      leaks.push(`${name}: succeeded`);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "EACCES") {
        leaks.push(`${name}: ${String(code)} (${String(error)})`);
      }
    }
  }
  assert.deepEqual(leaks, [], `through ${gate}`);
}

const GATES = [
  "/sibling",
  "/siblingabs",
  "/evil",
  "/a/b/c/up",
  "/a/b/c/up/outside",
  "/secretlink",
  "/danglingout",
  "/dangling",
  "/loop",
];

for (const gate of GATES) {
  test(`LocalFileSystem: nothing reaches outside through ${gate}`, async () => {
    const { base, root } = makeJail();
    try {
      const before = snapshot(base);
      await probeGate(new LocalFileSystem(root), gate);
      assert.deepEqual(snapshot(base), before);
    } finally {
      await removeFolder(base);
    }
  });
}

test("LocalFileSystem: nothing reaches /etc through a symlink", async () => {
  for (const name of PROBED_NAMES) {
    assert.ok(!existsSync(join("/etc", name)), name);
  }
  const { base, root } = makeJail();
  try {
    const etcBefore = [readdirSync("/etc").sort(), statSync("/etc").mtimeMs];
    const before = snapshot(base);
    const fs = new LocalFileSystem(root);
    await probeGate(fs, "/etc", { spareTarget: true });
    await rejectsWith(fs.read("/etc/passwd", 0), "EACCES");
    await rejectsWith(fs.stat("/etc/passwd"), "EACCES");
    assert.deepEqual(
      [readdirSync("/etc").sort(), statSync("/etc").mtimeMs],
      etcBefore,
    );
    assert.deepEqual(snapshot(base), before);
  } finally {
    await removeFolder(base);
  }
});

test("LocalFileSystem: symlinks that stay inside the root work", async () => {
  const { base, root } = makeJail();
  try {
    const fs = new LocalFileSystem(root);
    assert.equal((await fs.stat("/inlink")).kind, "directory");
    assert.equal((await fs.stat("/infile")).size, 1);
    assert.deepEqual((await fs.list("/inlink")).map((entry) => entry.name), [
      "x.txt",
    ]);
    assert.equal(await get(fs, "/infile"), "x");
    assert.equal(await get(fs, "/inlink/x.txt"), "x");

    await put(fs, "/inlink/new.txt", "n");
    assert.equal(readFileSync(join(root, "sub", "new.txt"), "utf8"), "n");
    await put(fs, "/infile", "y", { kind: "append" });
    assert.equal(readFileSync(join(root, "sub", "x.txt"), "utf8"), "xy");
    await fs.mkdir("/inlink/nd");
    assert.ok(statSync(join(root, "sub", "nd")).isDirectory());
    await fs.chmod("/infile", 0o600);
    assert.equal(statSync(join(root, "sub", "x.txt")).mode & 0o7777, 0o600);
    await fs.setModifiedTime("/inlink", PAST);
    assert.equal(statSync(join(root, "sub")).mtimeMs, PAST);
    await fs.rename("/inlink/new.txt", "/moved.txt");
    assert.equal(readFileSync(join(root, "moved.txt"), "utf8"), "n");

    // Names act on the link itself, as rmdir(2), unlink(2) and rename(2) do.
    await rejectsWith(fs.rmdir("/inlink"), "ENOTDIR");
    await fs.rename("/inlink", "/renamed");
    assert.ok(lstatSync(join(root, "renamed")).isSymbolicLink());
    await fs.remove("/infile");
    assert.ok(!existsSync(join(root, "infile")));
    assert.equal(readFileSync(join(root, "sub", "x.txt"), "utf8"), "xy");
  } finally {
    await removeFolder(base);
  }
});

test("LocalFileSystem: list shows links that leave the root as links", async () => {
  const { base, root } = makeJail();
  try {
    const entries = new Map(
      (await new LocalFileSystem(root).list("/")).map((
        entry,
      ) => [entry.name, entry.stat]),
    );
    // In name order, links in their places (the listing commands rely on it
    // to skip their own sort).
    assert.deepEqual([...entries.keys()], readdirSync(root).sort());
    assert.equal(entries.get("inlink")?.kind, "directory");
    assert.equal(entries.get("infile")?.kind, "file");
    assert.equal(entries.get("infile")?.size, 1);
    assert.equal(entries.get("inside.txt")?.size, 6);
    for (
      const name of [
        "etc",
        "sibling",
        "evil",
        "secretlink",
        "danglingout",
        "dangling",
        "loop",
      ]
    ) {
      const stat = entries.get(name);
      const own = lstatSync(join(root, name));
      assert.ok(stat, name);
      assert.equal(stat.kind, "symlink", name);
      assert.equal(stat.size, readlinkSync(join(root, name)).length, name);
      assert.ok(Math.abs(stat.mtimeMs - own.mtimeMs) < 1, name);
      assert.equal(
        stat.unique,
        `${own.dev.toString(16)}g${own.ino.toString(16)}`,
        name,
      );
    }
  } finally {
    await removeFolder(base);
  }
});

test("LocalFileSystem: list gives the targets of links it does not follow", async () => {
  const { base, root } = makeJail();
  try {
    const fs = new LocalFileSystem(root);
    const entries = new Map(
      (await fs.list("/")).map((entry) => [entry.name, entry.stat]),
    );
    assert.equal(entries.get("etc")?.linkTarget, "/etc");
    assert.equal(
      entries.get("secretlink")?.linkTarget,
      "../outside/secret.txt",
    );
    assert.equal(entries.get("dangling")?.linkTarget, "nowhere");
    assert.equal(entries.get("inlink")?.linkTarget, undefined);
  } finally {
    await removeFolder(base);
  }
});

test("LocalFileSystem: unique is the device and inode in hex", async () => {
  const { base, root } = makeJail();
  try {
    const own = statSync(join(root, "inside.txt"));
    const { unique } = await new LocalFileSystem(root).stat("/inside.txt");
    assert.equal(unique, `${own.dev.toString(16)}g${own.ino.toString(16)}`);
  } finally {
    await removeFolder(base);
  }
});

test("LocalFileSystem: the root may appear after the instance", async () => {
  const base = tempFolder();
  try {
    const root = join(base, "later");
    const fs = new LocalFileSystem(root);
    await rejectsWith(fs.stat("/"), "ENOENT");
    await rejectsWith(fs.write("/a.txt", { kind: "truncate" }), "ENOENT");
    mkdirSync(root);
    await put(fs, "/a.txt", "a");
    assert.equal(readFileSync(join(root, "a.txt"), "utf8"), "a");
  } finally {
    await removeFolder(base);
  }
});

test("LocalFileSystem: a root reached through a symlink jails its target", async () => {
  const { base, root } = makeJail();
  try {
    symlinkSync(root, join(base, "rootlink"));
    symlinkSync(join(base, "rootlink", "sub"), join(root, "viarootlink"));
    const before = snapshot(join(base, "outside"));
    const fs = new LocalFileSystem(`${join(base, "rootlink")}/`);
    assert.equal(await get(fs, "/inside.txt"), "inside");
    assert.equal(await get(fs, "/viarootlink/x.txt"), "x");
    await put(fs, "/viarootlink/y.txt", "y");
    assert.equal(readFileSync(join(root, "sub", "y.txt"), "utf8"), "y");
    await probeGate(fs, "/sibling");
    await probeGate(fs, "/evil");
    assert.deepEqual(snapshot(join(base, "outside")), before);
  } finally {
    await removeFolder(base);
  }
});

// Opening a FIFO waits for a peer, and file reads and writes are
// synchronous, so such a wait would freeze every session of the process.
test("LocalFileSystem: a FIFO is refused at once, not opened and waited on", async () => {
  const base = tempFolder();
  try {
    execFileSync("mkfifo", [join(base, "pipe")]);
    const fs = new LocalFileSystem(base);
    assert.equal((await fs.stat("/pipe")).kind, "other");
    await within(rejectsWith(fs.read("/pipe", 0), "EINVAL"), 5000, "read of a FIFO");
    await within(rejectsWith(fs.write("/pipe", { kind: "append" }), "EINVAL"), 5000, "append to a FIFO");
    await within(rejectsWith(fs.write("/pipe", { kind: "offset", offset: 0 }), "EINVAL"), 5000, "write into a FIFO");
    const direct = new LocalFileSystem(base, { atomicUploads: false });
    await within(rejectsWith(direct.write("/pipe", { kind: "truncate" }), "EINVAL"), 5000, "overwrite of a FIFO");
  } finally {
    await removeFolder(base);
  }
});
