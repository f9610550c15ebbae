/**
 * MFMT (draft-somers-ftp-mfxx): set a file's modification time, as clients
 * do after an upload to keep the original's.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { formatTimeVal } from "../listing.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

/**
 * Parses an RFC 3659 time-val (`YYYYMMDDHHMMSS[.sss]`, UTC) into
 * milliseconds since the epoch; `null` if it is malformed or no real
 * date (month 13, February 30).
 *
 * @example
 * ```ts
 * import { parseTimeVal } from "./mfmt.ts";
 * parseTimeVal("20261124100000"); // 1795514400000
 * parseTimeVal("20261324100000"); // null
 * ```
 */
export function parseTimeVal(text: string): number | null {
  const match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d{1,3}))?$/.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const ms = Number((match[7] ?? "0").padEnd(3, "0"));
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const date = new Date(time);
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    hour < 24 && minute < 60 && second < 60;
  return real ? time : null;
}

async function mfmt(session: Session, argument: string): Promise<void> {
  const space = argument.indexOf(" ");
  const mtimeMs = space === -1 ? null : parseTimeVal(argument.slice(0, space));
  const name = space === -1 ? "" : argument.slice(space + 1);
  if (mtimeMs === null || name === "") {
    throw new FtpError(Reply.ArgumentSyntaxError, "Use MFMT <YYYYMMDDHHMMSS> <path>.");
  }
  const path = session.resolve(name);
  const fs = session.fs;
  if (!fs.setModifiedTime) throw new FtpError(Reply.NotImplemented, "This storage can't set modification times.");
  await fs.stat(path);
  await fs.setModifiedTime(path, mtimeMs);
  session.log("info", `MFMT ${argument.slice(0, space)} ${path} 213`);
  await session.reply(Reply.FileStatus, `Modify=${formatTimeVal(mtimeMs)}; ${path}`);
}

/** MFMT.
 *
 * @example
 * ```ts
 * import { mfmtCommands } from "./mfmt.ts";
 * mfmtCommands[0].permission; // "T"
 * ```
 */
export const mfmtCommands: readonly CommandSpec[] = [
  {
    verb: "MFMT",
    login: true,
    argument: "required",
    permission: "T",
    syntax: "MFMT <YYYYMMDDHHMMSS> <path> (set the modification time)",
    features: ["MFMT"],
    handle: mfmt,
  },
];
