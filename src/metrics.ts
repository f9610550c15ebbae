/**
 * Server counters, fed by the same hooks users get (commands and replies,
 * the per-line events, by direct calls), as a snapshot object and as
 * Prometheus text.
 *
 * @module
 */

import type { ServerHooks } from "./hooks.ts";
import type { Logger } from "./logger.ts";

/** A server's counters since it was created. `*Total` only grow; the others
 * are the current value.
 *
 * @example
 * ```ts
 * import { FtpServer, MemoryFileSystem, type ServerMetrics } from "../mod.ts";
 * const server = await FtpServer.start({ fs: new MemoryFileSystem(), port: 0 });
 * const metrics: ServerMetrics = server.metrics();
 * console.log(metrics.connectionsOpen, metrics.bytesReceivedTotal);
 * await server.close();
 * ```
 */
export interface ServerMetrics {
  /** Control connections accepted. */
  readonly connectionsTotal: number;
  /** Control connections open now. */
  readonly connectionsOpen: number;
  /** Successful logins. */
  readonly loginsTotal: number;
  /** Refused logins (wrong user name or password). */
  readonly loginFailuresTotal: number;
  /** Sessions logged in now. */
  readonly sessionsLoggedIn: number;
  /** Command lines received. */
  readonly commandsTotal: number;
  /** Replies with a 4xx or 5xx code. */
  readonly errorRepliesTotal: number;
  /** Failures logged as errors: unexpected storage errors, failing hooks. */
  readonly errorsTotal: number;
  /** Downloads completed. */
  readonly filesSentTotal: number;
  /** Uploads completed. */
  readonly filesReceivedTotal: number;
  /** Downloads and uploads that ended without 226. */
  readonly transfersFailedTotal: number;
  /** File bytes sent (downloads, complete or not; listings not counted). */
  readonly bytesSentTotal: number;
  /** File bytes received (uploads, complete or not). */
  readonly bytesReceivedTotal: number;
}

type Counters = { -readonly [K in keyof ServerMetrics]: number };

const HELP: Readonly<Record<keyof ServerMetrics, readonly [type: "counter" | "gauge", help: string]>> = {
  connectionsTotal: ["counter", "Control connections accepted."],
  connectionsOpen: ["gauge", "Control connections open."],
  loginsTotal: ["counter", "Successful logins."],
  loginFailuresTotal: ["counter", "Refused logins."],
  sessionsLoggedIn: ["gauge", "Sessions logged in."],
  commandsTotal: ["counter", "Command lines received."],
  errorRepliesTotal: ["counter", "Replies with a 4xx or 5xx code."],
  errorsTotal: ["counter", "Failures logged as errors."],
  filesSentTotal: ["counter", "Downloads completed."],
  filesReceivedTotal: ["counter", "Uploads completed."],
  transfersFailedTotal: ["counter", "File transfers that ended without 226."],
  bytesSentTotal: ["counter", "File bytes sent."],
  bytesReceivedTotal: ["counter", "File bytes received."],
};

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * The Prometheus text exposition of `metrics` (names `tsftpd_...` unless
 * `prefix` says otherwise), ready to serve at `/metrics`.
 *
 * @example
 * ```ts
 * import { FtpServer, formatPrometheus, MemoryFileSystem } from "../mod.ts";
 * const server = await FtpServer.start({ fs: new MemoryFileSystem(), port: 0 });
 * const text = formatPrometheus(server.metrics());
 * // "# HELP tsftpd_connections_total Control connections accepted.\n# TYPE ..."
 * await server.close();
 * ```
 */
export function formatPrometheus(metrics: ServerMetrics, options: { readonly prefix?: string } = {}): string {
  const prefix = options.prefix ?? "tsftpd_";
  const lines: string[] = [];
  for (const key of Object.keys(HELP) as (keyof ServerMetrics)[]) {
    const name = prefix + snakeCase(key);
    const [type, help] = HELP[key];
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${metrics[key]}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Counts what a server's sessions do, through hooks and the logger.
 *
 * @example
 * ```ts
 * import { MetricsCollector } from "./metrics.ts";
 * import { silentLogger } from "./logger.ts";
 * const collector = new MetricsCollector();
 * const hooks = collector.hooks({});
 * const logger = collector.logger(silentLogger);
 * collector.countCommand();
 * collector.snapshot().commandsTotal; // 1
 * ```
 */
export class MetricsCollector {
  readonly #counters: Counters = Object.fromEntries(Object.keys(HELP).map((key) => [key, 0])) as Counters;
  readonly #loggedIn = new Set<number>();

  /** A copy of the counters now. */
  snapshot(): ServerMetrics {
    return { ...this.#counters, sessionsLoggedIn: this.#loggedIn.size };
  }

  /** Counts a command line received. Called by the session directly, not
   * through `onCommand`, so a server without that hook builds no event per
   * command. */
  countCommand(): void {
    this.#counters.commandsTotal++;
  }

  /** Counts a reply sent (as {@link countCommand}, without an event). */
  countReply(code: number): void {
    if (code >= 400) this.#counters.errorRepliesTotal++;
  }

  /** `user`'s hooks, each preceded by the counting one (commands and
   * replies are counted by {@link countCommand} and {@link countReply}). */
  hooks(user: ServerHooks): ServerHooks {
    const c = this.#counters;
    const counting: ServerHooks = {
      onConnect: () => {
        c.connectionsTotal++;
        c.connectionsOpen++;
      },
      onDisconnect: ({ session }) => {
        c.connectionsOpen--;
        this.#loggedIn.delete(session.id);
      },
      onLogin: ({ session }) => {
        c.loginsTotal++;
        this.#loggedIn.add(session.id);
      },
      onLoginFailed: () => void c.loginFailuresTotal++,
      onLogout: ({ session }) => void this.#loggedIn.delete(session.id),
      onFileSent: ({ bytes }) => {
        c.filesSentTotal++;
        c.bytesSentTotal += bytes;
      },
      onFileReceived: ({ bytes }) => {
        c.filesReceivedTotal++;
        c.bytesReceivedTotal += bytes;
      },
      onIncompleteFileSent: ({ bytes }) => {
        c.transfersFailedTotal++;
        c.bytesSentTotal += bytes;
      },
      onIncompleteFileReceived: ({ bytes }) => {
        c.transfersFailedTotal++;
        c.bytesReceivedTotal += bytes;
      },
    };
    const merged: Record<string, (event: never) => void | Promise<void>> = { ...user };
    for (const [name, count] of Object.entries(counting) as [keyof ServerHooks, (event: never) => void][]) {
      const theirs = user[name] as ((event: never) => void | Promise<void>) | undefined;
      merged[name] = theirs
        ? (event) => {
          count(event);
          return theirs(event);
        }
        : count;
    }
    return merged as ServerHooks;
  }

  /** `logger`, counting the records at level `error`. */
  logger(logger: Logger): Logger {
    return {
      log: (record) => {
        if (record.level === "error") this.#counters.errorsTotal++;
        logger.log(record);
      },
      enabled: (level) => level === "error" || (logger.enabled?.(level) ?? true),
      flush: () => logger.flush?.(),
    };
  }
}
