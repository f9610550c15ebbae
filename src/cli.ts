/**
 * `tsftpd` as a program: flags modelled on `python -m pyftpdlib`.
 *
 * @module
 */

import { ALL_PERMISSIONS, type Authorizer, MemoryAuthorizer, READ_ONLY_PERMISSIONS } from "./authorizer.ts";
import { SECURITY_FLAGS, securityOptions, securityUsage } from "./cli_security.ts";
import { TLS_FLAGS, tlsOptions, tlsUsage } from "./cli_tls.ts";
import { createConsoleLogger, type LogFormat } from "./logger.ts";
import { type MasqueradeAddressMap, masqueradeLookup } from "./masquerade.ts";
import type { HostProcess, Runtime } from "./port.ts";
import { loadRuntime } from "./runtime/load.ts";
import type { SecurityOptions } from "./security.ts";
import { DEFAULT_PORT, FtpServer } from "./server.ts";
import type { FtpsOptions } from "./tls.ts";
import { VERSION } from "./version.ts";

const DEFAULT_GRACE_SECONDS = 10;

const USAGE = `Usage: tsftpd [options]
Start an FTP server serving a folder (anonymous, read-only by default).

Options:
  -i, --interface ADDR      address to listen on (default: all interfaces)
  -p, --port PORT           port to listen on (default: ${DEFAULT_PORT})
  -d, --directory DIR       folder to serve (default: the current folder)
  -w, --write               grant write access (permissions ${ALL_PERMISSIONS}, not ${READ_ONLY_PERMISSIONS})
  -u, --username NAME       require this user name (disables anonymous access)
  -P, --password PASS       the password for --username
  -n, --nat-address ADDR    public address announced in PASV replies (NAT)
      --nat-map NET=ADDR,...
                            PASV address per client network: NET a CIDR or
                            "private", ADDR an IPv4 or "real" (private=real)
      --permit-foreign-addresses
                            allow data connections to or from other hosts (FXP)
      --permit-privileged-ports
                            allow PORT/EPRT to ports below 1024
  -r, --range FROM-TO       passive port range, e.g. 60000-60099
      --workers N           processes sharing the port, one per core (Linux;
                            default 1); each gets a slice of --range
      --users-file FILE     users from a JSON file (see MemoryAuthorizer.fromFile)
  -D, --debug               log every command and reply
      --log-format FORMAT   "text" (pyftpdlib-style, default) or "json"
      --grace SECONDS       on SIGINT/SIGTERM, let transfers finish this long
                            (default ${DEFAULT_GRACE_SECONDS}; a second signal stops at once)
  -v, --version             print the version and exit
  -h, --help                print this help and exit

Limits and timeouts (see README, "Security"):
${securityUsage()}

FTPS (see README, "FTPS"):
${tlsUsage()}`;

/** What the command line asked for.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./cli.ts";
 * parseArgs(["-p", "2122", "--write"]).port; // 2122
 * ```
 */
export interface CliOptions {
  readonly interface?: string;
  readonly port: number;
  readonly directory?: string;
  readonly write: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly natAddress?: string;
  readonly natMap?: MasqueradeAddressMap;
  readonly permitForeignAddresses: boolean;
  readonly permitPrivilegedPorts: boolean;
  readonly range?: readonly [number, number];
  readonly workers: number;
  readonly usersFile?: string;
  readonly debug: boolean;
  readonly logFormat: LogFormat;
  readonly graceSeconds: number;
  readonly version: boolean;
  readonly help: boolean;
  /** Limits, failed-login policy, timeouts, throttling, quotas. */
  readonly security: SecurityOptions;
  /** Certificate, TLS policies, implicit port. */
  readonly tls: FtpsOptions;
}

const FLAGS: Readonly<Record<string, { readonly name: string; readonly value: boolean }>> = {
  "-i": { name: "interface", value: true },
  "-p": { name: "port", value: true },
  "-d": { name: "directory", value: true },
  "-w": { name: "write", value: false },
  "-u": { name: "username", value: true },
  "-P": { name: "password", value: true },
  "-n": { name: "nat-address", value: true },
  "--nat-map": { name: "nat-map", value: true },
  "--permit-foreign-addresses": { name: "permit-foreign-addresses", value: false },
  "--permit-privileged-ports": { name: "permit-privileged-ports", value: false },
  "-r": { name: "range", value: true },
  "--workers": { name: "workers", value: true },
  "--users-file": { name: "users-file", value: true },
  "-D": { name: "debug", value: false },
  "--log-format": { name: "log-format", value: true },
  "--grace": { name: "grace", value: true },
  "-v": { name: "version", value: false },
  "-h": { name: "help", value: false },
};
const BY_LONG_NAME = new Map<string, { readonly name: string; readonly value: boolean }>([
  ...Object.values(FLAGS).map((flag) => [`--${flag.name}`, flag] as const),
  ...Object.keys(SECURITY_FLAGS).map((name) => [`--${name}`, { name, value: true }] as const),
  ...Object.entries(TLS_FLAGS).map(([name, flag]) => [`--${name}`, { name, value: flag.value }] as const),
]);

function parseWorkers(text: string): number {
  if (!/^[1-9]\d{0,2}$/.test(text)) throw new Error(`--workers must be a number from 1 to 999, got "${text}"`);
  return Number(text);
}

function parsePort(text: string, what: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`${what} must be a port number (0-65535), got "${text}"`);
  return port;
}

/**
 * Parses command-line arguments; throws an `Error` with a one-line message
 * on anything unknown or malformed.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./cli.ts";
 * parseArgs(["--range=60000-60099"]).range; // [60000, 60099]
 * ```
 */
export function parseArgs(args: readonly string[]): CliOptions {
  const values = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const [given, inline] = args[i].startsWith("--") && args[i].includes("=")
      ? [args[i].slice(0, args[i].indexOf("=")), args[i].slice(args[i].indexOf("=") + 1)]
      : [args[i], undefined];
    const flag = FLAGS[given] ?? BY_LONG_NAME.get(given);
    if (!flag) throw new Error(`unknown option "${given}"`);
    if (!flag.value) {
      if (inline !== undefined) throw new Error(`option "${given}" takes no value`);
      values.set(flag.name, true);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`option "${given}" needs a value`);
    values.set(flag.name, value);
  }
  const text = (name: string) => {
    const value = values.get(name);
    return typeof value === "string" ? value : undefined;
  };
  const rangeText = text("range");
  let range: [number, number] | undefined;
  if (rangeText !== undefined) {
    const match = /^(\d+)-(\d+)$/.exec(rangeText);
    if (!match) throw new Error(`--range must look like FROM-TO, got "${rangeText}"`);
    range = [parsePort(match[1], "--range"), parsePort(match[2], "--range")];
    if (range[0] < 1 || range[0] > range[1]) throw new Error(`--range "${rangeText}" is empty or starts at 0`);
  }
  const options: CliOptions = {
    natMap: parseNatMap(text("nat-map")),
    permitForeignAddresses: values.has("permit-foreign-addresses"),
    permitPrivilegedPorts: values.has("permit-privileged-ports"),
    interface: text("interface"),
    port: parsePort(text("port") ?? String(DEFAULT_PORT), "--port"),
    directory: text("directory"),
    write: values.has("write"),
    username: text("username"),
    password: text("password"),
    natAddress: text("nat-address"),
    range,
    workers: parseWorkers(text("workers") ?? "1"),
    usersFile: text("users-file"),
    debug: values.has("debug"),
    logFormat: parseLogFormat(text("log-format") ?? "text"),
    graceSeconds: parseSeconds(text("grace") ?? String(DEFAULT_GRACE_SECONDS), "--grace"),
    version: values.has("version"),
    help: values.has("help"),
    security: securityOptions(values),
    tls: tlsOptions(values),
  };
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new Error("--username and --password go together");
  }
  if (options.usersFile !== undefined && options.username !== undefined) {
    throw new Error("--users-file and --username exclude each other");
  }
  return options;
}

function parseLogFormat(text: string): LogFormat {
  if (text !== "text" && text !== "json") throw new Error(`--log-format must be "text" or "json", got "${text}"`);
  return text;
}

function parseSeconds(text: string, what: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(seconds <= 86_400)) throw new Error(`${what} must be a number of seconds, got "${text}"`);
  return seconds;
}

function parseNatMap(text: string | undefined): MasqueradeAddressMap | undefined {
  if (text === undefined) return undefined;
  const map: Record<string, string | null> = {};
  for (const item of text.split(",")) {
    const match = /^([^=]+)=([^=]+)$/.exec(item.trim());
    if (!match) throw new Error(`--nat-map entries look like NET=ADDR, got "${item}"`);
    map[match[1]] = match[2] === "real" ? null : match[2];
  }
  try {
    masqueradeLookup(undefined, map);
  } catch (error) {
    throw new Error(`--nat-map: ${(error as Error).message}`);
  }
  return map;
}

function authorizerFor(options: CliOptions): Authorizer {
  const permissions = options.write ? ALL_PERMISSIONS : READ_ONLY_PERMISSIONS;
  if (options.username !== undefined) {
    return new MemoryAuthorizer({
      users: { [options.username]: { password: options.password ?? "", permissions } },
    });
  }
  return new MemoryAuthorizer({ anonymous: { permissions } });
}

function listenFailure(error: unknown, where: string): string {
  const code = (error as { code?: string }).code;
  if (code === "EADDRINUSE") return `can't listen on ${where}: address already in use`;
  if (code === "EACCES") return `can't listen on ${where}: permission denied (ports below 1024 need privileges)`;
  if (code === "EADDRNOTAVAIL") return `can't listen on ${where}: no such local address`;
  return `can't listen on ${where}: ${(error as Error).message}`;
}

async function rootFolder(runtime: Runtime, host: HostProcess, directory: string | undefined): Promise<string> {
  const given = directory ?? ".";
  const absolute = given.startsWith("/") ? given : `${host.cwd()}/${given}`;
  try {
    const root = await runtime.files.realpath(absolute);
    if ((await runtime.files.stat(root)).kind === "directory") return root;
  } catch {
    // reported below, as for a file
  }
  throw new Error(`"${given}" is not a folder`);
}

/**
 * Runs the CLI with the program's arguments: starts the server, logs, and
 * stops cleanly on SIGINT/SIGTERM.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * await main(); // as `deno run -A mod.ts -p 2121` would
 * ```
 */
export async function main(): Promise<void> {
  const runtime = await loadRuntime();
  const host: HostProcess = runtime.host;
  let options: CliOptions;
  let root: string;
  try {
    options = parseArgs(host.args());
    if (options.help) return host.print(USAGE);
    if (options.version) return host.print(`tsftpd ${VERSION} (${runtime.name} ${runtime.version})`);
    root = await rootFolder(runtime, host, options.directory);
  } catch (error) {
    host.printError(`tsftpd: ${(error as Error).message} (see --help)`);
    host.exit(2);
  }
  const logger = createConsoleLogger({
    level: options.debug ? "debug" : "info",
    format: options.logFormat,
    colour: host.isTerminal(),
  });
  // Log lines are held for a moment (createConsoleLogger): out before exit.
  const exit = (code: number): never => {
    logger.flush?.();
    return host.exit(code);
  };
  let authorizer: Authorizer;
  try {
    authorizer = options.usersFile !== undefined
      ? await MemoryAuthorizer.fromFile(options.usersFile, { runtime })
      : authorizerFor(options);
  } catch (error) {
    host.printError(`tsftpd: ${(error as Error).message}`);
    host.exit(2);
  }
  const server = new FtpServer({
    host: options.interface,
    port: options.port,
    root,
    authorizer,
    passivePorts: options.range,
    workers: options.workers,
    masqueradeAddress: options.natAddress,
    masqueradeAddressMap: options.natMap,
    permitForeignAddresses: options.permitForeignAddresses,
    permitPrivilegedPorts: options.permitPrivilegedPorts,
    ...options.security,
    ...options.tls,
    logger,
    runtime,
  });
  try {
    await server.listen();
  } catch (error) {
    logger.flush?.(); // the lines before the failure come first
    host.printError(`tsftpd: ${listenFailure(error, `${options.interface ?? "*"}:${options.port}`)}`);
    host.exit(1);
  }
  const { address, port } = server.address;
  const shown = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
  const info = (message: string) => logger.log({ level: "info", time: new Date(), message });
  const worker = server.worker ? `, worker ${server.worker.index + 1}/${server.worker.count}` : "";
  info(`>>> starting FTP server on ${shown}, ${runtime.name} ${runtime.version}, root ${root}${worker} <<<`);
  if (options.usersFile !== undefined) {
    info(`access: users of ${options.usersFile}`);
  } else {
    const access = options.username !== undefined ? `user '${options.username}'` : "anonymous";
    info(`access: ${access}, ${options.write ? "read-write" : "read-only"}`);
  }
  if (options.range) info(`passive ports: ${options.range[0]}-${options.range[1]}`);
  if (options.natAddress) info(`masquerade (NAT) address: ${options.natAddress}`);
  if (options.tls.tls) {
    const implicit = options.tls.implicitTlsPort !== undefined ? `, implicit on port ${server.implicitTlsAddress.port}` : "";
    info(`FTPS: AUTH TLS${implicit}`);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) {
      info(">>> stopping at once <<<");
      exit(1);
    }
    stopping = true;
    info(`>>> shutting down FTP server (transfers may finish within ${options.graceSeconds} s) <<<`);
    server.close({ graceMs: options.graceSeconds * 1000 }).then(
      () => {
        info(">>> FTP server stopped <<<");
        exit(0);
      },
      () => exit(1),
    );
  };
  host.onSignal("SIGINT", stop);
  host.onSignal("SIGTERM", stop);
}
