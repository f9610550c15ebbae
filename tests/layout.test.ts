import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const ROOT = new URL("..", import.meta.url).pathname;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith(".ts") ? [path] : [];
  });
}

test("layout: only src/runtime/ mentions Deno, Bun, process or node:", () => {
  const core = sourceFiles(join(ROOT, "src")).filter((path) => !path.includes("/src/runtime/"));
  assert.ok(core.length > 10, "the core has its files");
  const offenders = core.filter((path) => /\b(Deno|Bun|process)\b|node:/.test(readFileSync(path, "utf8")));
  assert.deepEqual(offenders.map((path) => relative(ROOT, path)), []);
});

test("layout: adapters are loaded only by literal dynamic imports in load.ts", () => {
  const files = sourceFiles(ROOT.replace(/\/$/, "")).filter((path) => !path.includes("node_modules"));
  for (const runtime of ["deno", "bun", "node"]) {
    const importers = files.filter((path) =>
      new RegExp(`from\\s+["'][./]*(src/)?runtime/${runtime}\\.ts["']|import\\(["'][./]*(src/runtime/)?${runtime}\\.ts["']\\)`)
        .test(readFileSync(path, "utf8"))
    );
    assert.deepEqual(importers.map((path) => relative(ROOT, path)), ["src/runtime/load.ts"], runtime);
  }
});
