/**
 * File and folder management: SIZE, MDTM (RFC 3659), DELE, MKD, RMD, RNFR,
 * RNTO (RFC 959).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { formatTimeVal } from "../listing.ts";
import { quotePath, Reply } from "../reply.ts";
import type { Session } from "../session.ts";

async function regularFile(session: Session, argument: string) {
  const stat = await session.fs.stat(session.resolve(argument));
  if (stat.kind !== "file") throw new FtpError(Reply.FileUnavailable, "Not a regular file.");
  return stat;
}

async function size(session: Session, argument: string): Promise<void> {
  // The ASCII size would need a full scan of the file to count line ends:
  // one command could make the server read gigabytes.
  if (session.transferType === "ascii") {
    throw new FtpError(Reply.FileUnavailable, "SIZE not allowed in ASCII mode; use TYPE I.");
  }
  const stat = await regularFile(session, argument);
  await session.reply(Reply.FileStatus, String(stat.size));
}

async function mdtm(session: Session, argument: string): Promise<void> {
  const stat = await regularFile(session, argument);
  await session.reply(Reply.FileStatus, formatTimeVal(stat.mtimeMs));
}

async function dele(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument);
  await session.fs.remove(path);
  session.log("info", `DELE ${path} 250`);
  await session.reply(Reply.FileActionOk, "File removed.");
}

async function mkd(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument);
  await session.fs.mkdir(path);
  session.log("info", `MKD ${path} 257`);
  await session.reply(Reply.PathCreated, `${quotePath(path)} directory created.`);
}

async function rmd(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument);
  if (path === "/") throw new FtpError(Reply.FileUnavailable, "Can't remove the root directory.");
  await session.fs.rmdir(path);
  session.log("info", `RMD ${path} 250`);
  await session.reply(Reply.FileActionOk, "Directory removed.");
}

async function rnfr(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument);
  if (path === "/") throw new FtpError(Reply.FileUnavailable, "Can't rename the root directory.");
  await session.fs.stat(path);
  session.renameFrom = path;
  await session.reply(Reply.PendingFurtherInfo, "Ready for destination name.");
}

async function rnto(session: Session, argument: string): Promise<void> {
  const from = session.renameFrom;
  session.renameFrom = null;
  if (from === null) throw new FtpError(Reply.BadSequence, "Send RNFR first.");
  const to = session.resolve(argument);
  if (to === "/") throw new FtpError(Reply.FileUnavailable, "Can't replace the root directory.");
  await session.fs.rename(from, to);
  session.log("info", `RNFR ${from} RNTO ${to} 250`);
  await session.reply(Reply.FileActionOk, "Rename successful.");
}

/** SIZE, MDTM, DELE, MKD, RMD, RNFR and RNTO.
 *
 * @example
 * ```ts
 * import { fileCommands } from "./files.ts";
 * fileCommands.find((spec) => spec.verb === "DELE")?.permission; // "d"
 * ```
 */
export const fileCommands: readonly CommandSpec[] = [
  {
    verb: "SIZE",
    login: true,
    argument: "required",
    permission: "l",
    syntax: "SIZE <path> (size of a file)",
    features: ["SIZE"],
    handle: size,
  },
  {
    verb: "MDTM",
    login: true,
    argument: "required",
    permission: "l",
    syntax: "MDTM <path> (modification time of a file)",
    features: ["MDTM"],
    handle: mdtm,
  },
  { verb: "DELE", login: true, argument: "required", permission: "d", syntax: "DELE <path> (delete a file)", handle: dele },
  {
    verb: "MKD",
    aliases: ["XMKD"],
    login: true,
    argument: "required",
    permission: "m",
    syntax: "MKD <path> (make a directory)",
    handle: mkd,
  },
  {
    verb: "RMD",
    aliases: ["XRMD"],
    login: true,
    argument: "required",
    permission: "d",
    syntax: "RMD <path> (remove an empty directory)",
    handle: rmd,
  },
  {
    verb: "RNFR",
    login: true,
    argument: "required",
    permission: "f",
    syntax: "RNFR <path> (rename from)",
    handle: rnfr,
  },
  { verb: "RNTO", login: true, argument: "required", permission: "f", syntax: "RNTO <path> (rename to)", handle: rnto },
];
