/**
 * The {@link HostProcess} on Node's `process` object, shared by the Node
 * adapter and the Bun adapter (Bun implements the same API).
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import type { HostProcess, WorkerProcess } from "../port.ts";

/** Runs this program again: same runtime, flags, script and arguments. Its
 * standard input is a pipe that only closes when this process ends, which is
 * how the copy notices (see `onParentExit`). */
function spawnWorker(env: Readonly<Record<string, string>>): WorkerProcess {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    // A program that cannot be started at all ends here, with no 'exit'.
    child.once("error", () => resolve(null));
  });
  return {
    pid: child.pid ?? 0,
    exited,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
  };
}

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
  env(name) {
    return process.env[name];
  },
  spawnWorker,
  onParentExit(handler) {
    process.stdin.once("end", handler);
    process.stdin.resume();
  },
};
