/**
 * Which address PASV announces to which client: the masquerade (NAT)
 * address and a per-client-network map, so that clients on the LAN get the
 * server's real address while the rest of the world gets the public one.
 *
 * @module
 */

import { inNetwork, type IpNetwork, parseIp, parseNetwork, PRIVATE_NETWORKS } from "./ip.ts";

/** Per-client-network overrides of the masquerade address. Keys are
 * networks (`10.0.0.0/8`, `2001:db8::/32`, a single address) or `private`
 * (loopback, RFC 1918, RFC 6598, link-local and unique-local networks);
 * values are the IPv4 address to announce to clients in that network, or
 * `null` for the server's real address. The most specific network wins.
 *
 * @example
 * ```ts
 * import type { MasqueradeAddressMap } from "./masquerade.ts";
 * const map: MasqueradeAddressMap = { private: null, "100.100.0.0/16": "100.100.0.1" };
 * ```
 */
export type MasqueradeAddressMap = Readonly<Record<string, string | null>>;

/**
 * Compiles the masquerade settings into a lookup: the address PASV should
 * announce to `client`, or `undefined` for the control connection's real
 * local address. Throws a `TypeError` for a malformed network or a value
 * that is not an IPv4 address (PASV can carry nothing else).
 *
 * @example
 * ```ts
 * import { masqueradeLookup } from "./masquerade.ts";
 * const lookup = masqueradeLookup("203.0.113.7", { private: null });
 * lookup("192.168.1.20"); // undefined: the real address
 * lookup("198.51.100.3"); // "203.0.113.7"
 * ```
 */
export function masqueradeLookup(
  address: string | undefined,
  map: MasqueradeAddressMap = {},
): (client: string) => string | undefined {
  const entries: { network: IpNetwork; value: string | undefined }[] = [];
  for (const value of [address, ...Object.values(map)]) {
    if (typeof value === "string" && parseIp(value)?.length !== 4) {
      throw new TypeError(`masquerade address must be an IPv4 address, got "${value}"`);
    }
  }
  for (const [key, value] of Object.entries(map)) {
    const networks = key === "private" ? PRIVATE_NETWORKS : [parseNetwork(key)];
    for (const network of networks) entries.push({ network, value: value ?? undefined });
  }
  entries.sort((a, b) => b.network.prefix - a.network.prefix);
  return (client) => {
    const entry = entries.find(({ network }) => inNetwork(client, network));
    return entry ? entry.value : address;
  };
}
