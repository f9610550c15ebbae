/**
 * Cutting off password guessers across connections: failed logins are
 * counted per client address, per user name, or per pair, and a key that
 * fails too often is banned for a while. The counts live in a
 * {@link BanStore}; {@link MemoryBanStore} keeps them in memory, and a
 * shared store (a database, Redis) can replace it for several servers.
 *
 * @module
 */

/** What a ban is keyed on:
 * - `ip`: the client address; a banned address cannot even connect (421);
 * - `user`: the user name, from any address (a guesser can lock the real
 *   user out, which is why it is not the default);
 * - `user-and-ip`: the pair, so only that name from that address is refused.
 *
 * @example
 * ```ts
 * import type { BanKey } from "./ban.ts";
 * const key: BanKey = "user-and-ip";
 * ```
 */
export type BanKey = "ip" | "user" | "user-and-ip";

/** One key's record in a {@link BanStore}.
 *
 * @example
 * ```ts
 * import type { BanRecord } from "./ban.ts";
 * const record: BanRecord = { failures: 2, bannedUntil: 0, expiresAt: Date.now() + 600_000 };
 * ```
 */
export interface BanRecord {
  /** Failed logins counted so far. */
  readonly failures: number;
  /** While `Date.now()` is below this, the key is banned (0: not banned). */
  readonly bannedUntil: number;
  /** After this the record may be forgotten. */
  readonly expiresAt: number;
}

/**
 * Where failure counts and bans are kept. Keys are opaque strings such as
 * `ip:192.0.2.1`, `user:alice` or `user-and-ip:alice@192.0.2.1`.
 *
 * @example
 * ```ts
 * import type { BanRecord, BanStore } from "./ban.ts";
 * const records = new Map<string, BanRecord>();
 * const store: BanStore = {
 *   get: (key) => Promise.resolve(records.get(key)),
 *   set: (key, record) => Promise.resolve(void records.set(key, record)),
 *   delete: (key) => Promise.resolve(void records.delete(key)),
 * };
 * ```
 */
export interface BanStore {
  /** The record of `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<BanRecord | undefined>;
  /** Creates or replaces the record of `key`. */
  set(key: string, record: BanRecord): Promise<void>;
  /** Forgets `key` (after a successful login). */
  delete(key: string): Promise<void>;
}

/** How many records a {@link MemoryBanStore} keeps at most by default. */
const DEFAULT_MAX_RECORDS = 100_000;

/**
 * A {@link BanStore} in memory. Expired records are dropped
 * when read, and the store never holds more than `maxRecords` (the oldest
 * go first), so a guesser rotating through addresses cannot grow it without
 * bound.
 *
 * @example
 * ```ts
 * import { MemoryBanStore } from "./ban.ts";
 * const store = new MemoryBanStore({ maxRecords: 10_000 });
 * await store.set("ip:192.0.2.1", { failures: 1, bannedUntil: 0, expiresAt: Date.now() + 1000 });
 * ```
 */
export class MemoryBanStore implements BanStore {
  readonly #records = new Map<string, BanRecord>();
  readonly #maxRecords: number;

  /** `maxRecords` bounds the memory used (default 100 000). */
  constructor(options: { readonly maxRecords?: number } = {}) {
    this.#maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  }

  /** The live record of `key`. */
  get(key: string): Promise<BanRecord | undefined> {
    const record = this.#records.get(key);
    if (record && record.expiresAt <= Date.now()) {
      this.#records.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(record);
  }

  /** Stores `record`, evicting the oldest records beyond `maxRecords`. */
  set(key: string, record: BanRecord): Promise<void> {
    // Re-inserting moves the key to the end: the Map's order is then the
    // order of last update, and eviction takes the stalest first.
    this.#records.delete(key);
    this.#records.set(key, record);
    for (const oldest of this.#records.keys()) {
      if (this.#records.size <= this.#maxRecords) break;
      this.#records.delete(oldest);
    }
    return Promise.resolve();
  }

  /** Forgets `key`. */
  delete(key: string): Promise<void> {
    this.#records.delete(key);
    return Promise.resolve();
  }

  /** Number of records held (expired ones included until read). */
  get size(): number {
    return this.#records.size;
  }
}

/** When failed logins lead to a ban.
 *
 * @example
 * ```ts
 * import type { BanPolicy } from "./ban.ts";
 * const policy: BanPolicy = { by: "ip", maxFailures: 10, durationMs: 15 * 60_000 };
 * ```
 */
export interface BanPolicy {
  /** What is banned; default `user-and-ip`. */
  readonly by?: BanKey;
  /** Failed logins (across connections) that trigger the ban; default 10. */
  readonly maxFailures?: number;
  /** How long a ban lasts, and how long failures are remembered; default
   * 10 minutes. */
  readonly durationMs?: number;
  /** Where counts are kept; default a {@link MemoryBanStore}. */
  readonly store?: BanStore;
}

/**
 * Applies a {@link BanPolicy}: counts failures, answers whether an address
 * or a login is banned, and forgets a key after a successful login.
 *
 * @example
 * ```ts
 * import { Banlist } from "./ban.ts";
 * const bans = new Banlist({ by: "ip", maxFailures: 3 });
 * for (let i = 0; i < 3; i++) await bans.recordFailure("192.0.2.1", "root");
 * await bans.isAddressBanned("192.0.2.1"); // true
 * ```
 */
export class Banlist {
  readonly by: BanKey;
  readonly #maxFailures: number;
  readonly #durationMs: number;
  readonly #store: BanStore;

  constructor(policy: BanPolicy = {}) {
    this.by = policy.by ?? "user-and-ip";
    this.#maxFailures = Math.max(1, policy.maxFailures ?? 10);
    this.#durationMs = policy.durationMs ?? 10 * 60_000;
    this.#store = policy.store ?? new MemoryBanStore();
  }

  /** Whether connections from `address` are refused outright (only when
   * banning by `ip`). */
  async isAddressBanned(address: string): Promise<boolean> {
    if (this.by !== "ip") return false;
    return await this.#isBanned(this.#key(address, ""));
  }

  /** Whether a login as `username` from `address` is refused without
   * looking at the password. */
  async isLoginBanned(address: string, username: string): Promise<boolean> {
    return await this.#isBanned(this.#key(address, username));
  }

  /** Counts one failed login; resolves true when it started a ban. */
  async recordFailure(address: string, username: string): Promise<boolean> {
    const key = this.#key(address, username);
    const now = Date.now();
    const record = await this.#store.get(key);
    // Attempts during a ban neither extend nor lift it.
    if (record && record.bannedUntil > now) return false;
    const failures = (record?.failures ?? 0) + 1;
    const banned = failures >= this.#maxFailures;
    await this.#store.set(key, {
      failures: banned ? 0 : failures,
      bannedUntil: banned ? now + this.#durationMs : 0,
      expiresAt: now + this.#durationMs,
    });
    return banned;
  }

  /** Forgets the failures of a login that succeeded. */
  async recordSuccess(address: string, username: string): Promise<void> {
    await this.#store.delete(this.#key(address, username));
  }

  async #isBanned(key: string): Promise<boolean> {
    const record = await this.#store.get(key);
    return record !== undefined && record.bannedUntil > Date.now();
  }

  #key(address: string, username: string): string {
    if (this.by === "ip") return `ip:${address}`;
    if (this.by === "user") return `user:${username}`;
    return `user-and-ip:${username}@${address}`;
  }
}
