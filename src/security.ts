/**
 * The server's defences against hostile or broken clients: connection
 * limits, the failed-login policy, timeouts, bandwidth limits and quotas.
 * {@link SecurityOptions} are part of the server options; one
 * {@link Security} per server holds the shared state (counts per address
 * and per user, bans, per-user token buckets).
 *
 * @module
 */

import { type BanPolicy, Banlist } from "./ban.ts";
import type { Connection } from "./port.ts";
import type { QuotaOptions } from "./quota.ts";
import { type Buckets, type RateLimits, throttleConnection, type ThrottleOptions, TokenBucket } from "./throttle.ts";

/** Limits and timeouts, with pyftpdlib's defaults where it has the knob.
 * Every count or duration of 0 switches that protection off.
 *
 * @example
 * ```ts
 * import type { SecurityOptions } from "./security.ts";
 * const options: SecurityOptions = {
 *   maxConnectionsPerIp: 10,
 *   ban: { by: "ip", maxFailures: 20, durationMs: 3_600_000 },
 *   throttle: { writeLimit: 10 * 1024 * 1024 },
 *   quota: { maxBytes: 1024 ** 3 },
 * };
 * ```
 */
export interface SecurityOptions {
  /** Open control connections at most; more get 421 and are closed.
   * Default 512 (pyftpdlib's `max_cons`). */
  readonly maxConnections?: number;
  /** Open control connections from one client address; default 0
   * (unlimited, pyftpdlib's `max_cons_per_ip`). */
  readonly maxConnectionsPerIp?: number;
  /** Logged-in sessions of one user name; more get 530. Default 0
   * (unlimited). */
  readonly maxSessionsPerUser?: number;
  /** Failed logins on one connection before it is closed; default 3. */
  readonly maxLoginAttempts?: number;
  /** Pause before answering a failed PASS, during which the connection is
   * not read; default 3000 ms (pyftpdlib's `auth_failed_timeout`). */
  readonly failedLoginDelayMs?: number;
  /** Bans across connections after repeated failed logins; `true` for the
   * defaults of {@link BanPolicy}; default off. */
  readonly ban?: boolean | BanPolicy;
  /** A control connection with no command for this long gets 421 and is
   * closed; the clock stops while a transfer runs. Default 300 000 ms. */
  readonly idleTimeoutMs?: number;
  /** A connection not logged in this long after connecting gets 421 and is
   * closed; default 300 000 ms. */
  readonly loginTimeoutMs?: number;
  /** A transfer that moves no byte for this long is aborted (426); default
   * 300 000 ms (pyftpdlib's data `timeout`). */
  readonly dataTimeoutMs?: number;
  /** A TLS handshake (AUTH TLS, implicit FTPS, a protected data
   * connection) not finished this long after it began closes that
   * connection; default 30 000 ms. */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Bandwidth limits per session and per user; default none. */
  readonly throttle?: ThrottleOptions;
  /** Per-user byte and file limits checked on uploads; default none. */
  readonly quota?: QuotaOptions;
}

/** Why a connection is turned away before its session starts. */
const TOO_MANY = "Too many connections; try again later.";
const TOO_MANY_FROM_IP = "Too many connections from your address.";

/** Per-user state shared by that user's sessions. */
interface UserState {
  sessions: number;
  buckets?: { read?: TokenBucket; write?: TokenBucket };
}

/**
 * The shared state behind {@link SecurityOptions}, one per server.
 *
 * @example
 * ```ts
 * import { Security } from "./security.ts";
 * const security = new Security({ maxConnectionsPerIp: 2 });
 * security.admit("192.0.2.1"); // null: admitted
 * security.admit("192.0.2.1"); // null
 * security.admit("192.0.2.1"); // "Too many connections from your address."
 * const session = {};
 * security.claimUser(session, "alice"); // true
 * security.releaseUser(session);
 * ```
 */
export class Security {
  readonly maxLoginAttempts: number;
  readonly failedLoginDelayMs: number;
  readonly idleTimeoutMs: number;
  readonly loginTimeoutMs: number;
  readonly dataTimeoutMs: number;
  readonly tlsHandshakeTimeoutMs: number;
  readonly quota: QuotaOptions | undefined;
  /** Null when banning is off. */
  readonly bans: Banlist | null;
  readonly #maxConnections: number;
  readonly #maxPerIp: number;
  readonly #maxPerUser: number;
  readonly #throttle: ThrottleOptions | undefined;
  readonly #perIp = new Map<string, number>();
  readonly #users = new Map<string, UserState>();
  readonly #claims = new WeakMap<object, string>();
  #connections = 0;

  constructor(options: SecurityOptions = {}) {
    this.#maxConnections = options.maxConnections ?? 512;
    this.#maxPerIp = options.maxConnectionsPerIp ?? 0;
    this.#maxPerUser = options.maxSessionsPerUser ?? 0;
    this.maxLoginAttempts = options.maxLoginAttempts ?? 3;
    this.failedLoginDelayMs = options.failedLoginDelayMs ?? 3000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
    this.loginTimeoutMs = options.loginTimeoutMs ?? 300_000;
    this.dataTimeoutMs = options.dataTimeoutMs ?? 300_000;
    this.tlsHandshakeTimeoutMs = options.tlsHandshakeTimeoutMs ?? 30_000;
    this.quota = options.quota;
    this.#throttle = options.throttle;
    const ban = options.ban ?? false;
    this.bans = ban === false ? null : new Banlist(ban === true ? {} : ban);
  }

  /** Open control connections. */
  get connections(): number {
    return this.#connections;
  }

  /** Counts a new connection from `address`, or returns why it is refused
   * (it is then not counted). Every admitted connection must be
   * {@link release}d once it is fully closed. */
  admit(address: string): string | null {
    if (this.#maxConnections > 0 && this.#connections >= this.#maxConnections) return TOO_MANY;
    const fromIp = this.#perIp.get(address) ?? 0;
    if (this.#maxPerIp > 0 && fromIp >= this.#maxPerIp) return TOO_MANY_FROM_IP;
    this.#connections++;
    this.#perIp.set(address, fromIp + 1);
    return null;
  }

  /** Uncounts a connection {@link admit} let in. */
  release(address: string): void {
    this.#connections--;
    const fromIp = (this.#perIp.get(address) ?? 1) - 1;
    if (fromIp > 0) this.#perIp.set(address, fromIp);
    else this.#perIp.delete(address);
  }

  /** Counts `owner`'s (a session's) login as `username`; false when the
   * user already has `maxSessionsPerUser` sessions (it is then not
   * counted). */
  claimUser(owner: object, username: string, maxSessions: number = this.#maxPerUser): boolean {
    this.releaseUser(owner);
    const state = this.#users.get(username) ?? { sessions: 0 };
    if (maxSessions > 0 && state.sessions >= maxSessions) return false;
    state.sessions++;
    this.#users.set(username, state);
    this.#claims.set(owner, username);
    return true;
  }

  /** Uncounts `owner`'s login (logout, disconnect); idempotent. */
  releaseUser(owner: object): void {
    const username = this.#claims.get(owner);
    if (username === undefined) return;
    this.#claims.delete(owner);
    const state = this.#users.get(username);
    if (state && --state.sessions <= 0) this.#users.delete(username);
  }

  /**
   * `data`, throttled to the session and per-user limits (`account`'s
   * session limits win over the server's); `data` itself when there are
   * none. Call once per transfer: the session buckets are new
   * each time, the user's are shared while the user has sessions.
   */
  throttle(data: Connection, username: string | undefined, account: RateLimits = {}): Connection {
    const limits = this.#throttle;
    const readLimit = account.readLimit ?? limits?.readLimit;
    const writeLimit = account.writeLimit ?? limits?.writeLimit;
    // The usual case, no limit anywhere, allocates nothing.
    if (!readLimit && !writeLimit && !limits?.perUser) return data;
    const buckets: Buckets = { read: [], write: [] };
    if (readLimit) (buckets.read as TokenBucket[]).push(new TokenBucket(readLimit));
    if (writeLimit) (buckets.write as TokenBucket[]).push(new TokenBucket(writeLimit));
    const state = username === undefined ? undefined : this.#users.get(username);
    const perUser = limits?.perUser;
    if (state && perUser) {
      state.buckets ??= {
        read: perUser.readLimit ? new TokenBucket(perUser.readLimit) : undefined,
        write: perUser.writeLimit ? new TokenBucket(perUser.writeLimit) : undefined,
      };
      if (state.buckets.read) (buckets.read as TokenBucket[]).push(state.buckets.read);
      if (state.buckets.write) (buckets.write as TokenBucket[]).push(state.buckets.write);
    }
    if (buckets.read.length === 0 && buckets.write.length === 0) return data;
    return throttleConnection(data, buckets);
  }
}
