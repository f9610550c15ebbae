/**
 * MD5 (RFC 1321), incremental. Broken for security; FTP clients still ask
 * for it (XMD5, HASH MD5) to verify transfers.
 *
 * @module
 */

import { blockHasher, type Hasher, wordsToBytes } from "./_block.ts";

const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
// RFC 1321 §3.4: K[i] = floor(|sin(i + 1)| * 2^32).
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000));

/**
 * A new MD5 hasher.
 *
 * @example
 * ```ts
 * import { md5 } from "./md5.ts";
 * const hasher = md5();
 * hasher.update(new TextEncoder().encode("abc"));
 * hasher.digest(); // 90 01 50 98 ...
 * ```
 */
export function md5(): Hasher {
  const state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
  const m = new Int32Array(16);
  return blockHasher({
    blockSize: 64,
    littleEndian: true,
    compress(view, offset) {
      for (let i = 0; i < 16; i++) m[i] = view.getInt32(offset + i * 4, true);
      let a = state[0], b = state[1], c = state[2], d = state[3];
      for (let i = 0; i < 64; i++) {
        let f: number;
        let g: number;
        if (i < 16) {
          f = (b & c) | (~b & d);
          g = i;
        } else if (i < 32) {
          f = (d & b) | (~d & c);
          g = (5 * i + 1) & 15;
        } else if (i < 48) {
          f = b ^ c ^ d;
          g = (3 * i + 5) & 15;
        } else {
          f = c ^ (b | ~d);
          g = (7 * i) & 15;
        }
        f = (f + a + K[i] + m[g]) | 0;
        const s = SHIFTS[(i >> 4) * 4 + (i & 3)];
        a = d;
        d = c;
        c = b;
        b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
      }
      state[0] += a;
      state[1] += b;
      state[2] += c;
      state[3] += d;
    },
    output: () => wordsToBytes(state, true),
  });
}
