/**
 * USER, PASS, QUIT: logging in and out (RFC 959 §4.1.1).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { LocalFileSystem } from "../fs/local.ts";
import { admitLogin, isLoginBanned, refuseLogin } from "../login_policy.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";

/**
 * Ends the current login, if any (USER while logged in, QUIT; REIN too):
 * aborts a running transfer, logs, fires `onLogout`, and forgets the user.
 *
 * @example
 * ```ts
 * import { logout } from "./login.ts";
 * import type { Session } from "../session.ts";
 * declare const session: Session;
 * await logout(session);
 * ```
 */
export async function logout(session: Session): Promise<void> {
  if (!session.user) return;
  await session.abortTransfer();
  const username = session.user.account.username;
  session.log("info", `USER '${username}' logged out.`);
  session.emit("onLogout", { username });
  session.context.security.releaseUser(session);
  session.user = null;
  session.cwd = "/";
}

async function user(session: Session, username: string): Promise<void> {
  if (/[\r\0]/.test(username)) {
    throw new FtpError(Reply.ArgumentSyntaxError, "User names with CR or NUL are not allowed.");
  }
  await logout(session);
  session.pendingUsername = username;
  // The same answer for every name, so that the reply never tells which
  // accounts exist (RFC 2577).
  await session.reply(Reply.NeedPassword, "User name okay, need password.");
}

async function pass(session: Session, password: string): Promise<void> {
  if (session.user) throw new FtpError(Reply.BadSequence, "Already logged in.");
  const username = session.pendingUsername;
  if (username === null) throw new FtpError(Reply.BadSequence, "Send USER first.");
  if (await isLoginBanned(session, username)) {
    session.log("info", `USER '${username}' refused: banned.`);
    return await refuseLogin(session, username, "Too many failed logins; try again later.");
  }
  // HOST (RFC 7151) picked whose users and files these are.
  const site = session.virtualHost ?? session.context;
  const account = await site.authorizer.authenticate({
    username,
    password,
    remoteAddress: session.remoteAddress,
    localAddress: session.localAddress,
    sessionId: session.id,
  });
  const home = account?.home;
  const fs = account?.fs ??
    (home !== undefined ? new LocalFileSystem(home, { runtime: session.context.runtime }) : site.defaultFs);
  if (!account || !fs) {
    if (account) session.log("error", `USER '${username}' has no file system and no default is set.`);
    session.log("info", `USER '${username}' failed login.`);
    session.emit("onLoginFailed", { username });
    return await refuseLogin(session, username, "Login incorrect.");
  }
  if (account.tlsRequired && !session.tls.control) {
    session.log("info", `USER '${username}' refused: the account requires TLS.`);
    session.pendingUsername = null;
    throw new FtpError(Reply.NotLoggedIn, "This account must use TLS; use AUTH TLS first.");
  }
  await admitLogin(session, account.username, username, account.limits?.maxSessions);
  session.user = { account, fs };
  session.pendingUsername = null;
  session.cwd = "/";
  session.log("info", `USER '${account.username}' logged in.`);
  session.emit("onLogin", { username: account.username });
  await session.reply(Reply.LoggedIn, account.loginMessage ?? "Login successful.");
}

async function quit(session: Session): Promise<void> {
  // A running transfer is allowed to finish (its 226 comes first).
  await session.waitForTransfer();
  const message = session.user?.account.quitMessage ?? "Goodbye.";
  await logout(session);
  await session.reply(Reply.Goodbye, message);
  session.quit();
}

/** USER, PASS and QUIT.
 *
 * @example
 * ```ts
 * import { loginCommands } from "./login.ts";
 * loginCommands.map((spec) => spec.verb); // ["USER", "PASS", "QUIT"]
 * ```
 */
export const loginCommands: readonly CommandSpec[] = [
  { verb: "USER", login: false, argument: "required", syntax: "USER <name> (set user name)", handle: user },
  { verb: "PASS", login: false, argument: "optional", syntax: "PASS [<password>] (log in)", handle: pass },
  { verb: "QUIT", login: false, argument: "none", syntax: "QUIT (end the session)", handle: quit },
];
