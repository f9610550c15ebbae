/**
 * Serialises writes for runtimes whose socket write can be short: each
 * write loops until all its bytes are out, so a second write must not start
 * before the first has finished, or their bytes would interleave.
 *
 * @module
 */

/** Writes in call order, one at a time.
 *
 * @example
 * ```ts
 * import type { WriteChain } from "./_write_chain.ts";
 * async function finish(chain: WriteChain): Promise<void> {
 *   await chain.idle();
 * }
 * ```
 */
export interface WriteChain {
  /** Queues `data` behind earlier writes; settles as `writeAll(data)` does. */
  write(data: Uint8Array): Promise<void>;
  /** Resolves once every write queued so far has settled. */
  idle(): Promise<void>;
}

/**
 * Creates a {@link WriteChain} around a function that writes one buffer
 * completely.
 *
 * @example
 * ```ts
 * import { createWriteChain } from "./_write_chain.ts";
 * const sent: string[] = [];
 * const chain = createWriteChain(async (data) => {
 *   sent.push(new TextDecoder().decode(data));
 * });
 * chain.write(new TextEncoder().encode("a"));
 * await chain.write(new TextEncoder().encode("b"));
 * console.log(sent); // ["a", "b"]
 * ```
 */
export function createWriteChain(
  writeAll: (data: Uint8Array) => Promise<void>,
): WriteChain {
  let tail: Promise<void> = Promise.resolve();
  return {
    write(data) {
      const written = tail.then(() => writeAll(data));
      // A failed write must not stop later ones from reporting their own
      // outcome, so the chain itself never rejects.
      tail = written.catch(() => {});
      return written;
    },
    idle() {
      return tail;
    },
  };
}
