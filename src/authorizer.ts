/**
 * Who may log in, where they land, and what they may do.
 *
 * @module
 */

import type { FileSystem } from "./fs/file_system.ts";
import type { SocketAddress } from "./port.ts";

/**
 * One permission letter, as pyftpdlib spells them:
 * - `e` change folder (CWD, CDUP)
 * - `l` list (LIST, NLST, MLSD, MLST, SIZE, MDTM, STAT with a path)
 * - `r` download (RETR)
 * - `a` append (APPE)
 * - `d` delete (DELE, RMD)
 * - `f` rename (RNFR, RNTO)
 * - `m` make folders (MKD)
 * - `w` upload (STOR, STOU)
 * - `M` change mode (SITE CHMOD)
 * - `T` change modification time (MFMT)
 *
 * @example
 * ```ts
 * import type { Permission } from "./authorizer.ts";
 * const canUpload: Permission = "w";
 * ```
 */
export type Permission = "e" | "l" | "r" | "a" | "d" | "f" | "m" | "w" | "M" | "T";

/** Every permission letter, in canonical order.
 *
 * @example
 * ```ts
 * import { ALL_PERMISSIONS } from "./authorizer.ts";
 * ALL_PERMISSIONS; // "elradfmwMT"
 * ```
 */
export const ALL_PERMISSIONS = "elradfmwMT";

/** The read-only set given to anonymous users by default.
 *
 * @example
 * ```ts
 * import { READ_ONLY_PERMISSIONS } from "./authorizer.ts";
 * READ_ONLY_PERMISSIONS; // "elr"
 * ```
 */
export const READ_ONLY_PERMISSIONS = "elr";

/** What a session knows about the client when it asks to log in.
 *
 * @example
 * ```ts
 * import type { LoginRequest } from "./authorizer.ts";
 * const request: LoginRequest = {
 *   username: "alice",
 *   password: "secret",
 *   remoteAddress: { address: "127.0.0.1", port: 50000, family: "IPv4" },
 * };
 * ```
 */
export interface LoginRequest {
  /** The name sent with USER, exactly as the client typed it. */
  readonly username: string;
  /** The text sent with PASS; anonymous clients often send an e-mail
   * address or nothing (`""`). */
  readonly password: string;
  /** Where the client connects from, for address-based rules or auditing. */
  readonly remoteAddress: SocketAddress;
}

/** A logged-in user's account, as an {@link Authorizer} grants it.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem, type UserAccount } from "../mod.ts";
 * const account: UserAccount = {
 *   username: "alice",
 *   permissions: "elradfmwMT",
 *   fs: new MemoryFileSystem(),
 *   loginMessage: "Welcome, Alice.",
 * };
 * ```
 */
export interface UserAccount {
  /** The name the session logs the user under and reports in STAT. */
  readonly username: string;
  /** Permission letters, any subset of `elradfmwMT`. */
  readonly permissions: string;
  /** The user's storage, rooted at their home. When absent the server's
   * default storage (`root` or `fs` option) is used. */
  readonly fs?: FileSystem;
  /** Text of the 230 reply. */
  readonly loginMessage?: string;
  /** Text of the 221 reply. */
  readonly quitMessage?: string;
}

/**
 * Decides logins. Implement it to check users against your own store.
 * Return `null` for a refused login; the session answers 530 without saying
 * whether the name or the password was wrong.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem, type Authorizer } from "../mod.ts";
 * const shared = new MemoryFileSystem();
 * const authorizer: Authorizer = {
 *   authenticate(request) {
 *     if (request.username !== "bot" || request.password !== "s3cret") return Promise.resolve(null);
 *     return Promise.resolve({ username: "bot", permissions: "elr", fs: shared });
 *   },
 * };
 * ```
 */
export interface Authorizer {
  /** Called on each PASS. Resolves with the account to log in, or `null` to
   * refuse (530); reject only when the check itself failed (the client then
   * gets a 451). */
  authenticate(request: LoginRequest): Promise<UserAccount | null>;
}

/** A user of a {@link MemoryAuthorizer}.
 *
 * @example
 * ```ts
 * import type { MemoryUser } from "./authorizer.ts";
 * const user: MemoryUser = { password: "secret", permissions: "elradfmwMT" };
 * ```
 */
export interface MemoryUser {
  /** The password in plain text, compared in constant time. */
  readonly password: string;
  /** Permission letters; default `elr`. */
  readonly permissions?: string;
  /** Storage for this user; default the server's. */
  readonly fs?: FileSystem;
  /** Text of the 230 reply; default `Login successful.` */
  readonly loginMessage?: string;
  /** Text of the 221 reply; default `Goodbye.` */
  readonly quitMessage?: string;
}

/** Anonymous access settings of a {@link MemoryAuthorizer}.
 *
 * @example
 * ```ts
 * import type { AnonymousAccess } from "./authorizer.ts";
 * const anonymous: AnonymousAccess = { permissions: "elr" };
 * ```
 */
export interface AnonymousAccess {
  /** Permission letters; default read-only `elr`. */
  readonly permissions?: string;
  /** Storage for anonymous users; default the server's. */
  readonly fs?: FileSystem;
  /** Text of the 230 reply; default `Login successful.` */
  readonly loginMessage?: string;
  /** Text of the 221 reply; default `Goodbye.` */
  readonly quitMessage?: string;
}

/** Options of a {@link MemoryAuthorizer}.
 *
 * @example
 * ```ts
 * import type { MemoryAuthorizerOptions } from "./authorizer.ts";
 * const options: MemoryAuthorizerOptions = {
 *   users: { alice: { password: "secret", permissions: "elradfmwMT" } },
 *   anonymous: false,
 * };
 * ```
 */
export interface MemoryAuthorizerOptions {
  /** Accounts by user name (matched case-sensitively); default none. */
  readonly users?: Readonly<Record<string, MemoryUser>>;
  /** `true` or settings to let `anonymous` and `ftp` log in with any
   * password; default off. */
  readonly anonymous?: boolean | AnonymousAccess;
}

const ANONYMOUS_NAMES = new Set(["anonymous", "ftp"]);

/**
 * Users kept in memory, with plain-text passwords, plus optional anonymous
 * access, as pyftpdlib's `DummyAuthorizer`.
 *
 * @example
 * ```ts
 * import { MemoryAuthorizer } from "../mod.ts";
 * const authorizer = new MemoryAuthorizer({
 *   users: { alice: { password: "secret", permissions: "elradfmwMT" } },
 *   anonymous: true,
 * });
 * ```
 */
export class MemoryAuthorizer implements Authorizer {
  readonly #users = new Map<string, MemoryUser>();
  readonly #anonymous: AnonymousAccess | null;

  /** Throws a `TypeError` when a user's permissions hold an unknown
   * letter. */
  constructor(options: MemoryAuthorizerOptions = {}) {
    for (const [name, user] of Object.entries(options.users ?? {})) this.addUser(name, user);
    const anonymous = options.anonymous ?? false;
    this.#anonymous = anonymous === false ? null : anonymous === true ? {} : anonymous;
    validatePermissions(this.#anonymous?.permissions ?? "");
  }

  /** Adds or replaces a user. */
  addUser(username: string, user: MemoryUser): void {
    validatePermissions(user.permissions ?? READ_ONLY_PERMISSIONS);
    this.#users.set(username, user);
  }

  /** While anonymous access is on, `anonymous` and `ftp` (any case) get in
   * with any password, even if a user of that name exists; everyone else
   * needs their exact password. */
  authenticate(request: LoginRequest): Promise<UserAccount | null> {
    const anonymous = this.#anonymous;
    if (anonymous && ANONYMOUS_NAMES.has(request.username.toLowerCase())) {
      return Promise.resolve(account(request.username, anonymous));
    }
    const user = this.#users.get(request.username);
    if (!user || !timingSafeEqual(user.password, request.password)) return Promise.resolve(null);
    return Promise.resolve(account(request.username, user));
  }
}

function account(username: string, access: AnonymousAccess): UserAccount {
  return {
    username,
    permissions: access.permissions ?? READ_ONLY_PERMISSIONS,
    fs: access.fs,
    loginMessage: access.loginMessage,
    quitMessage: access.quitMessage,
  };
}

/**
 * Throws unless `permissions` holds only letters of `elradfmwMT`.
 *
 * @example
 * ```ts
 * import { validatePermissions } from "./authorizer.ts";
 * validatePermissions("elr"); // fine
 * ```
 */
export function validatePermissions(permissions: string): void {
  for (const letter of permissions) {
    if (!ALL_PERMISSIONS.includes(letter)) {
      throw new TypeError(`Unknown permission letter "${letter}" (use any of ${ALL_PERMISSIONS})`);
    }
  }
}

/** Compares without an early exit, so response time does not tell how many
 * leading characters of a guessed password were right. */
function timingSafeEqual(expected: string, actual: string): boolean {
  let difference = expected.length ^ actual.length;
  for (let i = 0; i < expected.length; i++) {
    difference |= expected.charCodeAt(i) ^ actual.charCodeAt(i % Math.max(actual.length, 1));
  }
  return difference === 0;
}
