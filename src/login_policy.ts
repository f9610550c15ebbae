/**
 * What happens around a login attempt: bans are checked before the
 * password, a failure is answered late and counted, and a successful login
 * must fit the per-user session limit.
 *
 * @module
 */

import { FtpError } from "./errors.ts";
import { Reply } from "./reply.ts";
import type { Session } from "./session.ts";

const failedAttempts = new WeakMap<Session, number>();
const loggedInOnce = new WeakSet<Session>();
const loginDeadlines = new WeakMap<Session, ReturnType<typeof setTimeout>>();

/**
 * Whether `session` has logged in at least once (the login deadline no
 * longer applies then, even after a logout).
 *
 * @example
 * ```ts
 * import { hasLoggedIn } from "./login_policy.ts";
 * declare const session: import("./session.ts").Session;
 * hasLoggedIn(session); // false before the first 230
 * ```
 */
export function hasLoggedIn(session: Session): boolean {
  return loggedInOnce.has(session);
}

/**
 * Closes `session` through `onExpire` unless it has logged in within
 * `loginTimeoutMs` of now. One timer, cleared by the first login (or by
 * {@link endLoginDeadline}), so a logged-in session holds nothing for it.
 *
 * @example
 * ```ts
 * import { endLoginDeadline, startLoginDeadline } from "./login_policy.ts";
 * declare const session: import("./session.ts").Session;
 * startLoginDeadline(session, () => session.close());
 * endLoginDeadline(session);
 * ```
 */
export function startLoginDeadline(session: Session, onExpire: () => void): void {
  const ms = session.context.security.loginTimeoutMs;
  if (!(ms > 0) || hasLoggedIn(session)) return;
  endLoginDeadline(session);
  loginDeadlines.set(
    session,
    setTimeout(() => {
      loginDeadlines.delete(session);
      onExpire();
    }, ms),
  );
}

/**
 * Cancels the login deadline of `session`, if one runs. Idempotent.
 *
 * @example
 * ```ts
 * import { endLoginDeadline } from "./login_policy.ts";
 * declare const session: import("./session.ts").Session;
 * endLoginDeadline(session);
 * ```
 */
export function endLoginDeadline(session: Session): void {
  const timer = loginDeadlines.get(session);
  if (timer === undefined) return;
  clearTimeout(timer);
  loginDeadlines.delete(session);
}

/**
 * Answers a failed login: waits `failedLoginDelayMs` (the connection is not
 * read meanwhile, so guessing gets slow), counts the failure for bans, and
 * after `maxLoginAttempts` failures on this connection replies 530 and
 * disconnects. Otherwise throws the 530 for the session to send.
 *
 * @example
 * ```ts
 * import { refuseLogin } from "./login_policy.ts";
 * declare const session: import("./session.ts").Session;
 * await refuseLogin(session, "alice", "Login incorrect.");
 * ```
 */
export async function refuseLogin(session: Session, username: string, text: string): Promise<void> {
  const { security } = session.context;
  session.pendingUsername = null;
  if (security.failedLoginDelayMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, security.failedLoginDelayMs));
  }
  if (await security.bans?.recordFailure(session.remoteAddress.address, username)) {
    session.log("warn", `USER '${username}' banned (${security.bans?.by}) after repeated failed logins.`);
  }
  const attempts = (failedAttempts.get(session) ?? 0) + 1;
  failedAttempts.set(session, attempts);
  if (security.maxLoginAttempts > 0 && attempts >= security.maxLoginAttempts) {
    session.log("info", `Disconnecting after ${attempts} failed logins.`);
    await session.reply(Reply.NotLoggedIn, `${text} Too many failed logins; disconnecting.`);
    session.quit();
    return;
  }
  throw new FtpError(Reply.NotLoggedIn, text);
}

/**
 * Whether a login as `username` from this session's address is banned
 * (checked before the password, which is then not even looked at).
 *
 * @example
 * ```ts
 * import { isLoginBanned } from "./login_policy.ts";
 * declare const session: import("./session.ts").Session;
 * if (await isLoginBanned(session, "alice")) console.log("refused");
 * ```
 */
export async function isLoginBanned(session: Session, username: string): Promise<boolean> {
  const bans = session.context.security.bans;
  return bans !== null && await bans.isLoginBanned(session.remoteAddress.address, username);
}

/**
 * Admits a login that passed the authorizer: counts it against
 * `maxSessionsPerUser` (530 when the user has too many sessions) and clears
 * the failures counted for bans under `loginName` (the name sent with USER,
 * if the authorizer renamed the account).
 *
 * @example
 * ```ts
 * import { admitLogin } from "./login_policy.ts";
 * declare const session: import("./session.ts").Session;
 * await admitLogin(session, "alice");
 * ```
 */
export async function admitLogin(
  session: Session,
  username: string,
  loginName = username,
  maxSessions?: number,
): Promise<void> {
  const { security } = session.context;
  if (!security.claimUser(session, username, maxSessions)) {
    session.log("info", `USER '${username}' refused: too many sessions.`);
    session.pendingUsername = null;
    throw new FtpError(Reply.NotLoggedIn, "Too many sessions for this user; try again later.");
  }
  failedAttempts.delete(session);
  loggedInOnce.add(session);
  endLoginDeadline(session);
  await security.bans?.recordSuccess(session.remoteAddress.address, loginName);
}
