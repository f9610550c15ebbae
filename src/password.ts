/**
 * Password hashes: PBKDF2-HMAC-SHA256 through Web Crypto, which every
 * supported runtime has, in a PHC-style string
 * `$pbkdf2-sha256$i=600000$<salt>$<hash>` (unpadded base64).
 *
 * @module
 */

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const PREFIX = "$pbkdf2-sha256$";
const FORMAT = /^\$pbkdf2-sha256\$i=(\d{1,9})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Options of {@link hashPassword}.
 *
 * @example
 * ```ts
 * import type { HashPasswordOptions } from "./password.ts";
 * const options: HashPasswordOptions = { iterations: 600_000 };
 * ```
 */
export interface HashPasswordOptions {
  /** PBKDF2 rounds; default 600 000. Fewer make logins cheaper to check
   * and passwords cheaper to guess. */
  readonly iterations?: number;
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/=+$/, "");
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Hashes `password` with a fresh random salt, for the `passwordHash` of a
 * `MemoryAuthorizer` user or a users file.
 *
 * @example
 * ```ts
 * import { hashPassword } from "./password.ts";
 * const hash = await hashPassword("secret");
 * // "$pbkdf2-sha256$i=600000$...$..."
 * ```
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 999_999_999) {
    throw new RangeError(`iterations must be an integer from 1 to 999999999, got ${iterations}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  return `${PREFIX}i=${iterations}$${toBase64(salt)}$${toBase64(await derive(password, salt, iterations))}`;
}

/**
 * Whether `hash` is a string {@link hashPassword} makes.
 *
 * @example
 * ```ts
 * import { isPasswordHash } from "./password.ts";
 * isPasswordHash("secret"); // false
 * ```
 */
export function isPasswordHash(hash: string): boolean {
  return FORMAT.test(hash);
}

/**
 * Whether `password` matches `hash` (made by {@link hashPassword}). The
 * comparison does not stop at the first differing byte.
 *
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from "./password.ts";
 * const hash = await hashPassword("secret", { iterations: 1000 });
 * await verifyPassword(hash, "secret"); // true
 * ```
 */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  const match = FORMAT.exec(hash);
  if (!match) throw new TypeError("not a $pbkdf2-sha256$ password hash");
  const expected = fromBase64(match[3]);
  const actual = await derive(password, fromBase64(match[2]), Number(match[1]));
  let difference = expected.length ^ actual.length;
  for (let i = 0; i < expected.length; i++) difference |= expected[i] ^ (actual[i] ?? 0);
  return difference === 0;
}
