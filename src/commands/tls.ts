/**
 * AUTH, PBSZ, PROT and CCC: explicit FTPS (RFC 4217, RFC 2228). Only in the
 * command table (and so in FEAT and HELP) when the server has TLS
 * configured.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { encodeReply, Reply } from "../reply.ts";
import type { Session } from "../session.ts";
import { closeIfSlow } from "../timeouts.ts";

/** AUTH mechanisms taken as TLS; the old SSL and TLS-P names also mean
 * that data connections are protected from the start. */
const MECHANISMS: Readonly<Record<string, { readonly protectData: boolean }>> = {
  TLS: { protectData: false },
  "TLS-C": { protectData: false },
  SSL: { protectData: true },
  "TLS-P": { protectData: true },
};

async function auth(session: Session, argument: string): Promise<void> {
  const mechanism = argument.trim().toUpperCase();
  const known = MECHANISMS[mechanism];
  if (!known) throw new FtpError(Reply.NotImplementedForParameter, "AUTH mechanism not supported; use AUTH TLS.");
  if (session.tls.control) throw new FtpError(Reply.BadSequence, "The control connection is already encrypted.");
  const settings = session.context.tls;
  if (!settings) throw new FtpError(Reply.NotImplementedForParameter, "TLS is not configured.");
  if (session.transferProgress) throw new FtpError(Reply.BadSequence, "Wait for the transfer to finish.");
  const context = settings.context;
  session.log("debug", `-> ${Reply.AuthAccepted} AUTH ${mechanism} successful.`);
  try {
    // The reply goes out in the clear right before the handshake, from the
    // adapter, which stops reading first so the ClientHello stays for TLS.
    const handshake = session.context.runtime.upgradeTls(session.connection, context, {
      preface: encodeReply(Reply.AuthAccepted, `AUTH ${mechanism} successful.`),
    });
    const { tlsHandshakeTimeoutMs } = session.context.security;
    const secure = await closeIfSlow(handshake, session.connection, tlsHandshakeTimeoutMs, "TLS handshake");
    session.replaceConnection(secure);
    session.log("info", `Control connection secured (${secure.protocol}).`);
  } catch (error) {
    session.log("warn", `TLS handshake on the control connection failed: ${(error as Error).message}`);
    session.close();
    return;
  }
  // RFC 4217 §4: a new security context resets PBSZ and PROT.
  session.tls = { control: context, pbsz: false, protectData: known.protectData };
}

async function pbsz(session: Session, argument: string): Promise<void> {
  if (!session.tls.control) throw new FtpError(Reply.BadSequence, "Use AUTH TLS first.");
  if (!/^\d+$/.test(argument.trim())) throw new FtpError(Reply.ArgumentSyntaxError, "PBSZ needs a number.");
  session.tls.pbsz = true;
  // RFC 4217 §9: TLS needs no buffer size, whatever was asked.
  await session.reply(Reply.Ok, "PBSZ=0");
}

async function prot(session: Session, argument: string): Promise<void> {
  if (!session.tls.control) throw new FtpError(Reply.BadSequence, "Use AUTH TLS first.");
  if (!session.tls.pbsz) throw new FtpError(Reply.BadSequence, "Use PBSZ 0 first.");
  const level = argument.trim().toUpperCase();
  if (level === "C" || level === "P") {
    session.tls.protectData = level === "P";
    return await session.reply(Reply.Ok, `Protection level set to ${level}.`);
  }
  if (level === "S" || level === "E") {
    throw new FtpError(Reply.ProtectionLevelNotSupported, `Protection level ${level} not supported; use C or P.`);
  }
  throw new FtpError(Reply.NotImplementedForParameter, "Unknown protection level; use C or P.");
}

async function ccc(session: Session): Promise<void> {
  if (!session.tls.control) throw new FtpError(Reply.BadSequence, "The control connection is not encrypted.");
  // The adapters' TLS sockets can't hand the plain socket back once TLS has
  // run on it; RFC 4217 §12.3 lets a server refuse.
  await session.reply(Reply.PolicyDenied, "CCC refused; the control connection stays encrypted.");
}

/** AUTH, PBSZ, PROT and CCC.
 *
 * @example
 * ```ts
 * import { tlsCommands } from "./tls.ts";
 * tlsCommands.map((spec) => spec.verb); // ["AUTH", "PBSZ", "PROT", "CCC"]
 * ```
 */
export const tlsCommands: readonly CommandSpec[] = [
  {
    verb: "AUTH",
    login: false,
    argument: "required",
    syntax: "AUTH TLS (encrypt the control connection)",
    features: ["AUTH TLS"],
    handle: auth,
  },
  {
    verb: "PBSZ",
    login: false,
    argument: "required",
    syntax: "PBSZ 0 (protection buffer size)",
    features: ["PBSZ"],
    handle: pbsz,
  },
  {
    verb: "PROT",
    login: false,
    argument: "required",
    syntax: "PROT C|P (data connection protection)",
    features: ["PROT"],
    handle: prot,
  },
  { verb: "CCC", login: true, argument: "none", syntax: "CCC (clear the control connection)", handle: ccc },
];
