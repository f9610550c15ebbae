/**
 * SYST, NOOP, FEAT (RFC 2389), OPTS (RFC 2389, RFC 2640, RFC 3659), HELP and
 * STAT (RFC 959 §4.1.3).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { GLOB_CHARS, globToRegExp } from "../glob.ts";
import { formatListLine, MLSX_FACTS, type MlsxFact } from "../listing.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";
import { optsHash } from "./hash.ts";
import { listLines, sortByName, stripLsFlags } from "./listing.ts";

function uniqueSpecs(session: Session): CommandSpec[] {
  return [...new Set(session.context.commands.values())];
}

async function feat(session: Session): Promise<void> {
  const features = uniqueSpecs(session)
    .flatMap((spec) => (typeof spec.features === "function" ? spec.features(session) : spec.features ?? []))
    .sort();
  await session.reply(Reply.SystemStatus, ["Features:", ...features, "End."]);
}

async function opts(session: Session, argument: string): Promise<void> {
  const space = argument.indexOf(" ");
  const option = (space === -1 ? argument : argument.slice(0, space)).toUpperCase();
  const value = space === -1 ? "" : argument.slice(space + 1).trim();
  if (option === "UTF8" || option === "UTF-8") {
    if (value !== "" && value.toUpperCase() !== "ON") {
      throw new FtpError(Reply.NotImplementedForParameter, "UTF8 is always on.");
    }
    return await session.reply(Reply.Ok, "Always in UTF8 mode.");
  }
  if (option === "MLST") {
    // RFC 3659 §7.9: unknown facts are ignored, the reply lists the chosen.
    const asked = new Set(value.toLowerCase().split(";").filter(Boolean));
    const chosen: MlsxFact[] = MLSX_FACTS.filter((fact) => asked.has(fact));
    session.mlstFacts = chosen;
    return await session.reply(Reply.Ok, `MLST OPTS ${chosen.map((fact) => `${fact};`).join("")}`);
  }
  if (option === "HASH") return await optsHash(session, value);
  throw new FtpError(Reply.ArgumentSyntaxError, "Option not understood.");
}

async function help(session: Session, argument: string): Promise<void> {
  const topic = argument.trim().toUpperCase();
  if (topic !== "") {
    const spec = session.context.commands.get(topic);
    if (!spec) throw new FtpError(Reply.ArgumentSyntaxError, "Unknown command.");
    return await session.reply(Reply.Help, `Syntax: ${spec.syntax}`);
  }
  const verbs = [...session.context.commands].filter(([, spec]) => !spec.hidden).map(([verb]) => verb).sort();
  const rows: string[] = [];
  for (let i = 0; i < verbs.length; i += 8) {
    rows.push(verbs.slice(i, i + 8).map((verb) => verb.padEnd(6)).join(" "));
  }
  await session.reply(Reply.Help, ["The following commands are recognized:", ...rows, "Help OK."]);
}

function statusLines(session: Session): string[] {
  const { localAddress: local, remoteAddress: remote } = session;
  const who = session.user
    ? `Logged in as ${session.user.account.username}`
    : session.pendingUsername !== null
    ? "Waiting for password"
    : "Waiting for user name";
  const progress = session.transferProgress;
  const data = progress
    ? `Transfer in progress: ${progress.bytes} bytes in ${
      ((Date.now() - progress.startedMs) / 1000).toFixed(1)
    } s (${progress.label})`
    : session.hasDataChannel
    ? "Data connection prepared"
    : "No data connection";
  return [
    `Connected to ${local.address}:${local.port} from ${remote.address}:${remote.port}`,
    who,
    `TYPE: ${session.transferType === "ascii" ? "ASCII" : "BINARY"}; STRUcture: File; MODE: Stream`,
    data,
  ];
}

async function stat(session: Session, argument: string): Promise<void> {
  if (argument.trim() === "") {
    return await session.reply(Reply.SystemStatus, ["FTP server status:", ...statusLines(session), "End of status."]);
  }
  if (!session.user) throw new FtpError(Reply.NotLoggedIn, "Log in with USER and PASS first.");
  if (!session.can("l", session.resolve(stripLsFlags(argument)))) throw new FtpError(Reply.FileUnavailable, "Permission denied.");
  const lines = await statLines(session, argument);
  const shown = lines.length > STAT_MAX_ENTRIES
    ? [...lines.slice(0, STAT_MAX_ENTRIES), `... ${lines.length - STAT_MAX_ENTRIES} more entries; use LIST.`]
    : lines;
  await session.reply(Reply.FileStatus, ["Status follows:", ...shown, "End of status."]);
}

/** STAT answers on the control connection, which blocks every other
 * command of the session while it is written: the reply stays bounded. */
const STAT_MAX_ENTRIES = 1000;

async function exists(session: Session, path: string): Promise<boolean> {
  return await session.fs.stat(path).then(() => true, () => false);
}

/** LIST lines for STAT: a path as LIST shows it, or, when the last
 * component is a wildcard pattern naming nothing literally, the entries of
 * that one folder that match it. */
async function statLines(session: Session, argument: string): Promise<string[]> {
  const path = session.resolve(stripLsFlags(argument));
  const slash = path.lastIndexOf("/");
  const pattern = path.slice(slash + 1);
  if (!GLOB_CHARS.test(pattern) || await exists(session, path)) return (await listLines(session, argument)).lines;
  const matcher = globToRegExp(pattern);
  const entries = (await session.fs.list(path.slice(0, slash) || "/")).filter((entry) => matcher.test(entry.name));
  const now = Date.now();
  return sortByName(entries).map((entry) => formatListLine(entry.name, entry.stat, now));
}

/** SYST, NOOP, FEAT, OPTS, HELP and STAT.
 *
 * @example
 * ```ts
 * import { infoCommands } from "./info.ts";
 * infoCommands.map((spec) => spec.verb); // ["SYST", "NOOP", "FEAT", "OPTS", "HELP", "STAT"]
 * ```
 */
export const infoCommands: readonly CommandSpec[] = [
  {
    verb: "SYST",
    login: false,
    argument: "none",
    syntax: "SYST (system type)",
    handle: (session) => session.reply(Reply.SystemType, "UNIX Type: L8"),
  },
  {
    verb: "NOOP",
    login: false,
    argument: "none",
    syntax: "NOOP (do nothing)",
    handle: (session) => session.reply(Reply.Ok, "NOOP ok."),
  },
  { verb: "FEAT", login: false, argument: "none", syntax: "FEAT (list extensions)", handle: feat },
  {
    verb: "OPTS",
    login: false,
    argument: "required",
    syntax: "OPTS <UTF8 ON|MLST facts|HASH [algorithm]> (set options)",
    features: ["UTF8"],
    handle: opts,
  },
  { verb: "HELP", login: false, argument: "optional", syntax: "HELP [<command>] (this help)", handle: help },
  { verb: "STAT", login: false, argument: "optional", syntax: "STAT [<path>] (status or listing)", handle: stat },
];
