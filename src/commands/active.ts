/**
 * PORT (RFC 959) and EPRT (RFC 2428): the client listens, the server
 * connects. The target is checked before anything is prepared: another
 * host than the client's own (FXP, the FTP bounce attack of RFC 2577,
 * CVE-2020-15152) and privileged ports are refused unless the server
 * permits them.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { openActiveChannel } from "../data_channel.ts";
import { FtpError } from "../errors.ts";
import { parseIp, sameIp } from "../ip.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

interface Target {
  readonly host: string;
  readonly port: number;
  readonly family: "IPv4" | "IPv6";
}

function parsePort(argument: string): Target {
  const numbers = argument.trim().split(",");
  if (numbers.length !== 6 || !numbers.every((n) => /^\d{1,3}$/.test(n) && Number(n) <= 255)) {
    throw new FtpError(Reply.ArgumentSyntaxError, "PORT needs h1,h2,h3,h4,p1,p2.");
  }
  const [h1, h2, h3, h4, p1, p2] = numbers.map(Number);
  return { host: `${h1}.${h2}.${h3}.${h4}`, port: p1 * 256 + p2, family: "IPv4" };
}

function parseEprt(argument: string): Target {
  const text = argument.trim();
  const delimiter = text[0];
  const fields = text.split(delimiter);
  // <d>proto<d>address<d>port<d>, with any printable delimiter (RFC 2428 §2).
  if (!/^[\x21-\x7e]$/.test(delimiter ?? "") || fields.length !== 5 || fields[0] !== "" || fields[4] !== "") {
    throw new FtpError(Reply.ArgumentSyntaxError, "EPRT needs <d>proto<d>address<d>port<d>.");
  }
  const [, protocol, host, portText] = fields;
  if (protocol !== "1" && protocol !== "2") {
    throw new FtpError(Reply.NetworkProtocolNotSupported, "Network protocol not supported, use (1,2)");
  }
  const bytes = parseIp(host);
  const family = protocol === "1" ? "IPv4" : "IPv6";
  if (!bytes || (family === "IPv4") !== (bytes.length === 4 && !host.includes(":"))) {
    throw new FtpError(Reply.ArgumentSyntaxError, `Not an ${family} address.`);
  }
  if (!/^\d{1,5}$/.test(portText)) throw new FtpError(Reply.ArgumentSyntaxError, "EPRT needs a port number.");
  return { host, port: Number(portText), family };
}

async function activeMode(session: Session, verb: "PORT" | "EPRT", target: Target): Promise<void> {
  if (session.epsvAll) throw new FtpError(Reply.ArgumentSyntaxError, `${verb} not allowed after EPSV ALL.`);
  const { context, remoteAddress, localAddress } = session;
  const shown = `${target.host}:${target.port}`;
  if (target.port < 1 || target.port > 65535) {
    throw new FtpError(Reply.ArgumentSyntaxError, `Port ${target.port} is out of range.`);
  }
  if (!context.permitForeignAddresses && !sameIp(target.host, remoteAddress.address)) {
    session.log("warn", `Refused ${verb} to foreign address ${shown}.`);
    throw new FtpError(Reply.ArgumentSyntaxError, "Data connections go only to your own address.");
  }
  if (!context.permitPrivilegedPorts && target.port < 1024) {
    session.log("warn", `Refused ${verb} to privileged port ${shown}.`);
    throw new FtpError(Reply.ArgumentSyntaxError, `Data connections to ports below 1024 are refused.`);
  }
  session.setDataChannel(openActiveChannel({
    runtime: context.runtime,
    host: target.host,
    port: target.port,
    // Binding the local address only makes sense within one family.
    localAddress: target.family === localAddress.family ? localAddress.address : undefined,
    connectTimeoutMs: context.passiveTimeoutMs,
    upgradable: session.tls.protectData,
  }));
  await session.reply(Reply.Ok, `${verb} command successful.`);
}

/** PORT and EPRT.
 *
 * @example
 * ```ts
 * import { activeCommands } from "./active.ts";
 * activeCommands.map((spec) => spec.verb); // ["PORT", "EPRT"]
 * ```
 */
export const activeCommands: readonly CommandSpec[] = [
  {
    verb: "PORT",
    login: true,
    argument: "required",
    syntax: "PORT <h1,h2,h3,h4,p1,p2> (connect to this IPv4 address for data)",
    handle: (session, argument) => activeMode(session, "PORT", parsePort(argument)),
  },
  {
    verb: "EPRT",
    login: true,
    argument: "required",
    syntax: "EPRT |<1|2>|<address>|<port>| (connect to this address for data)",
    features: ["EPRT"],
    handle: (session, argument) => activeMode(session, "EPRT", parseEprt(argument)),
  },
];
