/**
 * net/guard: the one guard for every URL the runtime fetches on someone's behalf (media, link previews, and what
 * comes later). The host is resolved once, every address must be public unicast (ipaddr.js classifies: loopback,
 * private, link-local, CGNAT, unique-local, IPv4-mapped, NAT64, 6to4, Teredo, multicast, broadcast, reserved, ...
 * are refused), the connection goes to exactly the address that was checked (no second lookup: no DNS rebinding),
 * and each redirect hop is checked the same way.
 */
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch, type RequestInit, type Response } from 'undici';

export interface UrlPolicy {
  /** Allow loopback and private addresses too (an explicit setting; the default refuses them). */
  allowPrivateNetworks: boolean;
  /** Allow loopback addresses (not other private ones): webhooks to n8n on the same host as a loopback-only runtime. */
  allowLoopback?: boolean;
}

export class UrlRefusedError extends Error {}

/** ipaddr.js's range of an address (`unicast` is public); an IPv4-mapped IPv6 address is judged as the IPv4 it maps. */
function rangeOf(address: string): string {
  if (!ipaddr.isValid(address)) return 'invalid';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range();
}

/** Public unicast only. */
export function isPublicAddress(address: string): boolean {
  return rangeOf(address) === 'unicast';
}

function allowed(address: string, policy: UrlPolicy): boolean {
  const range = rangeOf(address);
  return range === 'unicast' || policy.allowPrivateNetworks || (!!policy.allowLoopback && range === 'loopback');
}

export interface ResolvedUrl {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** Resolves the URL's host once and checks every address it has; answers the address to connect to. */
export async function resolveUrl(input: string | URL, policy: UrlPolicy): Promise<ResolvedUrl> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UrlRefusedError(`"${String(input)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UrlRefusedError('only http and https URLs are supported');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : await lookup(host, { all: true }).catch(() => []);
  if (!addresses.length) throw new UrlRefusedError(`the host ${host} does not resolve`);
  if (!addresses.every((a) => allowed(a.address, policy))) throw new UrlRefusedError(`the host ${host} is on a loopback, private or reserved network`);
  return { url, address: addresses[0].address, family: addresses[0].family as 4 | 6 };
}

/** A `lookup` that answers the one address already checked (for node:http and undici connections). */
export function pinnedLookup(target: ResolvedUrl): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as LookupFunction;
}

/** fetch through the guard: every hop resolved, checked and connected to as checked; redirects followed manually. */
export async function guardedFetch(input: string | URL, init: Omit<RequestInit, 'redirect' | 'dispatcher'>, policy: UrlPolicy & { maxRedirects?: number }): Promise<Response> {
  let url: string | URL = input;
  for (let hop = 0; ; hop++) {
    const target = await resolveUrl(url, policy);
    if (target.url.username || target.url.password) throw new UrlRefusedError('URLs with credentials are not fetched');
    // one connection to the checked address, not kept alive for anything else
    const dispatcher = new Agent({ connect: { lookup: pinnedLookup(target) }, pipelining: 0 });
    const response = await fetch(target.url, { ...init, redirect: 'manual', dispatcher });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    if (hop >= (policy.maxRedirects ?? 3)) throw new UrlRefusedError('too many redirects');
    url = new URL(location, target.url);
  }
}
