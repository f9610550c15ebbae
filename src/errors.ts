/**
 * Failures as FTP replies.
 *
 * @module
 */

import { Reply } from "./reply.ts";

/**
 * A refusal with its reply: thrown by command handlers, answered by the
 * session. The text must not contain user-supplied CR, LF or NUL.
 *
 * @example
 * ```ts
 * import { FtpError } from "./errors.ts";
 * throw new FtpError(550, "Not a regular file.");
 * ```
 */
export class FtpError extends Error {
  /** The reply code, 4xx or 5xx. */
  readonly code: number;
  /** `message` is the reply's text; keep client input out of it. */
  constructor(code: number, message: string) {
    super(message);
    this.name = "FtpError";
    this.code = code;
  }
}

/** A reply code and its text.
 *
 * @example
 * ```ts
 * import type { ReplyText } from "./errors.ts";
 * const reply: ReplyText = { code: 550, text: "No such file or directory." };
 * ```
 */
export interface ReplyText {
  readonly code: number;
  readonly text: string;
}

const BY_ERRNO: Readonly<Record<string, ReplyText>> = {
  ENOENT: { code: Reply.FileUnavailable, text: "No such file or directory." },
  ENOTDIR: { code: Reply.FileUnavailable, text: "No such file or directory." },
  EEXIST: { code: Reply.FileUnavailable, text: "File exists." },
  EISDIR: { code: Reply.FileUnavailable, text: "Is a directory." },
  ENOTEMPTY: { code: Reply.FileUnavailable, text: "Directory not empty." },
  EACCES: { code: Reply.FileUnavailable, text: "Permission denied." },
  EPERM: { code: Reply.FileUnavailable, text: "Operation not permitted." },
  EBUSY: { code: Reply.FileUnavailable, text: "Resource busy." },
  EINVAL: { code: Reply.FileUnavailable, text: "Invalid argument." },
  ELOOP: { code: Reply.FileUnavailable, text: "Too many levels of symbolic links." },
  ENAMETOOLONG: { code: Reply.BadFileName, text: "File name too long." },
  EROFS: { code: Reply.FileUnavailable, text: "Read-only file system." },
  ENOSPC: { code: Reply.InsufficientStorage, text: "Insufficient storage space." },
  EDQUOT: { code: Reply.StorageExceeded, text: "Disk quota exceeded." },
};

/**
 * The reply for an error thrown while serving a command, and whether it is
 * unexpected (worth logging as an error). File-system errors map by their
 * POSIX `code`; anything unknown becomes 451.
 *
 * @example
 * ```ts
 * import { replyForError } from "./errors.ts";
 * replyForError(Object.assign(new Error("gone"), { code: "ENOENT" }));
 * // { code: 550, text: "No such file or directory.", unexpected: false }
 * ```
 */
export function replyForError(error: unknown): ReplyText & { readonly unexpected: boolean } {
  if (error instanceof FtpError) return { code: error.code, text: error.message, unexpected: false };
  const errno = (error as { code?: unknown } | null)?.code;
  const known = typeof errno === "string" ? BY_ERRNO[errno] : undefined;
  if (known) return { ...known, unexpected: false };
  return { code: Reply.LocalError, text: "Local error; action aborted.", unexpected: true };
}
