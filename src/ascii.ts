/**
 * TYPE A line-end translation (RFC 959 §3.1.1.1): the network form of a text
 * line ends in CRLF, the local form in LF.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

/**
 * Turns local text into network ASCII chunk by chunk: every LF not already
 * preceded by CR (also across chunk boundaries) gets one.
 *
 * @example
 * ```ts
 * import { createToNetworkAscii } from "./ascii.ts";
 * const convert = createToNetworkAscii();
 * new TextDecoder().decode(convert(new TextEncoder().encode("a\nb\r\n")));
 * // "a\r\nb\r\n"
 * ```
 */
export function createToNetworkAscii(): (chunk: Uint8Array) => Uint8Array {
  let lastOfPrevious = -1;
  return (chunk) => {
    const before = lastOfPrevious;
    const needsCr = (i: number) => chunk[i] === LF && (i === 0 ? before : chunk[i - 1]) !== CR;
    let extra = 0;
    for (let i = 0; i < chunk.length; i++) if (needsCr(i)) extra++;
    if (chunk.length > 0) lastOfPrevious = chunk[chunk.length - 1];
    if (extra === 0) return chunk;
    const out = new Uint8Array(chunk.length + extra);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (needsCr(i)) out[o++] = CR;
      out[o++] = chunk[i];
    }
    return out;
  };
}

/** A stateful converter with an end-of-stream flush.
 *
 * @example
 * ```ts
 * import type { AsciiDecoder } from "./ascii.ts";
 * function run(decoder: AsciiDecoder, chunk: Uint8Array): Uint8Array[] {
 *   return [decoder.push(chunk), decoder.flush()];
 * }
 * ```
 */
export interface AsciiDecoder {
  push(chunk: Uint8Array): Uint8Array;
  /** Bytes held back at the end of the stream (a final lone CR). */
  flush(): Uint8Array;
}

/**
 * Turns network ASCII into local text: CRLF becomes LF, a lone CR stays. A CR
 * at the end of a chunk is held until the next chunk shows what follows it.
 *
 * @example
 * ```ts
 * import { createFromNetworkAscii } from "./ascii.ts";
 * const decoder = createFromNetworkAscii();
 * const text = new TextEncoder();
 * decoder.push(text.encode("a\r")); // "a"
 * decoder.push(text.encode("\nb")); // "\nb"
 * ```
 */
export function createFromNetworkAscii(): AsciiDecoder {
  let heldCr = false;
  return {
    push(chunk) {
      const out = new Uint8Array(chunk.length + 1);
      let o = 0;
      if (heldCr && chunk[0] !== LF) out[o++] = CR;
      heldCr = false;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        if (byte === CR) {
          if (i + 1 === chunk.length) heldCr = true;
          else if (chunk[i + 1] !== LF) out[o++] = CR;
        } else {
          out[o++] = byte;
        }
      }
      return out.subarray(0, o);
    },
    flush() {
      const tail = heldCr ? Uint8Array.of(CR) : new Uint8Array(0);
      heldCr = false;
      return tail;
    },
  };
}
