import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostProcess } from "../mod.ts";
import { passiveSlice, planWorkers } from "../src/workers.ts";

/** A host whose environment holds only `variables`. */
function hostWith(variables: Record<string, string>): HostProcess {
  return { env: (name: string) => variables[name] } as unknown as HostProcess;
}

test("workers: the passive range is cut into disjoint slices that cover it", () => {
  assert.deepEqual(passiveSlice([60000, 60099], { index: 0, count: 2 }), [60000, 60049]);
  assert.deepEqual(passiveSlice([60000, 60099], { index: 1, count: 2 }), [60050, 60099]);
  const slices = [0, 1, 2].map((index) => passiveSlice([1000, 1009], { index, count: 3 }));
  assert.deepEqual(slices, [[1000, 1002], [1003, 1005], [1006, 1009]]);
  assert.throws(() => passiveSlice([1000, 1001], { index: 0, count: 3 }), /fewer ports than the 3 workers/);
});

test("workers: the primary keeps its options; a copy takes the primary's port and its own slice", () => {
  const options = { workers: 2, port: 0, passivePorts: [60000, 60099] as const };
  assert.deepEqual(planWorkers(hostWith({}), { port: 21 }), { role: null, port: 21, passivePorts: undefined });
  assert.deepEqual(planWorkers(hostWith({}), options), {
    role: { index: 0, count: 2 },
    port: 0,
    passivePorts: [60000, 60049],
  });
  assert.deepEqual(planWorkers(hostWith({ TSFTPD_WORKER: "1/2/40123" }), options), {
    role: { index: 1, count: 2 },
    port: 40123,
    passivePorts: [60050, 60099],
  });
  // A single-process server ignores the variable.
  assert.equal(planWorkers(hostWith({ TSFTPD_WORKER: "1/2/40123" }), { port: 21 }).port, 21);
  assert.throws(() => planWorkers(hostWith({}), { workers: 0 }), RangeError);
});
