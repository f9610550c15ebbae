import { test } from "node:test";
import assert from "node:assert/strict";
import { pathSegments, resolvePath } from "../src/path.ts";

const CASES: ReadonlyArray<
  readonly [cwd: string, input: string, expected: string]
> = [
  ["/", "", "/"],
  ["/a/b", "", "/a/b"],
  ["/a/b", ".", "/a/b"],
  ["/a/b", "c", "/a/b/c"],
  ["/a/b", "c/d/", "/a/b/c/d"],
  ["/a/b", "..", "/a"],
  ["/a/b", "../c", "/a/c"],
  ["/a/b", "../../..", "/"],
  ["/", "..", "/"],
  ["/", "../../etc/passwd", "/etc/passwd"],
  ["/a", "/x/y/", "/x/y"],
  ["/a", "/", "/"],
  ["/a", "//", "/"],
  ["/a", "/../x", "/x"],
  ["/a", "x//y/./z", "/a/x/y/z"],
  ["/a", "x/../../y", "/y"],
  ["/a", "...", "/a/..."],
  ["/a", "..x/.y", "/a/..x/.y"],
  ["/a", "a\\b", "/a/a\\b"],
  ["/a", "..\\..", "/a/..\\.."],
  ["/a", " spaced / name ", "/a/ spaced / name "],
  ["/a", "ünï/çødé", "/a/ünï/çødé"],
  // cwd is normally normalised, but an odd one must not break the result.
  ["", "", "/"],
  ["", "x", "/x"],
  ["relative", "x", "/relative/x"],
  ["/a//b/./c/..", "d", "/a/b/d"],
  ["/a", "x\0y", "/a/x\0y"],
];

test("resolvePath: normalises relative and absolute input", () => {
  for (const [cwd, input, expected] of CASES) {
    assert.equal(
      resolvePath(cwd, input),
      expected,
      `resolvePath(${cwd}, ${input})`,
    );
  }
});

/** A small deterministic generator, so failures reproduce. */
function* randomPaths(count: number): Generator<string> {
  const pieces = ["", ".", "..", "a", "b", "\\", "...", "x y", "/"];
  let seed = 12345;
  for (let i = 0; i < count; i++) {
    let path = "";
    const length = i % 12;
    for (let j = 0; j < length; j++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      path += pieces[seed % pieces.length] + (seed % 3 === 0 ? "" : "/");
    }
    yield path;
  }
}

test("resolvePath: always gives a normalised absolute path", () => {
  for (const input of randomPaths(5000)) {
    for (const cwd of ["/", "/a/b", "/x"]) {
      const resolved = resolvePath(cwd, input);
      const context = `resolvePath(${cwd}, ${
        JSON.stringify(input)
      }) = ${resolved}`;
      assert.ok(resolved.startsWith("/"), context);
      assert.ok(resolved === "/" || !resolved.endsWith("/"), context);
      assert.ok(!resolved.includes("//"), context);
      assert.deepEqual(
        resolved.split("/").filter((segment) =>
          segment === "." || segment === ".."
        ),
        [],
        context,
      );
      assert.equal(resolvePath("/elsewhere", resolved), resolved, context);
      assert.deepEqual(
        pathSegments(resolved),
        resolved.split("/").filter(Boolean),
        context,
      );
    }
  }
});

test("pathSegments: splits normalised paths", () => {
  assert.deepEqual(pathSegments("/"), []);
  assert.deepEqual(pathSegments("/a"), ["a"]);
  assert.deepEqual(pathSegments("/a/b c/d\\e"), ["a", "b c", "d\\e"]);
  assert.deepEqual(pathSegments("/a//b/"), ["a", "b"]);
  assert.deepEqual(pathSegments("/...//..x"), ["...", "..x"]);
});

test("pathSegments: refuses paths that are relative or climb", () => {
  for (
    const path of [
      "",
      "a",
      "a/b",
      "./a",
      "../a",
      "/..",
      "/a/..",
      "/a/../b",
      "/.",
      "/a/./b",
    ]
  ) {
    assert.throws(() => pathSegments(path), {
      name: "FileSystemError",
      code: "EACCES",
    }, path);
  }
  assert.throws(() => pathSegments("/a\0b"), {
    name: "FileSystemError",
    code: "EINVAL",
  });
});
