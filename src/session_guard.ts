/**
 * The timeouts of one session: idle control connection, login deadline and
 * stalled transfers.
 *
 * @module
 */

import { endLoginDeadline, startLoginDeadline } from "./login_policy.ts";
import { Reply } from "./reply.ts";
import type { Session, TransferProgress } from "./session.ts";
import { IdleWatch, startWatchdog, type Watchdog, withDeadline } from "./timeouts.ts";

/** How long a goodbye reply may take before the connection is closed
 * anyway (a client that reads nothing must not keep it open). */
const FAREWELL_MS = 5000;

/**
 * Sends `421 text` and closes the session, even if the client does not read
 * the reply.
 *
 * @example
 * ```ts
 * import { expel } from "./session_guard.ts";
 * declare const session: import("./session.ts").Session;
 * await expel(session, "Control connection timed out.");
 * ```
 */
export async function expel(session: Session, text: string): Promise<void> {
  session.log("info", `Closing the connection: ${text}`);
  try {
    await withDeadline(session.reply(Reply.ServiceUnavailable, text), { ms: FAREWELL_MS, what: "421 reply" });
  } catch {
    // closed below either way
  }
  session.close();
}

/**
 * Starts the session's control-connection timers: `idleTimeoutMs` without
 * a command (suspended while a transfer runs) and `loginTimeoutMs` from
 * connecting to the first login. Either one expels the client with 421.
 *
 * @example
 * ```ts
 * import { guardSession } from "./session_guard.ts";
 * declare const session: import("./session.ts").Session;
 * const guard = guardSession(session);
 * guard.stop();
 * ```
 */
export function guardSession(session: Session): Watchdog {
  return new SessionGuard(session);
}

/** A class, and its own idle watch: every session has one, and an idle
 * server's memory is mostly its sessions'. */
class SessionGuard extends IdleWatch {
  readonly #session: Session;

  constructor(session: Session) {
    super(session.context.security.idleTimeoutMs);
    this.#session = session;
    startLoginDeadline(session, () => void expel(session, "Login timed out."));
  }

  lastActivity(): number {
    return this.#session.transferProgress ? Date.now() : this.#session.lastActivityAt;
  }

  onExpire(): void {
    void expel(this.#session, "Control connection timed out.");
  }

  override stop(): void {
    super.stop();
    endLoginDeadline(this.#session);
  }
}

/**
 * Watches a running transfer: when `progress.bytes` has not moved for
 * `timeoutMs`, marks it aborted with a reason and calls `abort` (which
 * closes the data connection, so the transfer ends with 426).
 *
 * @example
 * ```ts
 * import { watchStall } from "./session_guard.ts";
 * const progress = { label: "RETR /a", startedMs: Date.now(), bytes: 0, aborted: false };
 * const watch = watchStall(progress, 300_000, () => {});
 * watch.stop();
 * ```
 */
export function watchStall(progress: TransferProgress, timeoutMs: number, abort: () => void): Watchdog {
  let seenBytes = progress.bytes;
  let movedAt = Date.now();
  return startWatchdog({
    timeoutMs,
    // The byte count can only be sampled, so it is looked at four times per
    // period: a stall is caught between 1 and 1.25 periods after it began.
    checkEveryMs: timeoutMs / 4,
    lastActivity: () => {
      if (progress.bytes !== seenBytes) {
        seenBytes = progress.bytes;
        movedAt = Date.now();
      }
      return movedAt;
    },
    onExpire: () => {
      progress.aborted = true;
      progress.reason = "Data connection timed out; transfer aborted.";
      abort();
    },
  });
}
