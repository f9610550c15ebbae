/**
 * Transfer parameters: TYPE, MODE, STRU, ALLO, REST (RFC 959 §4.1.2,
 * RFC 3659 §5).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

async function type(session: Session, argument: string): Promise<void> {
  const words = argument.toUpperCase().split(/\s+/).filter(Boolean);
  const [code, format] = words;
  if (code === "A" && (format === undefined || format === "N") && words.length <= 2) {
    session.transferType = "ascii";
    return await session.reply(Reply.Ok, "Type set to A.");
  }
  const eightBitLocal = (code === "L" && format === "8" && words.length === 2) || code === "L8";
  if ((code === "I" && words.length === 1) || eightBitLocal) {
    session.transferType = "binary";
    return await session.reply(Reply.Ok, "Type set to I.");
  }
  throw new FtpError(Reply.NotImplementedForParameter, "Type not supported; use A or I.");
}

function singleLetter(options: {
  readonly supported: string;
  readonly known: string;
  readonly what: string;
}): (session: Session, argument: string) => Promise<void> {
  return async (session, argument) => {
    const letter = argument.trim().toUpperCase();
    if (letter === options.supported) return await session.reply(Reply.Ok, `${options.what} set to ${letter}.`);
    if (letter.length === 1 && options.known.includes(letter)) {
      throw new FtpError(Reply.NotImplementedForParameter, `${options.what} ${letter} not implemented.`);
    }
    throw new FtpError(Reply.ArgumentSyntaxError, `Unknown ${options.what.toLowerCase()}.`);
  };
}

async function restart(session: Session, argument: string): Promise<void> {
  const text = argument.trim();
  if (!/^\d{1,15}$/.test(text)) throw new FtpError(Reply.ArgumentSyntaxError, "REST needs a byte offset.");
  // In ASCII mode a byte offset of the network form has no cheap mapping to
  // the stored file; refusing is what RFC 3659 §5.5 allows.
  if (session.transferType === "ascii") {
    throw new FtpError(Reply.ArgumentSyntaxError, "REST not allowed in ASCII mode; use TYPE I.");
  }
  session.restartOffset = Number(text);
  await session.reply(Reply.PendingFurtherInfo, `Restarting at ${text}. Send STOR or RETR.`);
}

/** TYPE, MODE, STRU, ALLO and REST.
 *
 * @example
 * ```ts
 * import { parameterCommands } from "./parameters.ts";
 * parameterCommands.some((spec) => spec.verb === "REST"); // true
 * ```
 */
export const parameterCommands: readonly CommandSpec[] = [
  { verb: "TYPE", login: true, argument: "required", syntax: "TYPE <A|I|L 8> (set transfer type)", handle: type },
  {
    verb: "MODE",
    login: true,
    argument: "required",
    syntax: "MODE S (stream mode only)",
    handle: singleLetter({ supported: "S", known: "BC", what: "Mode" }),
  },
  {
    verb: "STRU",
    login: true,
    argument: "required",
    syntax: "STRU F (file structure only)",
    handle: singleLetter({ supported: "F", known: "RP", what: "Structure" }),
  },
  {
    verb: "ALLO",
    login: true,
    argument: "required",
    syntax: "ALLO <bytes> (no allocation needed)",
    handle: (session) => session.reply(Reply.NotNeeded, "No storage allocation necessary."),
  },
  {
    verb: "REST",
    login: true,
    argument: "required",
    syntax: "REST <offset> (restart the next transfer at offset)",
    features: ["REST STREAM"],
    handle: restart,
  },
];
