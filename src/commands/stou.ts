/**
 * STOU (RFC 959 §4.1.3, reply per RFC 1123 §4.1.2.9): store under a name
 * that is unique in the target folder, and say which.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { FtpError } from "../errors.ts";
import { openWithinQuota } from "../quota.ts";
import { Reply } from "../reply.ts";
import type { Session } from "../session.ts";
import { receiveFileJob } from "../transfer_jobs.ts";

const ATTEMPTS = 10;

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function isFree(session: Session, path: string): Promise<boolean> {
  try {
    await session.fs.stat(path);
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return true;
    throw error;
  }
}

/** The first free candidate: the name asked for, else that name (or `stou`)
 * with a random suffix. The random part, not a counter, keeps two STOUs
 * racing for one name from picking the same one. */
async function uniquePath(session: Session, argument: string): Promise<string> {
  const asked = argument.trim() === "" ? null : session.resolve(argument);
  if (asked !== null && await isFree(session, asked)) return asked;
  const base = asked ?? session.resolve("stou");
  for (let i = 0; i < ATTEMPTS; i++) {
    const candidate = `${base}.${randomSuffix()}`;
    if (await isFree(session, candidate)) return candidate;
  }
  throw new FtpError(Reply.FileUnavailableBusy, "No unique file name found; try again.");
}

async function stou(session: Session, argument: string): Promise<void> {
  if (session.restartOffset > 0) {
    session.restartOffset = 0;
    throw new FtpError(Reply.FileUnavailableBusy, "STOU can't follow REST.");
  }
  await session.startTransfer(async () => {
    const path = await uniquePath(session, argument);
    const { fs, user } = session;
    // A new file: the quota counts it whole and frees nothing.
    const sink = await openWithinQuota(
      session.context.security.quota,
      user!.account.username,
      fs,
      path,
      false,
      () => fs.write(path, { kind: "truncate" }),
      user!.account.limits,
    );
    const job = receiveFileJob(sink, { label: `STOU ${path}`, path, ascii: session.transferType === "ascii" });
    return { ...job, startText: `FILE: ${path.slice(path.lastIndexOf("/") + 1)}` };
  });
}

/** STOU.
 *
 * @example
 * ```ts
 * import { stouCommands } from "./stou.ts";
 * stouCommands[0].permission; // "w"
 * ```
 */
export const stouCommands: readonly CommandSpec[] = [
  {
    verb: "STOU",
    login: true,
    argument: "optional",
    permission: "w",
    syntax: "STOU [<name>] (upload under a unique name)",
    handle: stou,
  },
];
