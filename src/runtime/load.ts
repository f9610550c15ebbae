/**
 * Picks the adapter for the runtime the code runs on.
 *
 * @module
 */

import type { Runtime } from "../port.ts";

let loading: Promise<Runtime> | undefined;

async function importAdapter(): Promise<Runtime> {
  // Deno first, as Deno also defines `process`; literal specifiers in separate
  // branches, so only the chosen adapter is ever evaluated.
  const globals = globalThis as { Deno?: { version?: { deno?: unknown } }; Bun?: unknown };
  if (typeof globals.Deno?.version?.deno === "string") {
    return (await import("./deno.ts")).runtime;
  }
  if (globals.Bun !== undefined) {
    return (await import("./bun.ts")).runtime;
  }
  return (await import("./node.ts")).runtime;
}

/**
 * The runtime port for the runtime this process runs on (Deno, Bun or
 * Node). The adapter is loaded once per process.
 *
 * @example
 * ```ts
 * import { loadRuntime } from "./load.ts";
 * const runtime = await loadRuntime();
 * console.log(`${runtime.name} ${runtime.version}`);
 * ```
 */
export function loadRuntime(): Promise<Runtime> {
  loading ??= importAdapter();
  return loading;
}

/**
 * Whether the module whose `import.meta` is `meta` is the program's entry
 * point. Deno, Bun and Node >= 24.2 say so in `import.meta.main`; older Node
 * versions are answered by comparing the module's file with the real path
 * of the script Node was started with.
 *
 * @example
 * ```ts
 * import { isMainModule } from "./load.ts";
 * if (isMainModule(import.meta)) console.log("run as a program");
 * ```
 */
export function isMainModule(meta: ImportMeta): boolean {
  const { main, filename } = meta as { main?: unknown; filename?: string };
  if (typeof main === "boolean") return main;
  const script = globalThis.process?.argv[1];
  if (filename === undefined || script === undefined) return false;
  try {
    return globalThis.process.getBuiltinModule("node:fs").realpathSync(script) === filename;
  } catch {
    return false;
  }
}
