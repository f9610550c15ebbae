/**
 * Per-user storage quotas: how many bytes and files a user may keep,
 * checked before an upload starts and enforced while it runs (552).
 *
 * @module
 */

import { FtpError } from "./errors.ts";
import type { FileSink, FileSystem } from "./fs/file_system.ts";
import { Reply } from "./reply.ts";

/** Upper bounds for one user; absent means unlimited.
 *
 * @example
 * ```ts
 * import type { QuotaLimits } from "./quota.ts";
 * const limits: QuotaLimits = { maxBytes: 1024 ** 3, maxFiles: 10_000 };
 * ```
 */
export interface QuotaLimits {
  /** Total size of the user's files, in bytes. */
  readonly maxBytes?: number;
  /** Number of the user's files. */
  readonly maxFiles?: number;
}

/** What a user's storage holds now.
 *
 * @example
 * ```ts
 * import type { Usage } from "./quota.ts";
 * const usage: Usage = { bytes: 1234, files: 2 };
 * ```
 */
export interface Usage {
  /** Total size of the user's files, in bytes. */
  readonly bytes: number;
  /** Number of the user's files. */
  readonly files: number;
}

/** Tells how much a user uses. Plug in a cheaper source (a database
 * counter, `du` of a volume) when walking the whole tree is too slow.
 *
 * @example
 * ```ts
 * import type { UsageSource } from "./quota.ts";
 * const usage: UsageSource = { usage: () => Promise.resolve({ bytes: 0, files: 0 }) };
 * ```
 */
export interface UsageSource {
  /** The current usage of `username`, whose storage is `fs`. */
  usage(username: string, fs: FileSystem): Promise<Usage>;
}

/** The `quota` server option: default limits for every user, overrides per
 * user name, and where usage comes from.
 *
 * @example
 * ```ts
 * import type { QuotaOptions } from "./quota.ts";
 * const quota: QuotaOptions = { maxBytes: 100 * 1024 ** 2, perUser: { admin: {} } };
 * ```
 */
export interface QuotaOptions extends QuotaLimits {
  /** Limits by user name; they replace the defaults for that user. */
  readonly perUser?: Readonly<Record<string, QuotaLimits>>;
  /** Default {@link walkUsage}: sums every file of the user's storage. */
  readonly usage?: UsageSource;
}

/**
 * The default {@link UsageSource}: walks the user's storage and adds up
 * regular files. Its cost grows with the tree, once per upload.
 *
 * @example
 * ```ts
 * import { walkUsage } from "./quota.ts";
 * import { MemoryFileSystem } from "../mod.ts";
 * await walkUsage.usage("alice", new MemoryFileSystem({ files: { "/a": "xyz" } })); // { bytes: 3, files: 1 }
 * ```
 */
export const walkUsage: UsageSource = {
  async usage(_username, fs) {
    let bytes = 0;
    let files = 0;
    const folders = ["/"];
    for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
      for (const entry of await fs.list(folder)) {
        const path = folder === "/" ? `/${entry.name}` : `${folder}/${entry.name}`;
        if (entry.stat.kind === "directory") folders.push(path);
        else if (entry.stat.kind === "file") {
          bytes += entry.stat.size;
          files++;
        }
      }
    }
    return { bytes, files };
  },
};

function exceeded(what: string): FtpError {
  return new FtpError(Reply.StorageExceeded, `Quota exceeded: ${what}.`);
}

/**
 * Checks `username`'s quota before an upload to `path` and returns the
 * opened sink, wrapped so that it refuses (552) the byte that would cross
 * the byte limit. Without limits for the user it opens the sink and
 * returns it as is. `replaces` is true when the upload truncates an
 * existing file, whose current size is then freed. `account` holds the
 * user's own limits (from their account), which win over `quota`'s.
 *
 * @example
 * ```ts
 * import { openWithinQuota } from "./quota.ts";
 * import { MemoryFileSystem } from "../mod.ts";
 * const fs = new MemoryFileSystem();
 * const sink = await openWithinQuota({ maxBytes: 10 }, "alice", fs, "/a.txt", true, () => fs.write("/a.txt", { kind: "truncate" }));
 * ```
 */
export async function openWithinQuota(
  quota: QuotaOptions | undefined,
  username: string,
  fs: FileSystem,
  path: string,
  replaces: boolean,
  open: () => Promise<FileSink>,
  account: QuotaLimits = {},
): Promise<FileSink> {
  const limits = quota?.perUser?.[username] ?? quota;
  const maxBytes = account.maxBytes ?? limits?.maxBytes;
  const maxFiles = account.maxFiles ?? limits?.maxFiles;
  if (maxBytes === undefined && maxFiles === undefined) return await open();
  const usage = await (quota?.usage ?? walkUsage).usage(username, fs);
  const existing = await fs.stat(path).then((stat) => stat, () => null);
  if (maxFiles !== undefined && existing === null && usage.files + 1 > maxFiles) {
    throw exceeded(`at most ${maxFiles} files`);
  }
  if (maxBytes === undefined) return await open();
  const freed = replaces && existing?.kind === "file" ? existing.size : 0;
  let room = maxBytes - usage.bytes + freed;
  if (room <= 0) throw exceeded(`at most ${maxBytes} bytes`);
  const sink = await open();
  return {
    async write(data) {
      room -= data.length;
      if (room < 0) throw exceeded(`at most ${maxBytes} bytes`);
      await sink.write(data);
    },
    close: () => sink.close(),
    abort: () => sink.abort ? sink.abort() : sink.close(),
  };
}
