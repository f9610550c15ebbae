/**
 * Every built-in command, in one list.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { activeCommands } from "./active.ts";
import { avblCommands } from "./avbl.ts";
import { fileCommands } from "./files.ts";
import { hashCommands } from "./hash.ts";
import { infoCommands } from "./info.ts";
import { listingCommands } from "./listing.ts";
import { loginCommands } from "./login.ts";
import { mfmtCommands } from "./mfmt.ts";
import { navigationCommands } from "./navigation.ts";
import { parameterCommands } from "./parameters.ts";
import { passiveCommands } from "./passive.ts";
import { sessionCommands } from "./session_control.ts";
import { siteCommands } from "./site.ts";
import { stouCommands } from "./stou.ts";
import { transferCommands } from "./transfer.ts";

/** The commands tsftpd implements.
 *
 * @example
 * ```ts
 * import { builtinCommands } from "./mod.ts";
 * builtinCommands.some((spec) => spec.verb === "MLSD"); // true
 * ```
 */
export const builtinCommands: readonly CommandSpec[] = [
  ...loginCommands,
  ...infoCommands,
  ...navigationCommands,
  ...parameterCommands,
  ...passiveCommands,
  ...activeCommands,
  ...listingCommands,
  ...transferCommands,
  ...fileCommands,
  ...stouCommands,
  ...mfmtCommands,
  ...siteCommands,
  ...hashCommands,
  ...sessionCommands,
  ...avblCommands,
];
