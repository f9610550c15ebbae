/**
 * RETR, STOR, APPE and ABOR (RFC 959 §4.1.3).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import type { WriteMode } from "../fs/file_system.ts";
import { Reply } from "../reply.ts";
import { openWithinQuota } from "../quota.ts";
import type { Session } from "../session.ts";
import { receiveFileJob, sendFileJob } from "../transfer_jobs.ts";

/** The REST offset applies to the next transfer only. */
function takeRestartOffset(session: Session): number {
  const offset = session.restartOffset;
  session.restartOffset = 0;
  return offset;
}

async function retr(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument);
  const offset = takeRestartOffset(session);
  await session.startTransfer(async () => {
    const stat = await session.fs.stat(path);
    if (stat.kind !== "file") throw new FtpError(Reply.FileUnavailable, "Not a regular file.");
    if (offset > stat.size) {
      throw new FtpError(Reply.RestartInvalid, `Restart offset ${offset} is beyond the file size ${stat.size}.`);
    }
    const source = await session.fs.read(path, offset);
    return sendFileJob(source, { label: `RETR ${path}`, path, ascii: session.transferType === "ascii" });
  });
}

function store(verb: "STOR" | "APPE"): (session: Session, argument: string) => Promise<void> {
  return async (session, argument) => {
    const path = session.resolve(argument);
    const offset = takeRestartOffset(session);
    if (verb === "APPE" && offset > 0) {
      throw new FtpError(Reply.FileUnavailableBusy, "APPE can't follow REST; use STOR.");
    }
    const mode: WriteMode = verb === "APPE"
      ? { kind: "append" }
      : offset > 0
      ? { kind: "offset", offset }
      : { kind: "truncate" };
    await session.startTransfer(async () => {
      const { fs, user } = session;
      const { quota } = session.context.security;
      const replaces = verb === "STOR" && offset === 0;
      const open = () => fs.write(path, mode);
      const sink = await openWithinQuota(quota, user!.account.username, fs, path, replaces, open, user!.account.limits);
      return receiveFileJob(sink, { label: `${verb} ${path}`, path, ascii: session.transferType === "ascii" });
    });
  };
}

async function abor(session: Session): Promise<void> {
  if (await session.abortTransfer()) {
    await session.reply(Reply.TransferComplete, "ABOR successful; transfer aborted.");
  } else {
    await session.reply(Reply.DataOpenNoTransfer, "No transfer to abort.");
  }
}

/** RETR, STOR, APPE and ABOR.
 *
 * @example
 * ```ts
 * import { transferCommands } from "./transfer.ts";
 * transferCommands.find((spec) => spec.verb === "STOR")?.permission; // "w"
 * ```
 */
export const transferCommands: readonly CommandSpec[] = [
  {
    verb: "RETR",
    login: true,
    argument: "required",
    permission: "r",
    syntax: "RETR <path> (download a file)",
    handle: retr,
  },
  {
    verb: "STOR",
    login: true,
    argument: "required",
    permission: "w",
    syntax: "STOR <path> (upload a file)",
    handle: store("STOR"),
  },
  {
    verb: "APPE",
    login: true,
    argument: "required",
    permission: "a",
    syntax: "APPE <path> (append to a file)",
    handle: store("APPE"),
  },
  { verb: "ABOR", login: true, argument: "none", syntax: "ABOR (abort the transfer)", handle: abor },
];
