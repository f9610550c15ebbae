/**
 * Shell-style wildcards for one path component (STAT with a pattern):
 * `*` any run of characters, `?` one character, `[abc]`/`[a-z]`/`[!abc]` one
 * of (or none of) a set. Patterns never span folders.
 *
 * @module
 */

/** Characters that make a name a pattern.
 *
 * @example
 * ```ts
 * import { GLOB_CHARS } from "./glob.ts";
 * GLOB_CHARS.test("*.txt"); // true
 * ```
 */
export const GLOB_CHARS: RegExp = /[*?[]/;

/**
 * A regular expression matching whole names against a wildcard pattern.
 * An unclosed `[` is a literal character.
 *
 * @example
 * ```ts
 * import { globToRegExp } from "./glob.ts";
 * globToRegExp("*.tx?").test("notes.txt"); // true
 * globToRegExp("[!a]*").test("apple"); // false
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*") {
      source += ".*";
    } else if (char === "?") {
      source += ".";
    } else if (char === "[" && pattern.indexOf("]", i + 2) !== -1) {
      const end = pattern.indexOf("]", i + 2);
      let set = pattern.slice(i + 1, end);
      const negated = set.startsWith("!") || set.startsWith("^");
      if (negated) set = set.slice(1);
      source += `[${negated ? "^" : ""}${set.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`, "su");
}
