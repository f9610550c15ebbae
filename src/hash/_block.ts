/**
 * The buffering and padding shared by MD5 and the SHA family (the
 * Merkle–Damgård construction): each algorithm only supplies its block
 * function and its output.
 *
 * @module
 */

/** An incremental hash: feed bytes in any pieces, then take the digest once.
 *
 * @example
 * ```ts
 * import { createHasher } from "./mod.ts";
 * const hasher = createHasher("SHA-256");
 * hasher.update(new TextEncoder().encode("ab"));
 * hasher.update(new TextEncoder().encode("c"));
 * hasher.digest().length; // 32
 * ```
 */
export interface Hasher {
  /** Adds bytes; `data` may be reused once this returns. */
  update(data: Uint8Array): void;
  /** The digest of everything added; call it once, last. */
  digest(): Uint8Array;
}

/** What one block-based hash algorithm supplies.
 *
 * @example
 * ```ts
 * import type { BlockFunction } from "./_block.ts";
 * const nothing: BlockFunction = {
 *   blockSize: 64,
 *   littleEndian: false,
 *   compress: () => {},
 *   output: () => new Uint8Array(0),
 * };
 * ```
 */
export interface BlockFunction {
  /** 64 bytes (MD5, SHA-1, SHA-256) or 128 (SHA-512). */
  readonly blockSize: 64 | 128;
  /** MD5 stores its words and the message length little-endian. */
  readonly littleEndian: boolean;
  /** Mixes the block at `offset` of `view` into the state. */
  compress(view: DataView, offset: number): void;
  /** The state as digest bytes. */
  output(): Uint8Array;
}

/**
 * Wraps a block function into a {@link Hasher}: whole blocks are hashed
 * straight from the caller's bytes, only a partial tail is copied.
 *
 * @example
 * ```ts
 * import { blockHasher, type BlockFunction } from "./_block.ts";
 * declare const md5Block: BlockFunction;
 * const hasher = blockHasher(md5Block);
 * ```
 */
export function blockHasher(block: BlockFunction): Hasher {
  const size = block.blockSize;
  const buffer = new Uint8Array(size);
  const view = new DataView(buffer.buffer);
  let buffered = 0;
  let length = 0;
  return {
    update(data) {
      length += data.length;
      let offset = 0;
      if (buffered > 0) {
        offset = Math.min(size - buffered, data.length);
        buffer.set(data.subarray(0, offset), buffered);
        buffered += offset;
        if (buffered < size) return;
        block.compress(view, 0);
        buffered = 0;
      }
      const input = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (; offset + size <= data.length; offset += size) block.compress(input, offset);
      buffer.set(data.subarray(offset));
      buffered = data.length - offset;
    },
    digest() {
      // Padding: one 1 bit, zeros, then the length in bits in the last 8
      // bytes (SHA-512 reserves 16; lengths here never need the upper 8).
      buffer[buffered++] = 0x80;
      if (buffered > size - size / 8) {
        buffer.fill(0, buffered);
        block.compress(view, 0);
        buffered = 0;
      }
      buffer.fill(0, buffered);
      const bits = length * 8;
      const high = Math.floor(bits / 0x100000000);
      const low = bits >>> 0;
      if (block.littleEndian) {
        view.setUint32(size - 8, low, true);
        view.setUint32(size - 4, high, true);
      } else {
        view.setUint32(size - 8, high);
        view.setUint32(size - 4, low);
      }
      block.compress(view, 0);
      return block.output();
    },
  };
}

/**
 * Writes 32-bit words into bytes, big- or little-endian.
 *
 * @example
 * ```ts
 * import { wordsToBytes } from "./_block.ts";
 * wordsToBytes([1], false); // Uint8Array [0, 0, 0, 1]
 * ```
 */
export function wordsToBytes(words: ArrayLike<number>, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(i * 4, words[i] >>> 0, littleEndian);
  return bytes;
}
