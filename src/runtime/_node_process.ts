/**
 * The {@link HostProcess} on Node's `process` object, shared by the Node
 * adapter and the Bun adapter (Bun implements the same API).
 *
 * @module
 */

import process from "node:process";
import type { HostProcess } from "../port.ts";

/**
 * The process around the server, through `node:process`.
 *
 * @example
 * ```ts
 * import { nodeHost } from "./_node_process.ts";
 * nodeHost.print(`serving ${nodeHost.cwd()}`);
 * ```
 */
export const nodeHost: HostProcess = {
  args() {
    return process.argv.slice(2);
  },
  cwd() {
    return process.cwd();
  },
  onSignal(signal, handler) {
    process.on(signal, handler);
  },
  exit(code) {
    return process.exit(code);
  },
  printError(line) {
    process.stderr.write(`${line}\n`);
  },
  print(line) {
    process.stdout.write(`${line}\n`);
  },
  isTerminal() {
    return process.stderr.isTTY === true;
  },
};
