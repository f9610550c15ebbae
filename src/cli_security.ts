/**
 * The command-line flags of the security options: limits, failed-login
 * policy, timeouts, throttling and quotas.
 *
 * @module
 */

import type { BanKey } from "./ban.ts";
import type { SecurityOptions } from "./security.ts";

/** The flags, by long name, each with its help line. All take a value.
 *
 * @example
 * ```ts
 * import { SECURITY_FLAGS } from "./cli_security.ts";
 * Object.keys(SECURITY_FLAGS).includes("max-cons"); // true
 * ```
 */
export const SECURITY_FLAGS: Readonly<Record<string, string>> = {
  "max-cons": "N         open connections at most (default 512; 0: no limit)",
  "max-cons-per-ip": "N  open connections per client address (default: no limit)",
  "max-sessions-per-user": "N  logged-in sessions per user (default: no limit)",
  "max-login-attempts": "N  failed logins before disconnecting (default 3)",
  "login-delay": "SECONDS  pause before answering a wrong password (default 3)",
  "ban": "ip|user|user-and-ip  ban after repeated failed logins (default: off)",
  "ban-after": "N        failed logins that trigger a ban (default 10)",
  "ban-time": "SECONDS   how long a ban lasts (default 600)",
  "timeout": "SECONDS    idle control connection and stalled transfer timeout (default 300)",
  "login-timeout": "SECONDS  time allowed to log in (default 300)",
  "tls-timeout": "SECONDS  time allowed for a TLS handshake (default 30)",
  "read-limit": "BYTES   upload rate per session, bytes/s, K/M suffixes (default: none)",
  "write-limit": "BYTES  download rate per session (default: none)",
  "user-read-limit": "BYTES  upload rate shared by a user's sessions (default: none)",
  "user-write-limit": "BYTES  download rate shared by a user's sessions (default: none)",
  "quota-bytes": "BYTES  storage each user may fill (default: none)",
  "quota-files": "N      files each user may keep (default: none)",
};

/** The `--help` lines of {@link SECURITY_FLAGS}.
 *
 * @example
 * ```ts
 * import { securityUsage } from "./cli_security.ts";
 * console.log(securityUsage());
 * ```
 */
export function securityUsage(): string {
  return Object.entries(SECURITY_FLAGS).map(([name, help]) => `  --${name} ${help}`).join("\n");
}

function count(text: string, flag: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new Error(`--${flag} must be a whole number, got "${text}"`);
  return Number(text);
}

function seconds(text: string, flag: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0)) throw new Error(`--${flag} must be a number of seconds, got "${text}"`);
  return Math.round(value * 1000);
}

const UNITS: Readonly<Record<string, number>> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

function bytes(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text);
  if (!match) throw new Error(`--${flag} must be a number of bytes (K, M, G allowed), got "${text}"`);
  return Math.floor(Number(match[1]) * UNITS[match[2].toUpperCase()]);
}

/**
 * Turns the values of {@link SECURITY_FLAGS} (by long name) into server
 * options; throws a one-line `Error` on a malformed value.
 *
 * @example
 * ```ts
 * import { securityOptions } from "./cli_security.ts";
 * securityOptions(new Map([["max-cons-per-ip", "5"], ["write-limit", "1M"]]));
 * // { maxConnectionsPerIp: 5, throttle: { writeLimit: 1048576 } }
 * ```
 */
export function securityOptions(values: ReadonlyMap<string, string | true>): SecurityOptions {
  const get = (name: string) => {
    const value = values.get(name);
    return typeof value === "string" ? value : undefined;
  };
  const options: { -readonly [K in keyof SecurityOptions]: SecurityOptions[K] } = {};
  const number = <T>(name: string, parse: (text: string, flag: string) => T) => {
    const text = get(name);
    return text === undefined ? undefined : parse(text, name);
  };
  options.maxConnections = number("max-cons", count);
  options.maxConnectionsPerIp = number("max-cons-per-ip", count);
  options.maxSessionsPerUser = number("max-sessions-per-user", count);
  options.maxLoginAttempts = number("max-login-attempts", count);
  options.failedLoginDelayMs = number("login-delay", seconds);
  const timeout = number("timeout", seconds);
  options.idleTimeoutMs = timeout;
  options.dataTimeoutMs = timeout;
  options.loginTimeoutMs = number("login-timeout", seconds);
  options.tlsHandshakeTimeoutMs = number("tls-timeout", seconds);
  const by = get("ban");
  if (by !== undefined) {
    if (by !== "ip" && by !== "user" && by !== "user-and-ip") {
      throw new Error(`--ban must be ip, user or user-and-ip, got "${by}"`);
    }
    options.ban = { by: by as BanKey, maxFailures: number("ban-after", count), durationMs: number("ban-time", seconds) };
  } else if (get("ban-after") !== undefined || get("ban-time") !== undefined) {
    throw new Error("--ban-after and --ban-time need --ban");
  }
  const readLimit = number("read-limit", bytes);
  const writeLimit = number("write-limit", bytes);
  const userRead = number("user-read-limit", bytes);
  const userWrite = number("user-write-limit", bytes);
  if (readLimit || writeLimit || userRead || userWrite) {
    options.throttle = { readLimit, writeLimit, perUser: { readLimit: userRead, writeLimit: userWrite } };
  }
  const maxBytes = number("quota-bytes", bytes);
  const maxFiles = number("quota-files", count);
  if (maxBytes !== undefined || maxFiles !== undefined) options.quota = { maxBytes, maxFiles };
  for (const key of Object.keys(options) as (keyof SecurityOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}
