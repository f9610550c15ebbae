/**
 * Per-folder permissions: pyftpdlib's `override_perm`, as data on an
 * account.
 *
 * @module
 */

import { resolvePath } from "./path.ts";

/** Other permissions for one folder of a user's tree.
 *
 * @example
 * ```ts
 * import type { PermissionOverride } from "./permissions.ts";
 * // Read-only everywhere, but uploads allowed in /incoming and below.
 * const override: PermissionOverride = { path: "/incoming", permissions: "elrw", recursive: true };
 * ```
 */
export interface PermissionOverride {
  /** The folder, as a virtual path of the user's tree (`/incoming`). */
  readonly path: string;
  /** The permission letters that apply there instead of the account's. */
  readonly permissions: string;
  /** Whether it also applies to every folder below; default `false`: the
   * folder itself and the names directly in it only (as pyftpdlib). */
  readonly recursive?: boolean;
}

/** The parts of an account that decide permissions.
 *
 * @example
 * ```ts
 * import type { PermissionSource } from "./permissions.ts";
 * const source: PermissionSource = { permissions: "elr", permissionOverrides: [] };
 * ```
 */
export interface PermissionSource {
  /** Letters that apply where no override does. */
  readonly permissions: string;
  /** Folder-specific letters; the deepest matching folder wins. */
  readonly permissionOverrides?: readonly PermissionOverride[];
}

/**
 * The permission letters that apply to virtual path `path`: those of the
 * deepest override covering it, else the account's own.
 *
 * @example
 * ```ts
 * import { permissionsAt } from "./permissions.ts";
 * const account = { permissions: "elr", permissionOverrides: [{ path: "/incoming", permissions: "elrw" }] };
 * permissionsAt(account, "/incoming/a.txt"); // "elrw"
 * permissionsAt(account, "/incoming/sub/a.txt"); // "elr" (not recursive)
 * permissionsAt(account, "/a.txt"); // "elr"
 * ```
 */
export function permissionsAt(source: PermissionSource, path: string): string {
  let best: { readonly depth: number; readonly permissions: string } | null = null;
  for (const override of source.permissionOverrides ?? []) {
    const folder = resolvePath("/", override.path);
    const prefix = folder === "/" ? "/" : `${folder}/`;
    const inside = path === folder || path.startsWith(prefix);
    if (!inside) continue;
    const direct = path === folder || !path.slice(prefix.length).includes("/");
    if (!direct && !override.recursive) continue;
    const depth = folder === "/" ? 0 : folder.split("/").length;
    if (!best || depth >= best.depth) best = { depth, permissions: override.permissions };
  }
  return best?.permissions ?? source.permissions;
}
