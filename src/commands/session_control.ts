/**
 * Commands about the session itself: REIN (RFC 959), HOST (RFC 7151), CLNT,
 * and the two RFC 959 commands with nothing to do here, ACCT and SMNT.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";
import { hostKey } from "../virtual_host.ts";
import { logout } from "./login.ts";

async function rein(session: Session): Promise<void> {
  // RFC 959: a running transfer completes first (its 226 comes before 220).
  await session.waitForTransfer();
  await logout(session);
  session.reinitialize();
  await session.reply(Reply.ServiceReady, "Ready for a new user.");
}

async function host(session: Session, argument: string): Promise<void> {
  // RFC 7151 §3: HOST comes before USER; afterwards the site is chosen.
  if (session.user || session.pendingUsername !== null) {
    throw new FtpError(Reply.BadSequence, "HOST must come before USER.");
  }
  const name = hostKey(argument);
  const { virtualHosts } = session.context;
  if (virtualHosts.size === 0) {
    return await session.reply(Reply.ServiceReady, "Host accepted; this server has one site.");
  }
  const selected = virtualHosts.get(name);
  if (!selected) {
    session.log("info", `HOST ${JSON.stringify(name)} is not a configured host.`);
    throw new FtpError(Reply.NotImplementedForParameter, "Unknown host.");
  }
  session.virtualHost = selected;
  session.log("info", `HOST ${JSON.stringify(name)} selected.`);
  await session.reply(Reply.ServiceReady, selected.banner ?? `Host ${name} ready.`);
}

async function clnt(session: Session, argument: string): Promise<void> {
  session.clientName = argument.trim();
  session.log("info", `CLNT ${JSON.stringify(session.clientName)}`);
  await session.reply(Reply.Ok, "Noted.");
}

/** REIN, HOST, CLNT, ACCT and SMNT.
 *
 * @example
 * ```ts
 * import { sessionCommands } from "./session_control.ts";
 * sessionCommands.find((spec) => spec.verb === "HOST")?.login; // false
 * ```
 */
export const sessionCommands: readonly CommandSpec[] = [
  { verb: "REIN", login: false, argument: "none", syntax: "REIN (log out, keep the connection)", handle: rein },
  {
    verb: "HOST",
    login: false,
    argument: "required",
    syntax: "HOST <name> (select a virtual host before USER)",
    features: ["HOST"],
    handle: host,
  },
  {
    verb: "CLNT",
    login: false,
    argument: "required",
    syntax: "CLNT <name> (say which client this is)",
    features: ["CLNT"],
    handle: clnt,
  },
  {
    verb: "ACCT",
    login: false,
    argument: "required",
    syntax: "ACCT <account> (accounts are not needed here)",
    handle: (session) => session.reply(Reply.NotNeeded, "No account needed; ACCT ignored."),
  },
  {
    verb: "SMNT",
    login: true,
    argument: "required",
    hidden: true,
    syntax: "SMNT <path> (not implemented: one file system per user)",
    handle: () => Promise.reject(new FtpError(Reply.NotImplemented, "SMNT not implemented; each user has one file system.")),
  },
];
