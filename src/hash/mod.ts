/**
 * The hash algorithms of HASH (draft-bryan-ftpext-hash) and the XCRC/XMD5/
 * XSHA* commands, all incremental and in plain TypeScript. Web Crypto's
 * `crypto.subtle.digest` exists on every runtime but hashes one buffer in
 * one call (a whole file in memory) and has neither MD5 nor CRC-32, so the
 * core streams files through these instead.
 *
 * @module
 */

import type { Hasher } from "./_block.ts";
import { crc32 } from "./crc32.ts";
import { md5 } from "./md5.ts";
import { sha1 } from "./sha1.ts";
import { sha256 } from "./sha256.ts";
import { sha512 } from "./sha512.ts";

export type { Hasher };

/** The algorithms, by their HASH names (the order FEAT lists them in).
 *
 * @example
 * ```ts
 * import { HASH_ALGORITHMS } from "./mod.ts";
 * HASH_ALGORITHMS.includes("SHA-256"); // true
 * ```
 */
export const HASH_ALGORITHMS = ["SHA-1", "SHA-256", "SHA-512", "MD5", "CRC32"] as const;

/** One of {@link HASH_ALGORITHMS}.
 *
 * @example
 * ```ts
 * import type { HashAlgorithm } from "./mod.ts";
 * const algorithm: HashAlgorithm = "SHA-512";
 * ```
 */
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

const FACTORIES: Readonly<Record<HashAlgorithm, () => Hasher>> = {
  "SHA-1": sha1,
  "SHA-256": sha256,
  "SHA-512": sha512,
  MD5: md5,
  CRC32: crc32,
};

/**
 * A new incremental hasher for `algorithm`.
 *
 * @example
 * ```ts
 * import { createHasher, toHex } from "./mod.ts";
 * const hasher = createHasher("MD5");
 * hasher.update(new Uint8Array(0));
 * toHex(hasher.digest()); // "d41d8cd98f00b204e9800998ecf8427e"
 * ```
 */
export function createHasher(algorithm: HashAlgorithm): Hasher {
  return FACTORIES[algorithm]();
}

/**
 * Lower-case hexadecimal of bytes.
 *
 * @example
 * ```ts
 * import { toHex } from "./mod.ts";
 * toHex(Uint8Array.of(0, 255)); // "00ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
