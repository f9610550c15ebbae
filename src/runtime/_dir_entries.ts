/**
 * Directory listings with metadata, gathered in batches of synchronous
 * `lstat` calls (or `statx` relative to the folder, `_statx.ts`). Per
 * entry, an asynchronous `lstat` costs 15-20 µs on Deno
 * and Node (a promise plus a trip through a thread pool) and a synchronous one
 * 3-4 µs, which decides how many listings of a big folder a server can make
 * per second. Batches keep one huge folder from holding up other sessions.
 *
 * @module
 */

import type { DirEntry, FileInfo } from "../port.ts";
import type { FolderStatx } from "./_statx.ts";

/** Entries whose metadata is read before the event loop gets a turn. */
const BATCH = 256;

/** Lets other sessions' I/O run between batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Pairs each name in `folder` with its `lstat` metadata, in code-unit order
 * of the names; `lstatSync` returns `undefined` for an entry that no longer
 * exists, which is then left out. With `statx`, entries are examined
 * relative to the open folder, and by path only where that fails.
 *
 * @example
 * ```ts
 * import { entriesWithInfo } from "./_dir_entries.ts";
 * import type { FileInfo } from "../port.ts";
 * declare function lstatSync(path: string): FileInfo | undefined;
 * const entries = await entriesWithInfo("/srv", ["a.txt"], lstatSync);
 * ```
 */
export async function entriesWithInfo(
  folder: string,
  names: string[],
  lstatSync: (path: string) => FileInfo | undefined,
  statx?: FolderStatx,
): Promise<DirEntry[]> {
  const prefix = folder.endsWith("/") ? folder : `${folder}/`;
  // The default sort compares code units natively: on one engine five
  // times cheaper than sorting the entries with a comparator afterwards.
  names.sort();
  const entries: DirEntry[] = [];
  const opened = statx?.open(folder);
  try {
    for (let start = 0; start < names.length; start += BATCH) {
      if (start > 0) await yieldToEventLoop();
      const batch = names.slice(start, start + BATCH);
      const infos = opened?.infosOf(batch);
      for (let i = 0; i < batch.length; i++) {
        const info = infos?.[i] ?? lstatSync(prefix + batch[i]);
        if (info) entries.push({ name: batch[i], kind: info.kind, info });
      }
    }
  } finally {
    opened?.close();
  }
  return entries;
}
