/**
 * SITE (RFC 959 §4.1.3): a second command table, for site-specific
 * subcommands (SITE HELP and SITE CHMOD built in; users' own ones join it).
 *
 * @module
 */

import { type CommandSpec, runCommand } from "../command.ts";
import { FtpError } from "../errors.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

async function site(session: Session, argument: string): Promise<void> {
  const trimmed = argument.trimStart();
  const space = trimmed.indexOf(" ");
  const name = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  const spec = session.context.siteCommands.get(name);
  if (!spec) {
    const shown = /^[A-Z0-9]{1,16}$/.test(name) ? ` ${name}` : "";
    throw new FtpError(Reply.SyntaxError, `SITE${shown} not understood.`);
  }
  await runCommand(session, spec, space === -1 ? "" : trimmed.slice(space + 1));
}

async function siteHelp(session: Session, argument: string): Promise<void> {
  const topic = argument.trim().toUpperCase();
  if (topic !== "") {
    const spec = session.context.siteCommands.get(topic);
    if (!spec) throw new FtpError(Reply.ArgumentSyntaxError, "Unknown SITE command.");
    return await session.reply(Reply.Help, `Syntax: ${spec.syntax}`);
  }
  const specs = [...new Set(session.context.siteCommands.values())].sort((a, b) => (a.verb < b.verb ? -1 : 1));
  await session.reply(Reply.Help, [
    "The following SITE commands are recognized:",
    ...specs.map((spec) => ` ${spec.syntax}`),
    "Help SITE command successful.",
  ]);
}

/** `SITE CHMOD <mode> <path>`: the mode, then the path. */
function splitMode(argument: string): { readonly mode: string; readonly name: string } {
  const text = argument.trimStart();
  const space = text.indexOf(" ");
  return space === -1 ? { mode: text, name: "" } : { mode: text.slice(0, space), name: text.slice(space + 1) };
}

async function chmod(session: Session, argument: string): Promise<void> {
  const { mode, name } = splitMode(argument);
  if (!/^[0-7]{1,4}$/.test(mode) || name === "") {
    throw new FtpError(Reply.ArgumentSyntaxError, "Use SITE CHMOD <octal mode> <path>.");
  }
  const path = session.resolve(name);
  const fs = session.fs;
  if (!fs.chmod) throw new FtpError(Reply.NotImplemented, "This storage has no permission bits.");
  await fs.chmod(path, parseInt(mode, 8));
  session.log("info", `SITE CHMOD ${mode} ${path} 200`);
  await session.reply(Reply.Ok, "SITE CHMOD successful.");
}

/** SITE's own subcommands.
 *
 * @example
 * ```ts
 * import { builtinSiteCommands } from "./site.ts";
 * builtinSiteCommands.map((spec) => spec.verb); // ["HELP", "CHMOD"]
 * ```
 */
export const builtinSiteCommands: readonly CommandSpec[] = [
  {
    verb: "HELP",
    login: false,
    argument: "optional",
    syntax: "SITE HELP [<command>] (SITE commands and their syntax)",
    handle: siteHelp,
  },
  {
    verb: "CHMOD",
    login: true,
    argument: "required",
    permission: "M",
    path: (argument) => splitMode(argument).name || ".",
    syntax: "SITE CHMOD <mode> <path> (change permission bits)",
    handle: chmod,
  },
];

/** SITE itself; it dispatches to the SITE command table.
 *
 * @example
 * ```ts
 * import { siteCommands } from "./site.ts";
 * siteCommands[0].verb; // "SITE"
 * ```
 */
export const siteCommands: readonly CommandSpec[] = [
  {
    verb: "SITE",
    login: false,
    argument: "required",
    syntax: "SITE <command> [<arguments>] (site-specific commands; SITE HELP lists them)",
    handle: site,
  },
];
