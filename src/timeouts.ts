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
 * Starts a watchdog (see {@link IdleWatch}).
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
  return new OptionsWatch(options);
}

/**
 * A watchdog to extend, for what every session has: one object rather than
 * a watchdog and its options. It runs from construction until `stop()`.
 *
 * Watchdogs share one timer, armed for the earliest time one of them must
 * look at its `lastActivity()` again: a runtime timer per idle session
 * costs up to 0.5 KiB of memory, and a busy connection never pays for
 * re-arming a timer per command.
 *
 * @example
 * ```ts
 * import { IdleWatch } from "./timeouts.ts";
 * class Quiet extends IdleWatch {
 *   last = Date.now();
 *   lastActivity(): number {
 *     return this.last;
 *   }
 *   onExpire(): void {
 *     console.log("idle too long");
 *   }
 * }
 * new Quiet(60_000).stop();
 * ```
 */
export abstract class IdleWatch implements Watchdog {
  /** Every running watch, as a binary min-heap on its due time. */
  static readonly #due: IdleWatch[] = [];
  static #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the shared timer fires; `Infinity` when it is not set. */
  static #timerDueAt = Infinity;
  /** Set while due watches are checked: the timer is armed once, after. */
  static #checking = false;

  /** Inactivity that makes it expire; 0 or less disables it. */
  readonly timeoutMs: number;
  readonly #checkEveryMs: number;
  /** When it looks at `lastActivity()` next (`Date.now()` scale). */
  #dueAt = 0;
  /** Its index in the heap; -1 while not in it. */
  #position = -1;

  /** `checkEveryMs` bounds the time between two looks at `lastActivity()`,
   * for activity that can only be sampled (a byte counter). */
  constructor(timeoutMs: number, checkEveryMs: number = timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.#checkEveryMs = Math.min(checkEveryMs, timeoutMs);
    if (timeoutMs > 0) IdleWatch.#enqueue(this, Date.now() + Math.max(1, this.#checkEveryMs));
  }

  /** When the watched thing last showed activity (`Date.now()` scale). It
   * is asked only when a look is due, so activity itself costs nothing. */
  abstract lastActivity(): number;

  /** Called once, when `timeoutMs` passed without activity. */
  abstract onExpire(): void;

  stop(): void {
    IdleWatch.#dequeue(this);
  }

  #check(now: number): void {
    const idle = now - this.lastActivity();
    if (idle >= this.timeoutMs) this.onExpire();
    else IdleWatch.#enqueue(this, now + Math.max(1, Math.min(this.timeoutMs - idle, this.#checkEveryMs)));
  }

  static #enqueue(watch: IdleWatch, dueAt: number): void {
    watch.#dueAt = dueAt;
    IdleWatch.#due.push(watch);
    IdleWatch.#siftUp(watch, IdleWatch.#due.length - 1);
    IdleWatch.#arm();
  }

  static #dequeue(watch: IdleWatch): void {
    const position = watch.#position;
    if (position < 0) return;
    watch.#position = -1;
    const last = IdleWatch.#due.pop() as IdleWatch;
    if (last !== watch) {
      IdleWatch.#siftDown(last, position);
      IdleWatch.#siftUp(last, last.#position);
    }
    IdleWatch.#arm();
  }

  static #place(watch: IdleWatch, position: number): void {
    IdleWatch.#due[position] = watch;
    watch.#position = position;
  }

  static #siftUp(watch: IdleWatch, position: number): void {
    const due = IdleWatch.#due;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (due[parent].#dueAt <= watch.#dueAt) break;
      IdleWatch.#place(due[parent], position);
      position = parent;
    }
    IdleWatch.#place(watch, position);
  }

  static #siftDown(watch: IdleWatch, position: number): void {
    const due = IdleWatch.#due;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= due.length) break;
      if (child + 1 < due.length && due[child + 1].#dueAt < due[child].#dueAt) child++;
      if (due[child].#dueAt >= watch.#dueAt) break;
      IdleWatch.#place(due[child], position);
      position = child;
    }
    IdleWatch.#place(watch, position);
  }

  static #arm(): void {
    if (IdleWatch.#checking) return;
    const first = IdleWatch.#due[0];
    const next = first ? first.#dueAt : Infinity;
    if (next === IdleWatch.#timerDueAt) return;
    clearTimeout(IdleWatch.#timer);
    IdleWatch.#timer = undefined;
    IdleWatch.#timerDueAt = next;
    if (next !== Infinity) IdleWatch.#timer = setTimeout(IdleWatch.#checkDue, Math.max(1, next - Date.now()));
  }

  static #checkDue(): void {
    IdleWatch.#timer = undefined;
    IdleWatch.#timerDueAt = Infinity;
    IdleWatch.#checking = true;
    try {
      const due = IdleWatch.#due;
      const now = Date.now();
      while (due.length > 0 && due[0].#dueAt <= now) {
        const watch = due[0];
        IdleWatch.#dequeue(watch);
        watch.#check(now);
      }
    } finally {
      IdleWatch.#checking = false;
      IdleWatch.#arm();
    }
  }
}

class OptionsWatch extends IdleWatch {
  readonly #options: WatchdogOptions;

  constructor(options: WatchdogOptions) {
    super(options.timeoutMs, options.checkEveryMs);
    this.#options = options;
  }

  lastActivity(): number {
    return this.#options.lastActivity();
  }

  onExpire(): void {
    this.#options.onExpire();
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
