/**
 * Socket address normalisation shared by the adapters.
 *
 * @module
 */

import type { SocketAddress } from "../port.ts";

const IPV4_MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * Builds a {@link SocketAddress}, reporting an IPv4-mapped IPv6 address
 * (what a dual-stack listener sees for an IPv4 peer) as plain IPv4, so that
 * PASV replies and peer comparisons never see the mapped form.
 *
 * @example
 * ```ts
 * import { toSocketAddress } from "./_address.ts";
 * console.log(toSocketAddress("::ffff:127.0.0.1", 21));
 * // { address: "127.0.0.1", port: 21, family: "IPv4" }
 * ```
 */
export function toSocketAddress(address: string, port: number): SocketAddress {
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped) return { address: mapped[1], port, family: "IPv4" };
  return { address, port, family: address.includes(":") ? "IPv6" : "IPv4" };
}
