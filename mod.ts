/**
 * tsftpd: asynchronous, portable FTP servers for Deno, Bun and Node.
 *
 * Run it as is to serve the current folder (anonymous, read-only, port 2121):
 *
 * ```sh
 * deno run -A mod.ts --help
 * ```
 *
 * Or embed it:
 *
 * ```ts
 * import { FtpServer, MemoryAuthorizer } from "./mod.ts";
 * const server = new FtpServer({
 *   port: 0,
 *   root: ".",
 *   authorizer: new MemoryAuthorizer({ users: { alice: { password: "secret", permissions: "elradfmwMT" } } }),
 * });
 * const { port } = await server.listen();
 * await server.close();
 * ```
 *
 * The extension points: an {@link Authorizer} decides logins and gives each
 * user permissions (with per-folder overrides), storage and limits
 * ({@link MemoryAuthorizer} keeps hashed users in memory or reads them from
 * a JSON file); a {@link FileSystem} is the storage a user sees
 * ({@link LocalFileSystem}, {@link MemoryFileSystem}, or your own);
 * {@link ServerHooks} hear about logins, transfers, commands and replies;
 * `commands` and `siteCommands` add verbs. Operations: `logger`/`logFormat`,
 * `server.close({ graceMs })`, `server.metrics()` and
 * {@link formatPrometheus}.
 *
 * An in-memory server for a test suite:
 *
 * ```ts
 * import { FtpServer, MemoryFileSystem } from "./mod.ts";
 * const server = await FtpServer.start({ fs: new MemoryFileSystem(), port: 0 });
 * console.log(server.address.port);
 * await server.close();
 * ```
 *
 * @module
 */

import { isMainModule } from "./src/runtime/load.ts";

export { type CloseOptions, FtpServer, type FtpServerOptions, DEFAULT_PORT } from "./src/server.ts";
export { formatPrometheus, type ServerMetrics } from "./src/metrics.ts";
export {
  type AccountLimits,
  ALL_PERMISSIONS,
  type AnonymousAccess,
  type Authorizer,
  type LoginRequest,
  MemoryAuthorizer,
  type MemoryAuthorizerOptions,
  type MemoryUser,
  type Permission,
  READ_ONLY_PERMISSIONS,
  type UserAccount,
  type UsersFileOptions,
} from "./src/authorizer.ts";
export { type CommandSession, type CustomCommand } from "./src/command.ts";
export { FtpError } from "./src/errors.ts";
export { hashPassword, type HashPasswordOptions, verifyPassword } from "./src/password.ts";
export { type PermissionOverride, permissionsAt, type PermissionSource } from "./src/permissions.ts";
export {
  type FileStat,
  type FileSystem,
  FileSystemError,
  type ListEntry,
} from "./src/fs/file_system.ts";
export type {
  Connection,
  ConnectOptions,
  DirEntry,
  FileInfo,
  FileKind,
  FilePort,
  FileSink,
  FileSource,
  HostProcess,
  Listener,
  ListenOptions,
  Runtime,
  SocketAddress,
  TlsConnection,
  TlsContext,
  TlsContextOptions,
  UpgradeOptions,
  WorkerProcess,
  WriteMode,
} from "./src/port.ts";
export type { WorkerRole } from "./src/workers.ts";
export type { MasqueradeAddressMap } from "./src/masquerade.ts";
export type { FtpsOptions, TlsCertificate, TlsSessionReuse } from "./src/tls.ts";
export type { VirtualHostOptions } from "./src/virtual_host.ts";
export { LocalFileSystem, type LocalFileSystemOptions } from "./src/fs/local.ts";
export { MemoryFileSystem, type MemoryFileSystemOptions } from "./src/fs/memory.ts";
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  formatJsonLine,
  formatLogLine,
  type LogFormat,
  type Logger,
  type LogLevel,
  type LogRecord,
  silentLogger,
} from "./src/logger.ts";
export type {
  CommandEvent,
  FileTransferEvent,
  HookEvents,
  HookResult,
  IncompleteTransferEvent,
  LoginEvent,
  ReplyEvent,
  ServerHooks,
  SessionEvent,
  SessionInfo,
} from "./src/hooks.ts";
export { VERSION } from "./src/version.ts";
export type { SecurityOptions } from "./src/security.ts";
export { type BanKey, type BanPolicy, type BanRecord, type BanStore, MemoryBanStore } from "./src/ban.ts";
export type { RateLimits, ThrottleOptions } from "./src/throttle.ts";
export { type QuotaLimits, type QuotaOptions, type Usage, type UsageSource, walkUsage } from "./src/quota.ts";

if (isMainModule(import.meta)) {
  const { main } = await import("./src/cli.ts");
  await main();
}
