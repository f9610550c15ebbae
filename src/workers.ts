/**
 * Several processes serving one control port (`workers: N`), so a server
 * uses more than one core.
 *
 * The first worker (the primary) binds the port with `SO_REUSEPORT` and
 * starts N-1 copies of the same program through the runtime port
 * ({@link HostProcess.spawnWorker}); each copy finds its role in the
 * environment, binds the same port, and the kernel spreads new connections
 * over all of them. Every worker owns a slice of the passive port range, so
 * their data ports never collide. Sessions live in one worker each: limits
 * such as `maxConnections` count per worker.
 *
 * @module
 */

import type { Logger } from "./logger.ts";
import type { HostProcess, WorkerProcess } from "./port.ts";

/** The environment variable that tells a copy its role: `index/count/port`. */
const WORKER_VARIABLE = "TSFTPD_WORKER";

/** Which of the N processes this one is.
 *
 * @example
 * ```ts
 * import type { WorkerRole } from "./workers.ts";
 * const role: WorkerRole = { index: 0, count: 2 };
 * ```
 */
export interface WorkerRole {
  /** 0 for the primary, 1 to count-1 for the copies it started. */
  readonly index: number;
  /** How many processes serve the port. */
  readonly count: number;
}

/** How one worker of a multi-worker server listens.
 *
 * @example
 * ```ts
 * import { planWorkers } from "./workers.ts";
 * declare const host: import("./port.ts").HostProcess;
 * const plan = planWorkers(host, { workers: 2, port: 2121 });
 * ```
 */
export interface WorkerPlan {
  /** Null for a server that runs alone. */
  readonly role: WorkerRole | null;
  /** The control port: a copy takes the one its primary bound. */
  readonly port: number | undefined;
  /** This worker's share of the passive range. */
  readonly passivePorts: readonly [number, number] | undefined;
}

/**
 * Decides this worker's role from `workers` and the environment.
 *
 * @example
 * ```ts
 * import { planWorkers } from "./workers.ts";
 * declare const host: import("./port.ts").HostProcess;
 * const plan = planWorkers(host, { workers: 1, port: 2121 });
 * console.log(plan.role); // null
 * ```
 */
export function planWorkers(
  host: HostProcess,
  options: { readonly workers?: number; readonly port?: number; readonly passivePorts?: readonly [number, number] },
): WorkerPlan {
  const count = options.workers ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`workers must be a whole number ≥ 1, got ${count}`);
  if (count === 1) return { role: null, port: options.port, passivePorts: options.passivePorts };
  const given = /^(\d+)\/(\d+)\/(\d+)$/.exec(host.env(WORKER_VARIABLE) ?? "");
  const role = given ? { index: Number(given[1]), count: Number(given[2]) } : { index: 0, count };
  return {
    role,
    port: given ? Number(given[3]) : options.port,
    passivePorts: options.passivePorts && passiveSlice(options.passivePorts, role),
  };
}

/**
 * The part of an inclusive port range that worker `role.index` of
 * `role.count` uses: consecutive, disjoint slices of (nearly) equal size.
 *
 * @example
 * ```ts
 * import { passiveSlice } from "./workers.ts";
 * passiveSlice([60000, 60099], { index: 1, count: 2 }); // [60050, 60099]
 * ```
 */
export function passiveSlice(range: readonly [number, number], role: WorkerRole): [number, number] {
  const [from, to] = range;
  const size = to - from + 1;
  if (size < role.count) {
    throw new RangeError(`the passive range ${from}-${to} has fewer ports than the ${role.count} workers`);
  }
  const start = from + Math.floor((role.index * size) / role.count);
  const end = from + Math.floor(((role.index + 1) * size) / role.count) - 1;
  return [start, end];
}

/** The copies a primary started.
 *
 * @example
 * ```ts
 * import type { WorkerGroup } from "./workers.ts";
 * async function shutDown(group: WorkerGroup): Promise<void> {
 *   await group.stop();
 * }
 * ```
 */
export interface WorkerGroup {
  /** Asks every copy to stop (SIGTERM) and waits until they have exited. */
  stop(): Promise<void>;
}

/**
 * Starts copies 1 to count-1 of this program, which will serve `port` too.
 * A copy that exits while the group runs is logged, not restarted.
 *
 * @example
 * ```ts
 * import { startWorkers } from "./workers.ts";
 * import { silentLogger } from "./logger.ts";
 * declare const host: import("./port.ts").HostProcess;
 * const group = startWorkers(host, 2, 2121, silentLogger);
 * await group.stop();
 * ```
 */
export function startWorkers(host: HostProcess, count: number, port: number, logger: Logger): WorkerGroup {
  let stopping = false;
  const children: WorkerProcess[] = [];
  for (let index = 1; index < count; index++) {
    const child = host.spawnWorker({ [WORKER_VARIABLE]: `${index}/${count}/${port}` });
    children.push(child);
    void child.exited.then((status) => {
      if (stopping) return;
      logger.log({ level: "error", time: new Date(), message: `worker ${index + 1}/${count} exited (status ${status}).` });
    });
  }
  return {
    async stop() {
      stopping = true;
      for (const child of children) child.stop();
      await Promise.all(children.map((child) => child.exited));
    },
  };
}
