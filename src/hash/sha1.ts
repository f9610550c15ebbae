/**
 * SHA-1 (FIPS 180-4), incremental. Weak against collisions; clients still
 * use it (XSHA1, HASH SHA-1) to verify transfers.
 *
 * @module
 */

import { blockHasher, type Hasher, wordsToBytes } from "./_block.ts";

/**
 * A new SHA-1 hasher.
 *
 * @example
 * ```ts
 * import { sha1 } from "./sha1.ts";
 * const hasher = sha1();
 * hasher.update(new TextEncoder().encode("abc"));
 * hasher.digest(); // a9 99 3e 36 ...
 * ```
 */
export function sha1(): Hasher {
  const state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);
  const w = new Int32Array(80);
  return blockHasher({
    blockSize: 64,
    littleEndian: false,
    compress(view, offset) {
      for (let i = 0; i < 16; i++) w[i] = view.getInt32(offset + i * 4);
      for (let i = 16; i < 80; i++) {
        const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
        w[i] = (x << 1) | (x >>> 31);
      }
      let a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
      for (let i = 0; i < 80; i++) {
        let f: number;
        let k: number;
        if (i < 20) {
          f = (b & c) | (~b & d);
          k = 0x5a827999;
        } else if (i < 40) {
          f = b ^ c ^ d;
          k = 0x6ed9eba1;
        } else if (i < 60) {
          f = (b & c) | (b & d) | (c & d);
          k = 0x8f1bbcdc | 0;
        } else {
          f = b ^ c ^ d;
          k = 0xca62c1d6 | 0;
        }
        const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
        e = d;
        d = c;
        c = (b << 30) | (b >>> 2);
        b = a;
        a = t;
      }
      state[0] += a;
      state[1] += b;
      state[2] += c;
      state[3] += d;
      state[4] += e;
    },
    output: () => wordsToBytes(state, false),
  });
}
