/**
 * AVBL (draft-peterson-streamlined-ftp-command-extensions §4): how many
 * bytes may still be stored, where the storage can tell.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import type { FileSystem } from "../fs/file_system.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

/** The storage a user would get: theirs once logged in, else the default. */
function storage(session: Session): FileSystem | undefined {
  return session.user?.fs ?? (session.virtualHost ?? session.context).defaultFs;
}

async function avbl(session: Session, argument: string): Promise<void> {
  const fs = session.fs;
  if (!fs.availableSpace) throw new FtpError(Reply.NotImplemented, "This storage can't tell its free space.");
  const path = session.resolve(argument === "" ? "." : argument);
  if ((await fs.stat(path)).kind !== "directory") throw new FtpError(Reply.FileUnavailable, "Not a directory.");
  await session.reply(Reply.FileStatus, String(await fs.availableSpace(path)));
}

/** AVBL.
 *
 * @example
 * ```ts
 * import { avblCommands } from "./avbl.ts";
 * avblCommands[0].verb; // "AVBL"
 * ```
 */
export const avblCommands: readonly CommandSpec[] = [
  {
    verb: "AVBL",
    login: true,
    argument: "optional",
    permission: "l",
    syntax: "AVBL [<path>] (free space, in bytes)",
    features: (session) => (storage(session)?.availableSpace ? ["AVBL"] : []),
    handle: avbl,
  },
];
