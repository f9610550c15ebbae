/**
 * PASV (RFC 959) and EPSV (RFC 2428): the server listens, the client
 * connects.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { openPassiveChannel } from "../data_channel.ts";
import { FtpError } from "../errors.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

async function listen(session: Session): Promise<number> {
  const { context } = session;
  try {
    const { port, channel } = await openPassiveChannel({
      runtime: context.runtime,
      host: session.localAddress.address,
      portRange: context.passivePorts,
      clientAddress: context.permitForeignAddresses ? undefined : session.remoteAddress.address,
      acceptTimeoutMs: context.passiveTimeoutMs,
      onForeignPeer: (address) => session.log("warn", `Refused data connection from foreign address ${address}.`),
      upgradable: session.tls.protectData,
    });
    session.setDataChannel(channel);
    return port;
  } catch (error) {
    session.log("warn", `Can't open a passive port: ${(error as Error).message}`);
    throw new FtpError(Reply.CantOpenData, "Can't open a passive data port.");
  }
}

async function pasv(session: Session): Promise<void> {
  if (session.epsvAll) throw new FtpError(Reply.ArgumentSyntaxError, "PASV not allowed after EPSV ALL.");
  const address = session.context.masqueradeAddressFor(session.remoteAddress.address) ??
    session.localAddress.address;
  if (session.localAddress.family !== "IPv4" || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) {
    throw new FtpError(Reply.CantOpenData, "PASV needs IPv4; use EPSV.");
  }
  const port = await listen(session);
  const numbers = `${address.replaceAll(".", ",")},${port >> 8},${port & 0xff}`;
  await session.reply(Reply.EnteringPassive, `Entering Passive Mode (${numbers}).`);
}

async function epsv(session: Session, argument: string): Promise<void> {
  const protocol = argument.trim().toUpperCase();
  if (protocol === "ALL") {
    session.epsvAll = true;
    return await session.reply(Reply.Ok, "EPSV ALL accepted; only EPSV from now on.");
  }
  const own = session.localAddress.family === "IPv4" ? "1" : "2";
  if (protocol !== "" && protocol !== own) {
    if (protocol !== "1" && protocol !== "2") {
      throw new FtpError(Reply.ArgumentSyntaxError, "Unknown network protocol; use 1 or 2.");
    }
    throw new FtpError(Reply.NetworkProtocolNotSupported, `Network protocol not supported, use (${own})`);
  }
  const port = await listen(session);
  await session.reply(Reply.EnteringExtendedPassive, `Entering Extended Passive Mode (|||${port}|)`);
}

/** PASV and EPSV.
 *
 * @example
 * ```ts
 * import { passiveCommands } from "./passive.ts";
 * passiveCommands.map((spec) => spec.verb); // ["PASV", "EPSV"]
 * ```
 */
export const passiveCommands: readonly CommandSpec[] = [
  { verb: "PASV", login: true, argument: "none", syntax: "PASV (enter passive mode)", handle: pasv },
  {
    verb: "EPSV",
    login: true,
    argument: "optional",
    syntax: "EPSV [1|2|ALL] (enter extended passive mode)",
    features: ["EPSV"],
    handle: epsv,
  },
];
