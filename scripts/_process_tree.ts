/**
 * Figures of a server's whole process tree, from Linux's `/proc`: its PSS,
 * and the CPU time it has used (for servers that fork per session, like
 * vsftpd, or run workers); plus the slope through PSS samples.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";

/** The fields of `/proc/<pid>/stat` after the command name, which may hold
 * spaces and so is skipped up to its closing parenthesis. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** `pid` and every process descending from it, read from `/proc` now. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const parent = Number(statFields(Number(name))[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const tree: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    tree.push(current);
    pending.push(...(children.get(current) ?? []));
  }
  return tree;
}

/**
 * PSS of `pid` and all its descendants, in KiB (Linux only).
 *
 * @example
 * ```ts
 * import { treePss } from "./_process_tree.ts";
 * console.log(`${treePss(1234)} KiB`);
 * ```
 */
export function treePss(pid: number): number {
  let total = 0;
  for (const current of processTree(pid)) {
    try {
      const rollup = readFileSync(`/proc/${current}/smaps_rollup`, "utf8");
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** `/proc` counts CPU time in USER_HZ ticks, 100 per second on every Linux. */
const MS_PER_TICK = 10;

/**
 * CPU time, user and system, that `pid` and its descendants have used so
 * far, in ms (Linux only). Children that ended and were waited for count
 * too (`cutime`, `cstime`), so the difference of two readings covers
 * sessions a forking server started and ended in between. A live
 * process's figure can lag: on a 2-core VM, vsftpd's sessions showed almost
 * none of a 200 × RETR's CPU time until they ended. So bench.ts gives CPU
 * rows only for logins, whose sessions end within the measurement, and for
 * listings, where the figures matched the whole machine's busy time less
 * the client's.
 *
 * @example
 * ```ts
 * import { treeCpuMs } from "./_process_tree.ts";
 * const before = treeCpuMs(1234);
 * // ... load the server ...
 * console.log(`${treeCpuMs(1234) - before} ms of CPU`);
 * ```
 */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const current of processTree(pid)) {
    try {
      const fields = statFields(current);
      // utime, stime, cutime, cstime: fields 14-17 of the stat line.
      for (let field = 14; field <= 17; field++) ticks += Number(fields[field - 3]);
    } catch {
      // the process ended meanwhile; its parent's cutime holds it once waited for
    }
  }
  return ticks * MS_PER_TICK;
}

/**
 * Least-squares slope of `y` over `x`: memory per session from PSS taken at
 * several session counts, far less at the mercy of one garbage collection
 * than a difference of two measurements.
 *
 * @example
 * ```ts
 * import { slope } from "./_process_tree.ts";
 * slope([0, 100, 200], [5000, 5900, 6800]); // 9
 * ```
 */
export function slope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return num / den;
}
