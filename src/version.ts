/**
 * The tsftpd version (kept equal to deno.json and package.json by a test).
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`tsftpd ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
