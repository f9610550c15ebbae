/**
 * CRC-32 (ISO-HDLC, the one of zlib and XCRC), incremental.
 *
 * @module
 */

import type { Hasher } from "./_block.ts";

const TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/**
 * A new CRC-32 hasher; the digest is the 4-byte big-endian checksum.
 *
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * const hasher = crc32();
 * hasher.update(new TextEncoder().encode("123456789"));
 * hasher.digest(); // cb f4 39 26
 * ```
 */
export function crc32(): Hasher {
  let crc = -1;
  return {
    update(data) {
      let c = crc;
      for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
      crc = c;
    },
    digest() {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setUint32(0, ~crc >>> 0);
      return bytes;
    },
  };
}
