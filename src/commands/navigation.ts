/**
 * PWD, CWD, CDUP and their X-forms (RFC 959 §4.1.1, RFC 775).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { quotePath, Reply } from "../reply.ts";
import type { Session } from "../session.ts";

async function pwd(session: Session): Promise<void> {
  await session.reply(Reply.PathCreated, `${quotePath(session.cwd)} is the current directory.`);
}

async function changeDirectory(session: Session, argument: string): Promise<void> {
  const path = session.resolve(argument === "" ? "/" : argument);
  const stat = await session.fs.stat(path);
  if (stat.kind !== "directory") throw new FtpError(Reply.FileUnavailable, "Not a directory.");
  session.cwd = path;
  await session.reply(Reply.FileActionOk, `${quotePath(path)} is the current directory.`);
}

/** PWD, CWD and CDUP.
 *
 * @example
 * ```ts
 * import { navigationCommands } from "./navigation.ts";
 * navigationCommands.length; // 3
 * ```
 */
export const navigationCommands: readonly CommandSpec[] = [
  {
    verb: "PWD",
    aliases: ["XPWD"],
    login: true,
    argument: "none",
    syntax: "PWD (print the current directory)",
    handle: pwd,
  },
  {
    verb: "CWD",
    aliases: ["XCWD"],
    login: true,
    argument: "optional",
    permission: "e",
    syntax: "CWD [<path>] (change directory)",
    features: ["TVFS"],
    handle: changeDirectory,
  },
  {
    verb: "CDUP",
    aliases: ["XCUP"],
    login: true,
    argument: "none",
    permission: "e",
    path: () => "..",
    syntax: "CDUP (go to the parent directory)",
    handle: (session) => changeDirectory(session, ".."),
  },
];
