/**
 * Virtual hosts for HOST (RFC 7151): one server, several FTP sites told
 * apart by the name the client asks for before logging in, each with its own
 * users and files.
 *
 * @module
 */

import type { Authorizer } from "./authorizer.ts";
import type { FileSystem } from "./fs/file_system.ts";

/** One virtual host in the server options; what it leaves out is the
 * server's own.
 *
 * @example
 * ```ts
 * import { MemoryAuthorizer, type VirtualHostOptions } from "../mod.ts";
 * const site: VirtualHostOptions = {
 *   root: "/srv/ftp/example.org",
 *   authorizer: new MemoryAuthorizer({ users: { ann: { password: "pw", permissions: "elr" } } }),
 *   banner: "Welcome to example.org.",
 * };
 * ```
 */
export interface VirtualHostOptions {
  /** Who may log in on this host; default the server's authorizer. */
  readonly authorizer?: Authorizer;
  /** A folder served to this host's accounts that bring no storage. */
  readonly root?: string;
  /** Storage served to this host's accounts that bring none (takes
   * precedence over `root`). */
  readonly fs?: FileSystem;
  /** Text of the 220 reply to HOST. */
  readonly banner?: string;
}

/** A virtual host as a session uses it.
 *
 * @example
 * ```ts
 * import type { VirtualHost } from "./virtual_host.ts";
 * function describe(host: VirtualHost): string {
 *   return `${host.name}: ${host.banner ?? "no banner"}`;
 * }
 * ```
 */
export interface VirtualHost {
  /** The name as configured, lower case. */
  readonly name: string;
  readonly authorizer: Authorizer;
  /** Storage for accounts that bring none. */
  readonly defaultFs?: FileSystem;
  readonly banner?: string;
}

/**
 * The name HOST's argument selects: a domain name matches case-insensitively,
 * an address literal (`[192.0.2.1]`, `[2001:db8::1]`) loses its brackets.
 *
 * @example
 * ```ts
 * import { hostKey } from "./virtual_host.ts";
 * hostKey("FTP.Example.org"); // "ftp.example.org"
 * hostKey("[192.0.2.1]"); // "192.0.2.1"
 * ```
 */
export function hostKey(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return /^\[.*\]$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed.replace(/\.$/, "");
}
