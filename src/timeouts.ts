/**
 * Timers that bound how long a peer may keep the server waiting: a
 * watchdog for inactivity (idle control connections, stalled transfers) and
 * a deadline wrapper for one-shot steps (connecting, handshakes).
 *
 * @module
 */

/** A running watchdog.
 *
 * @example
 * ```ts
 * import { startWatchdog } from "./timeouts.ts";
 * const watchdog = startWatchdog({ timeoutMs: 1000, lastActivity: () => Date.now(), onExpire() {} });
 * watchdog.stop();
 * ```
 */
export interface Watchdog {
  /** Cancels it; `onExpire` will not be called. Idempotent. */
  stop(): void;
}

/** What a watchdog watches.
 *
 * @example
 * ```ts
 * import type { WatchdogOptions } from "./timeouts.ts";
 * let last = Date.now();
 * const options: WatchdogOptions = { timeoutMs: 300_000, lastActivity: () => last, onExpire() {} };
 * ```
 */
export interface WatchdogOptions {
  /** Inactivity that makes it expire; 0 or less disables it. */
  readonly timeoutMs: number;
  /** When the watched thing last showed activity (`Date.now()` scale). It
   * is asked only when the timer fires, so activity itself costs nothing. */
  readonly lastActivity: () => number;
  /** Upper bound between two looks at `lastActivity`, for activity that can
   * only be sampled (a byte counter); default `timeoutMs`. */
  readonly checkEveryMs?: number;
  /** Called once, when `timeoutMs` passed without activity. */
  readonly onExpire: () => void;
}

/**
 * Starts a watchdog: one timer, re-armed for the time that remains, so a busy
 * connection never pays for clearing and setting a timer per command.
 *
 * @example
 * ```ts
 * import { startWatchdog } from "./timeouts.ts";
 * let last = Date.now();
 * const idle = startWatchdog({
 *   timeoutMs: 300_000,
 *   lastActivity: () => last,
 *   onExpire: () => console.log("421 idle too long"),
 * });
 * last = Date.now(); // a command arrived
 * idle.stop();
 * ```
 */
export function startWatchdog(options: WatchdogOptions): Watchdog {
  if (!(options.timeoutMs > 0)) return { stop() {} };
  return new InactivityWatch(options);
}

/** A class rather than closures: every session has one, and an idle
 * server's memory is mostly its sessions'. */
class InactivityWatch implements Watchdog {
  readonly #options: WatchdogOptions;
  readonly #checkEvery: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: WatchdogOptions) {
    this.#options = options;
    this.#checkEvery = Math.min(options.checkEveryMs ?? options.timeoutMs, options.timeoutMs);
    this.#arm(options.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, Math.min(ms, this.#checkEvery)));
  }

  #check(): void {
    const { timeoutMs } = this.#options;
    const idle = Date.now() - this.#options.lastActivity();
    if (idle >= timeoutMs) {
      this.#timer = undefined;
      this.#options.onExpire();
    } else {
      this.#arm(timeoutMs - idle);
    }
  }
}

/** The error a {@link withDeadline} step fails with when time is up.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "./timeouts.ts";
 * const error = new TimeoutError("data connection", 30_000);
 * error.code; // "ETIMEDOUT"
 * ```
 */
export class TimeoutError extends Error {
  /** Always `ETIMEDOUT`, like a system connect timeout. */
  readonly code = "ETIMEDOUT";
  constructor(what: string, ms: number) {
    super(`${what}: no result within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * Bounds a step that works on `conn` (a TLS handshake): when `ms` pass
 * first, `conn` is closed, which makes the step fail, and the step's late
 * result (if any) is closed too.
 *
 * @example
 * ```ts
 * import { closeIfSlow } from "./timeouts.ts";
 * declare const runtime: import("./port.ts").Runtime;
 * declare const conn: import("./port.ts").Connection;
 * declare const context: Parameters<import("./port.ts").Runtime["upgradeTls"]>[1];
 * const secure = await closeIfSlow(runtime.upgradeTls(conn, context), conn, 30_000, "TLS handshake");
 * ```
 */
export function closeIfSlow<T extends { close(): void }>(
  step: Promise<T>,
  conn: { close(): void },
  ms: number,
  what: string,
): Promise<T> {
  return withDeadline(step, { ms, what, onTimeout: () => conn.close(), discard: (late) => late.close() });
}

/**
 * Bounds a one-shot step (an active-mode connect, a TLS handshake): resolves
 * as `step` does, or rejects with a {@link TimeoutError} after `ms`, calling
 * `onTimeout` so the caller can release what the step holds (close the
 * socket). A result that arrives after the deadline is handed to `discard`.
 * `ms` of 0 or less means no deadline.
 *
 * @example
 * ```ts
 * import { withDeadline } from "./timeouts.ts";
 * declare const runtime: import("./port.ts").Runtime;
 * const conn = await withDeadline(runtime.connect({ host: "127.0.0.1", port: 2020 }), {
 *   ms: 30_000,
 *   what: "active data connection",
 *   discard: (late) => late.close(),
 * });
 * ```
 */
export function withDeadline<T>(
  step: Promise<T>,
  options: {
    readonly ms: number;
    readonly what: string;
    readonly onTimeout?: () => void;
    readonly discard?: (late: T) => void;
  },
): Promise<T> {
  if (!(options.ms > 0)) return step;
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      options.onTimeout?.();
      reject(new TimeoutError(options.what, options.ms));
    }, options.ms);
    step.then(
      (value) => {
        if (expired) return options.discard?.(value);
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        if (expired) return;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
