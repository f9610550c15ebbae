/**
 * Virtual paths: what a client types, turned into the normalised absolute
 * paths the `FileSystem` contract speaks.
 *
 * @module
 */

import { FileSystemError } from "./fs/file_system.ts";

/**
 * Resolves a client-supplied path against the session's working folder.
 *
 * `input` is taken relative to `cwd` unless it starts with `/`. Only `/`
 * separates segments (a backslash is an ordinary filename character on
 * POSIX); empty and `.` segments vanish, and `..` goes up one level but
 * never above `/`, like `cd ..` at the root. The result starts with `/` and
 * has no trailing slash. Total: odd input never throws.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./path.ts";
 * resolvePath("/docs", "../img//a.png"); // "/img/a.png"
 * resolvePath("/docs", "/../../etc"); // "/etc"
 * ```
 */
export function resolvePath(cwd: string, input: string): string {
  const joined = input.startsWith("/") ? input : `${cwd}/${input}`;
  const segments: string[] = [];
  for (const segment of joined.split("/")) {
    if (segment === "..") segments.pop();
    else if (segment !== "" && segment !== ".") segments.push(segment);
  }
  return `/${segments.join("/")}`;
}

/**
 * Splits a virtual path handed to a `FileSystem` into its names.
 *
 * Storages must not trust that the core normalised the path, so anything that
 * could climb (`..`), stay put (`.`) or start elsewhere (a relative path) is
 * refused with `EACCES`, and a NUL with `EINVAL`. Empty segments are ignored.
 *
 * @example
 * ```ts
 * import { pathSegments } from "./path.ts";
 * pathSegments("/docs/a.txt"); // ["docs", "a.txt"]
 * pathSegments("/"); // []
 * ```
 */
export function pathSegments(path: string): string[] {
  if (!path.startsWith("/")) {
    throw new FileSystemError(
      "EACCES",
      `Not an absolute virtual path: ${path}`,
    );
  }
  const segments = path.split("/").filter((segment) => segment !== "");
  for (const segment of segments) {
    if (segment === "." || segment === "..") {
      throw new FileSystemError("EACCES", `Path escapes its folder: ${path}`);
    }
    if (segment.includes("\0")) {
      throw new FileSystemError(
        "EINVAL",
        `NUL in path: ${JSON.stringify(path)}`,
      );
    }
  }
  return segments;
}
