/**
 * Log records and the default pyftpdlib-style line format.
 *
 * @module
 */

/** How important a record is.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./logger.ts";
 * const level: LogLevel = "info";
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One thing that happened.
 *
 * @example
 * ```ts
 * import type { LogRecord } from "./logger.ts";
 * const record: LogRecord = {
 *   level: "info",
 *   time: new Date(),
 *   message: "USER 'alice' logged in.",
 *   session: { remote: "127.0.0.1:53211", user: "alice" },
 * };
 * ```
 */
export interface LogRecord {
  /** Severity; the console logger drops records below its level. */
  readonly level: LogLevel;
  /** When it happened; {@link formatLogLine} prints it in local time. */
  readonly time: Date;
  /** One line of text, without line end, e.g. `USER 'alice' logged in.` */
  readonly message: string;
  /** Set for records about one session: the client's `address:port`, the
   * user (once known) and the session's id (as hooks see it). */
  readonly session?: { readonly remote: string; readonly user?: string; readonly id?: number };
}

/** Where records go. Bring your own to route tsftpd's logs anywhere.
 *
 * @example
 * ```ts
 * import type { Logger } from "./logger.ts";
 * const records: string[] = [];
 * const logger: Logger = { log: (record) => records.push(record.message) };
 * ```
 */
export interface Logger {
  /** Called synchronously for each record, in the middle of serving a
   * client, so keep it fast. A session swallows what it throws (that record
   * is lost) rather than failing. */
  log(record: LogRecord): void;
  /** Whether records of `level` would be written; when it says no, callers
   * skip building them (a session would otherwise build two debug records per
   * command). Absent: every record is passed to `log`. */
  enabled?(level: LogLevel): boolean;
  /** Writes out whatever the logger holds back; the server calls it when
   * it has closed, and the CLI before it exits. Absent: nothing is held. */
  flush?(): void;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };
const LETTER: Readonly<Record<LogLevel, string>> = { debug: "D", info: "I", warn: "W", error: "E" };
const COLOUR: Readonly<Record<LogLevel, string>> = {
  debug: "\x1b[34m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

// A busy server writes many lines within one second: the stamp is built
// once per second, not once per line.
let stampSecond = Number.NaN;
let stampText = "";

function localStamp(time: Date): string {
  const second = Math.floor(time.getTime() / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stampText = `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())} ` +
      `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`;
  }
  return stampText;
}

/**
 * Formats a record as pyftpdlib does:
 * `[I 2026-11-24 10:00:00] 127.0.0.1:53211-[alice] USER 'alice' logged in.`
 * (local time).
 *
 * @example
 * ```ts
 * import { formatLogLine } from "./logger.ts";
 * formatLogLine({ level: "warn", time: new Date(), message: "disk almost full" });
 * ```
 */
export function formatLogLine(record: LogRecord, options: { readonly colour?: boolean } = {}): string {
  let head = `[${LETTER[record.level]} ${localStamp(record.time)}]`;
  if (options.colour) head = `${COLOUR[record.level]}${head}\x1b[0m`;
  const who = record.session ? `${record.session.remote}-[${record.session.user ?? ""}] ` : "";
  return `${head} ${who}${record.message}`;
}

/**
 * Formats a record as one JSON object (no line end): `time` (ISO 8601,
 * UTC), `level`, `message`, and `remote`, `user`, `session` for session
 * records.
 *
 * @example
 * ```ts
 * import { formatJsonLine } from "./logger.ts";
 * formatJsonLine({ level: "info", time: new Date(0), message: "hi" });
 * // '{"time":"1970-01-01T00:00:00.000Z","level":"info","message":"hi"}'
 * ```
 */
export function formatJsonLine(record: LogRecord): string {
  return JSON.stringify({
    time: record.time.toISOString(),
    level: record.level,
    message: record.message,
    remote: record.session?.remote,
    user: record.session?.user,
    session: record.session?.id,
  });
}

/** Line formats of {@link createConsoleLogger}: pyftpdlib-style text, or
 * one JSON object per line.
 *
 * @example
 * ```ts
 * import type { LogFormat } from "./logger.ts";
 * const format: LogFormat = "json";
 * ```
 */
export type LogFormat = "text" | "json";

/** Options of {@link createConsoleLogger}.
 *
 * @example
 * ```ts
 * import type { ConsoleLoggerOptions } from "./logger.ts";
 * const options: ConsoleLoggerOptions = { level: "debug", colour: false };
 * ```
 */
export interface ConsoleLoggerOptions {
  /** The least important level written; default `info`. */
  readonly level?: LogLevel;
  /** `text` (default) or `json`. */
  readonly format?: LogFormat;
  /** ANSI colours on the level tag of text lines. */
  readonly colour?: boolean;
  /** Where lines go, one call per line; default standard error, where the
   * lines of one turn of the event loop go out in one write. */
  readonly write?: (line: string) => void;
}

/**
 * A logger writing formatted lines to standard error (or `write`), as
 * text or JSON. Lines for standard error are held until the end of the
 * event loop's turn (at most a few milliseconds) and written together:
 * a busy server logs four lines per login, four system calls where the
 * login itself makes about twenty. `flush()` writes them at once.
 *
 * @example
 * ```ts
 * import { createConsoleLogger } from "./logger.ts";
 * const logger = createConsoleLogger({ level: "debug" });
 * logger.log({ level: "debug", time: new Date(), message: "hello" });
 * logger.flush?.();
 * ```
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? "info"];
  const format = options.format === "json" ? formatJsonLine : (record: LogRecord) => formatLogLine(record, options);
  const held = new HeldLines();
  const write = options.write ?? ((line: string) => held.add(line));
  return {
    log(record) {
      if (RANK[record.level] >= threshold) write(format(record));
    },
    enabled(level) {
      return RANK[level] >= threshold;
    },
    flush() {
      held.flush();
    },
  };
}

/** Lines held at most before they are written anyway. */
const HELD_LINES_MAX = 256;

/** Lines for standard error, written together once the current turn of the
 * event loop is over (a zero timer), or at once past {@link HELD_LINES_MAX}. */
class HeldLines {
  #lines: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length >= HELD_LINES_MAX) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), 0);
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length === 0) return;
    const text = this.#lines.join("\n");
    this.#lines = [];
    console.error(text);
  }
}

/** A logger that drops everything, for quiet test fixtures.
 *
 * @example
 * ```ts
 * import { FtpServer, silentLogger } from "../mod.ts";
 * const server = new FtpServer({ port: 0, logger: silentLogger });
 * ```
 */
export const silentLogger: Logger = { log() {}, enabled: () => false };
