/**
 * Memory figures of the benchmark scripts: a process tree's PSS, and the
 * per-session slope through PSS samples.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";

/**
 * PSS of `pid` and all its descendants, in KiB (Linux only).
 *
 * @example
 * ```ts
 * import { treePss } from "./_memory.ts";
 * console.log(`${treePss(1234)} KiB`);
 * ```
 */
export function treePss(pid: number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    try {
      const rollup = readFileSync(`/proc/${current}/smaps_rollup`, "utf8");
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // the process ended meanwhile
    }
    pending.push(...(children.get(current) ?? []));
  }
  return total;
}

/**
 * Least-squares slope of `y` over `x`: memory per session from PSS taken at
 * several session counts, far less at the mercy of one garbage collection
 * than a difference of two measurements.
 *
 * @example
 * ```ts
 * import { slope } from "./_memory.ts";
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
