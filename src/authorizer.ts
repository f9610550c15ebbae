/**
 * Who may log in, where they land, and what they may do.
 *
 * @module
 */

import type { FileSystem } from "./fs/file_system.ts";
import { isPasswordHash, verifyPassword } from "./password.ts";
import type { PermissionOverride } from "./permissions.ts";
import type { Runtime, SocketAddress } from "./port.ts";
import { readUsersFile } from "./users_file.ts";

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
 *   localAddress: { address: "127.0.0.1", port: 2121, family: "IPv4" },
 *   sessionId: 1,
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
  /** The server address the client reached (one server may listen on
   * several). */
  readonly localAddress: SocketAddress;
  /** The session's id, as hooks and log records carry it. */
  readonly sessionId: number;
}

/** Limits for one account; each replaces the server's own setting of the
 * same name for this user (see the server's limit options).
 *
 * @example
 * ```ts
 * import type { AccountLimits } from "./authorizer.ts";
 * const limits: AccountLimits = { maxSessions: 2, writeLimit: 1024 * 1024, maxBytes: 10 * 1024 ** 3 };
 * ```
 */
export interface AccountLimits {
  /** Logged-in sessions of this user at most (`maxSessionsPerUser`). */
  readonly maxSessions?: number;
  /** Bytes per second each session may receive, for uploads. */
  readonly readLimit?: number;
  /** Bytes per second each session may send, for downloads and listings. */
  readonly writeLimit?: number;
  /** Total size of the user's files, checked on uploads (quota). */
  readonly maxBytes?: number;
  /** Number of the user's files, checked on uploads (quota). */
  readonly maxFiles?: number;
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
  /** Other letters for some folders (pyftpdlib's `override_perm`); the
   * deepest folder that covers a path wins. */
  readonly permissionOverrides?: readonly PermissionOverride[];
  /** The user's storage, rooted at their home. */
  readonly fs?: FileSystem;
  /** A real folder served as the user's root, when `fs` is not given.
   * Without either, the server's default storage (`root` or `fs` option)
   * is used. */
  readonly home?: string;
  /** Limits replacing the server's for this user. */
  readonly limits?: AccountLimits;
  /** Text of the 230 reply. */
  readonly loginMessage?: string;
  /** Text of the 221 reply. */
  readonly quitMessage?: string;
  /** Refuse the login (530) unless the control connection uses TLS. */
  readonly tlsRequired?: boolean;
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

/** Anonymous access settings of a {@link MemoryAuthorizer}, and what its
 * users have besides a password.
 *
 * @example
 * ```ts
 * import type { AnonymousAccess } from "./authorizer.ts";
 * const anonymous: AnonymousAccess = { permissions: "elr", home: "/srv/ftp/pub" };
 * ```
 */
export interface AnonymousAccess {
  /** Permission letters; default read-only `elr`. */
  readonly permissions?: string;
  /** Other letters for some folders; see {@link UserAccount}. */
  readonly permissionOverrides?: readonly PermissionOverride[];
  /** Storage for this user; default `home`, else the server's. */
  readonly fs?: FileSystem;
  /** A real folder served as this user's root; default the server's. */
  readonly home?: string;
  /** Limits replacing the server's for this user. */
  readonly limits?: AccountLimits;
  /** Text of the 230 reply; default `Login successful.` */
  readonly loginMessage?: string;
  /** Text of the 221 reply; default `Goodbye.` */
  readonly quitMessage?: string;
  /** This user may log in only over TLS (AUTH TLS or implicit FTPS). */
  readonly tlsRequired?: boolean;
}

/** A user of a {@link MemoryAuthorizer}: a password hash made by
 * {@link hashPassword} (`passwordHash`), or, when asked for explicitly, the
 * password in plain text (`password`).
 *
 * @example
 * ```ts
 * import { hashPassword, type MemoryUser } from "../mod.ts";
 * const hashed: MemoryUser = { passwordHash: await hashPassword("secret"), permissions: "elradfmwMT" };
 * const plain: MemoryUser = { password: "secret", home: "/srv/ftp/bob" };
 * ```
 */
export type MemoryUser =
  & AnonymousAccess
  & (
    | { /** A `$pbkdf2-sha256$` hash. */ readonly passwordHash: string; readonly password?: never }
    | { /** The password in plain text, compared in constant time. */ readonly password: string; readonly passwordHash?: never }
  );

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

/** Options of {@link MemoryAuthorizer.fromFile}.
 *
 * @example
 * ```ts
 * import type { UsersFileOptions } from "./authorizer.ts";
 * const options: UsersFileOptions = { allowPlainTextPasswords: false };
 * ```
 */
export interface UsersFileOptions {
  /** Accept `password` (plain text) entries; default only `passwordHash`. */
  readonly allowPlainTextPasswords?: boolean;
  /** The runtime whose file port reads the file; default the detected one. */
  readonly runtime?: Runtime;
}

const ANONYMOUS_NAMES = new Set(["anonymous", "ftp"]);

/**
 * Users kept in memory, with hashed (or plain-text) passwords, plus
 * optional anonymous access, as pyftpdlib's `DummyAuthorizer`.
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
  /** Each user with the account every login of theirs shares: a copy per
   * session would cost each idle session ~100 bytes. */
  readonly #users = new Map<string, { readonly user: MemoryUser; readonly account: UserAccount }>();
  readonly #anonymous: AnonymousAccess | null;
  /** The anonymous accounts, one per spelling of the name. */
  readonly #anonymousAccounts = new Map<string, UserAccount>();
  /** Checked for unknown names, so that they take as long as known ones. */
  #decoyHash: string | null = null;

  /** Throws a `TypeError` when a user's permissions hold an unknown
   * letter or its password is missing or malformed. */
  constructor(options: MemoryAuthorizerOptions = {}) {
    for (const [name, user] of Object.entries(options.users ?? {})) this.addUser(name, user);
    const anonymous = options.anonymous ?? false;
    this.#anonymous = anonymous === false ? null : anonymous === true ? {} : anonymous;
    validateAccess(this.#anonymous ?? {});
  }

  /**
   * Reads users from a JSON file, through the runtime's file access:
   *
   * ```json
   * {
   *   "users": {
   *     "alice": {
   *       "passwordHash": "$pbkdf2-sha256$i=600000$...",
   *       "permissions": "elradfmwMT",
   *       "home": "alice",
   *       "permissionOverrides": [{ "path": "/pub", "permissions": "elr", "recursive": true }],
   *       "limits": { "maxSessions": 2, "writeLimit": 1048576, "maxBytes": 1073741824 },
   *       "loginMessage": "Welcome, Alice."
   *     }
   *   },
   *   "anonymous": { "permissions": "elr", "home": "/srv/ftp/pub" }
   * }
   * ```
   *
   * A relative `home` is relative to the file's folder. Plain-text
   * `password` entries are refused unless `allowPlainTextPasswords`. Rejects
   * with an `Error` naming the file and the bad field.
   *
   * @example
   * ```ts
   * import { MemoryAuthorizer } from "../mod.ts";
   * const authorizer = await MemoryAuthorizer.fromFile("/etc/tsftpd/users.json");
   * ```
   */
  static async fromFile(path: string, options: UsersFileOptions = {}): Promise<MemoryAuthorizer> {
    const users = await readUsersFile(path, options);
    try {
      return new MemoryAuthorizer(users);
    } catch (error) {
      throw new Error(`users file ${path}: ${(error as Error).message}`);
    }
  }

  /** Adds or replaces a user; throws a `TypeError` as the constructor. */
  addUser(username: string, user: MemoryUser): void {
    validateAccess(user);
    if (typeof user.passwordHash === "string") {
      if (!isPasswordHash(user.passwordHash)) throw new TypeError(`user "${username}": passwordHash is not a $pbkdf2-sha256$ hash`);
      this.#decoyHash ??= user.passwordHash;
    } else if (typeof user.password !== "string") {
      throw new TypeError(`user "${username}" needs a passwordHash (or a plain-text password)`);
    }
    this.#users.set(username, { user, account: account(username, user) });
  }

  /** While anonymous access is on, `anonymous` and `ftp` (any case) get in
   * with any password, even if a user of that name exists; everyone else
   * needs their exact password. */
  async authenticate(request: LoginRequest): Promise<UserAccount | null> {
    const anonymous = this.#anonymous;
    const { username } = request;
    if (anonymous && ANONYMOUS_NAMES.has(username.toLowerCase())) {
      let shared = this.#anonymousAccounts.get(username);
      if (!shared) this.#anonymousAccounts.set(username, shared = account(username, anonymous));
      return shared;
    }
    const entry = this.#users.get(username);
    if (!entry) {
      if (this.#decoyHash !== null) await verifyPassword(this.#decoyHash, request.password);
      return null;
    }
    const { user } = entry;
    const valid = typeof user.passwordHash === "string"
      ? await verifyPassword(user.passwordHash, request.password)
      : timingSafeEqual(user.password, request.password);
    return valid ? entry.account : null;
  }
}

function account(username: string, access: AnonymousAccess & { readonly tlsRequired?: boolean }): UserAccount {
  return Object.freeze({
    username,
    permissions: access.permissions ?? READ_ONLY_PERMISSIONS,
    permissionOverrides: access.permissionOverrides,
    fs: access.fs,
    home: access.home,
    limits: access.limits,
    loginMessage: access.loginMessage,
    quitMessage: access.quitMessage,
    tlsRequired: access.tlsRequired,
  });
}

function validateAccess(access: AnonymousAccess): void {
  validatePermissions(access.permissions ?? READ_ONLY_PERMISSIONS);
  for (const override of access.permissionOverrides ?? []) {
    if (typeof override.path !== "string" || !override.path.startsWith("/")) {
      throw new TypeError(`permission override path must be absolute (start with /), got ${JSON.stringify(override.path)}`);
    }
    validatePermissions(override.permissions);
  }
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
