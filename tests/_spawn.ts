/**
 * Runs a TypeScript program (the CLI, an example) as a child process on the
 * runtime running the tests, and watches its output.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";

/** A child process started by {@link runScript}. */
export interface Running {
  /** Everything printed so far, stdout and stderr together. */
  readonly output: () => string;
  /** The exit status (0 for a child that stopped itself on a signal). */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** `deno run -A script ...`, `bun script ...` or `node script ...`, as the
 * runtime running this test is. */
export function runtimeCommand(script: string, args: readonly string[]): { command: string; args: string[] } {
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  return { command: process.execPath, args: isDeno ? ["run", "-A", script, ...args] : [script, ...args] };
}

/** Starts `script` with `args` (and extra environment variables). */
export function runScript(script: string, args: readonly string[], env: Record<string, string> = {}): Running {
  const { command, args: argv } = runtimeCommand(script, args);
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code, signal) => {
      // Deno's node:child_process reports a child that handled the signal it
      // was sent as killed by it; the child's own "stopped" line tells.
      resolve(code === null && signal && /FTP server stopped/.test(output) ? 0 : code);
    })
  );
  return { output: () => output, exited, kill: (signal) => child.kill(signal) };
}

/** Waits until the output matches `what`; fails showing the output. */
export async function waitForOutput(what: RegExp, running: Running, ms = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const match = running.output().match(what);
    if (match) return match;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; output so far:\n${running.output()}`);
}
