/**
 * The JSON users file behind `MemoryAuthorizer.fromFile`: read through the
 * runtime port, checked field by field.
 *
 * @module
 */

import type { AccountLimits, AnonymousAccess, MemoryAuthorizerOptions, MemoryUser, UsersFileOptions } from "./authorizer.ts";
import type { PermissionOverride } from "./permissions.ts";
import type { Runtime } from "./port.ts";
import { loadRuntime } from "./runtime/load.ts";

/** Larger files are refused rather than read into memory. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const ACCESS_KEYS = ["permissions", "permissionOverrides", "home", "limits", "loginMessage", "quitMessage", "tlsRequired"];
const LIMIT_KEYS = ["maxSessions", "readLimit", "writeLimit", "maxBytes", "maxFiles"] as const;
const USER_KEYS = [...ACCESS_KEYS, "password", "passwordHash"];
const OVERRIDE_KEYS = ["path", "permissions", "recursive"];

type Json = Record<string, unknown>;

async function readText(runtime: Runtime, path: string): Promise<string> {
  const source = await runtime.files.openRead(path, 0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let chunk = await source.read(); chunk; chunk = await source.read()) {
      size += chunk.length;
      if (size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
      chunks.push(chunk.slice());
    }
  } finally {
    await source.close();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(value: Json, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unknown field "${key}" (known: ${allowed.join(", ")})`);
  }
}

function optionalString(value: Json, key: string, where: string): string | undefined {
  const field = value[key];
  if (field !== undefined && typeof field !== "string") throw new Error(`${where}.${key} must be a string`);
  return field;
}

function overrides(value: unknown, where: string): PermissionOverride[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new Error(`${where} must be an array`);
  return value.map((item, index) => {
    const at = `${where}[${index}]`;
    if (!isObject(item)) throw new Error(`${at} must be an object`);
    checkKeys(item, OVERRIDE_KEYS, at);
    const path = optionalString(item, "path", at);
    const permissions = optionalString(item, "permissions", at);
    if (path === undefined || permissions === undefined) throw new Error(`${at} needs "path" and "permissions"`);
    if (item.recursive !== undefined && typeof item.recursive !== "boolean") {
      throw new Error(`${at}.recursive must be true or false`);
    }
    return { path, permissions, recursive: item.recursive };
  });
}

function limits(value: unknown, where: string): AccountLimits | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new Error(`${where} must be an object`);
  checkKeys(value, LIMIT_KEYS, where);
  const result: Record<string, number> = {};
  for (const key of LIMIT_KEYS) {
    const field = value[key];
    if (field === undefined) continue;
    if (typeof field !== "number" || !Number.isInteger(field) || field < 0) {
      throw new Error(`${where}.${key} must be a whole number, 0 or more`);
    }
    result[key] = field;
  }
  return result;
}

function access(value: Json, where: string, folder: string): AnonymousAccess {
  const home = optionalString(value, "home", where);
  if (value.tlsRequired !== undefined && typeof value.tlsRequired !== "boolean") {
    throw new Error(`${where}.tlsRequired must be true or false`);
  }
  return {
    permissions: optionalString(value, "permissions", where),
    permissionOverrides: overrides(value.permissionOverrides, `${where}.permissionOverrides`),
    home: home === undefined || home.startsWith("/") ? home : `${folder}/${home}`,
    limits: limits(value.limits, `${where}.limits`),
    loginMessage: optionalString(value, "loginMessage", where),
    quitMessage: optionalString(value, "quitMessage", where),
    tlsRequired: value.tlsRequired,
  };
}

function user(value: unknown, where: string, folder: string, options: UsersFileOptions): MemoryUser {
  if (!isObject(value)) throw new Error(`${where} must be an object`);
  checkKeys(value, USER_KEYS, where);
  const passwordHash = optionalString(value, "passwordHash", where);
  const password = optionalString(value, "password", where);
  if (passwordHash !== undefined) {
    if (password !== undefined) throw new Error(`${where}: give "passwordHash" or "password", not both`);
    return { ...access(value, where, folder), passwordHash };
  }
  if (password === undefined) throw new Error(`${where} needs "passwordHash"`);
  if (!options.allowPlainTextPasswords) {
    throw new Error(`${where}: plain-text "password" refused (use "passwordHash", or allow plain text explicitly)`);
  }
  return { ...access(value, where, folder), password };
}

/**
 * Reads and checks a users file (format: see `MemoryAuthorizer.fromFile`).
 *
 * @example
 * ```ts
 * import { readUsersFile } from "./users_file.ts";
 * const options = await readUsersFile("/etc/tsftpd/users.json");
 * Object.keys(options.users ?? {}); // ["alice", ...]
 * ```
 */
export async function readUsersFile(path: string, options: UsersFileOptions = {}): Promise<MemoryAuthorizerOptions> {
  const runtime = options.runtime ?? await loadRuntime();
  const absolute = path.startsWith("/") ? path : `${runtime.host.cwd()}/${path}`;
  const folder = absolute.slice(0, absolute.lastIndexOf("/")) || "/";
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readText(runtime, absolute));
  } catch (error) {
    throw new Error(`users file ${path}: ${(error as Error).message}`);
  }
  try {
    if (!isObject(parsed)) throw new Error("must hold a JSON object");
    checkKeys(parsed, ["users", "anonymous"], "file");
    if (parsed.users !== undefined && !isObject(parsed.users)) throw new Error(`"users" must be an object`);
    const users: Record<string, MemoryUser> = {};
    for (const [name, value] of Object.entries(parsed.users ?? {})) {
      users[name] = user(value, `users.${name}`, folder, options);
    }
    const anonymous = parsed.anonymous;
    if (anonymous !== undefined && typeof anonymous !== "boolean" && !isObject(anonymous)) {
      throw new Error(`"anonymous" must be true, false or an object`);
    }
    if (isObject(anonymous)) checkKeys(anonymous, ACCESS_KEYS, "anonymous");
    return { users, anonymous: isObject(anonymous) ? access(anonymous, "anonymous", folder) : anonymous };
  } catch (error) {
    throw new Error(`users file ${path}: ${(error as Error).message}`);
  }
}
