/**
 * What a command is to the dispatcher: its verb, what it needs, its help
 * text and its handler. FEAT and HELP are derived from these, so they cannot
 * disagree with what is implemented.
 *
 * @module
 */

import type { Permission } from "./authorizer.ts";
import type { Session } from "./session.ts";

/** A command's definition.
 *
 * @example
 * ```ts
 * import type { CommandSpec } from "./command.ts";
 * const noop: CommandSpec = {
 *   verb: "NOOP",
 *   login: false,
 *   argument: "none",
 *   syntax: "NOOP (do nothing)",
 *   handle: (session) => session.reply(200, "OK."),
 * };
 * ```
 */
export interface CommandSpec {
  /** The verb, upper case. */
  readonly verb: string;
  /** Other verbs for the same command (RFC 775's X-forms). */
  readonly aliases?: readonly string[];
  /** Whether the client must be logged in. */
  readonly login: boolean;
  /** Whether an argument is refused, needed or optional. */
  readonly argument: "none" | "required" | "optional";
  /** The permission letter checked before the handler runs. */
  readonly permission?: Permission;
  /** One line for HELP: the syntax and what it does. */
  readonly syntax: string;
  /** Lines this command adds to FEAT (a function when they depend on the
   * session, as MLST's selected facts do). */
  readonly features?: readonly string[] | ((session: Session) => readonly string[]);
  /** Serves the command; throw an `FtpError` (or a file-system error) to
   * refuse. */
  handle(session: Session, argument: string): Promise<void>;
}

/**
 * Indexes specs by verb and alias. Later specs replace earlier ones with the
 * same verb, so a user's command can override a built-in one.
 *
 * @example
 * ```ts
 * import { commandTable } from "./command.ts";
 * import { builtinCommands } from "./commands/mod.ts";
 * const table = commandTable(builtinCommands);
 * table.get("XPWD")?.verb; // "PWD"
 * ```
 */
export function commandTable(specs: readonly CommandSpec[]): ReadonlyMap<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (const spec of specs) {
    table.set(spec.verb, spec);
    for (const alias of spec.aliases ?? []) table.set(alias, spec);
  }
  return table;
}
