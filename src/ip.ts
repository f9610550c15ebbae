/**
 * IP address parsing and network matching, for the data-connection checks
 * (PORT/EPRT targets, passive peers) and the per-client masquerade map.
 * Text forms are compared as bytes, so `::1`, `0:0::1` and `::ffff:1.2.3.4`
 * versus `1.2.3.4` never fool a check.
 *
 * @module
 */

/** An IP network: address bytes (4 or 16) and prefix length.
 *
 * @example
 * ```ts
 * import { parseNetwork, type IpNetwork } from "./ip.ts";
 * const lan: IpNetwork = parseNetwork("192.168.0.0/16");
 * ```
 */
export interface IpNetwork {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) return null;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2 || (halves.length === 2 && halves[0].includes("."))) return null;
  const head = ipv6Words(halves[0]);
  const tail = halves.length === 2 ? ipv6Words(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** The 16-bit words of one side of `::`; an IPv4 tail counts as two. */
function ipv6Words(part: string): number[] | null {
  if (part === "") return [];
  const groups = part.split(":");
  const words: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i];
    const v4 = i === groups.length - 1 && group.includes(".") ? parseIpv4(group) : null;
    if (v4) {
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-f]{1,4}$/i.test(group)) {
      words.push(parseInt(group, 16));
    } else {
      return null;
    }
  }
  return words;
}

/**
 * The bytes of an IP address: 4 for IPv4, 16 for IPv6, and 4 again for an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), which is the same peer. A
 * zone (`fe80::1%eth0`) is ignored. `null` for anything else.
 *
 * @example
 * ```ts
 * import { parseIp } from "./ip.ts";
 * parseIp("::ffff:127.0.0.1"); // Uint8Array [127, 0, 0, 1]
 * parseIp("example.org"); // null
 * ```
 */
export function parseIp(text: string): Uint8Array | null {
  if (!text.includes(":")) return parseIpv4(text);
  const bytes = parseIpv6(text.replace(/%.*$/, ""));
  if (!bytes) return null;
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/**
 * Whether two address texts name the same IP (false if either is invalid).
 *
 * @example
 * ```ts
 * import { sameIp } from "./ip.ts";
 * sameIp("::ffff:10.0.0.1", "10.0.0.1"); // true
 * sameIp("::1", "0:0:0:0:0:0:0:1"); // true
 * ```
 */
export function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return x !== null && y !== null && x.length === y.length && x.every((byte, i) => byte === y[i]);
}

/**
 * Parses `address/prefix` (or a bare address, a network of one). Throws a
 * `TypeError` on anything else.
 *
 * @example
 * ```ts
 * import { parseNetwork } from "./ip.ts";
 * parseNetwork("10.0.0.0/8").prefix; // 8
 * ```
 */
export function parseNetwork(text: string): IpNetwork {
  const [address, prefixText, extra] = text.split("/");
  const bytes = parseIp(address);
  const max = (bytes?.length ?? 0) * 8;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!bytes || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
    throw new TypeError(`not an IP network: "${text}" (use a.b.c.d/nn or an IPv6 prefix)`);
  }
  return { bytes, prefix };
}

/**
 * Whether `address` lies in `network`.
 *
 * @example
 * ```ts
 * import { inNetwork, parseNetwork } from "./ip.ts";
 * inNetwork("192.168.4.2", parseNetwork("192.168.0.0/16")); // true
 * ```
 */
export function inNetwork(address: string, network: IpNetwork): boolean {
  const bytes = parseIp(address);
  if (!bytes || bytes.length !== network.bytes.length) return false;
  for (let bit = 0; bit < network.prefix; bit += 8) {
    const bits = Math.min(8, network.prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    if ((bytes[bit / 8] & mask) !== (network.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

/** Loopback, private (RFC 1918, RFC 4193), shared (RFC 6598) and
 * link-local networks: the clients the `private` key of a masquerade map
 * stands for.
 *
 * @example
 * ```ts
 * import { inNetwork, PRIVATE_NETWORKS } from "./ip.ts";
 * PRIVATE_NETWORKS.some((net) => inNetwork("10.1.2.3", net)); // true
 * ```
 */
export const PRIVATE_NETWORKS: readonly IpNetwork[] = [
  "127.0.0.0/8",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "169.254.0.0/16",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
].map(parseNetwork);
