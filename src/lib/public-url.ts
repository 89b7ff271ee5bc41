/**
 * Which URLs web_fetch may fetch (HTTPS on the default port, no credentials) and, for both
 * web_fetch and LLM provider base URLs (src/llm/provider-url.ts), which hosts are public: neither
 * a non-public address nor a name known to point at one.
 *
 * Names can only be judged by their text. A Worker's fetch() resolves the name itself, and
 * Workers offer no way to pin an address: resolving first (over DNS-over-HTTPS, say) and then
 * fetching would check one answer and connect to another, since the name's owner controls every
 * answer (DNS rebinding). So this refuses private suffixes, the public wildcard-DNS services that
 * map names to any address (`127.0.0.1.nip.io`, `localtest.me`), and names that spell out a
 * non-public IPv4; any other name that resolves to a private address is not caught here.
 * The backstop is Cloudflare's edge, which does not route Worker subrequests into private networks.
 */

/** Host names that only mean something inside a private network. */
const PRIVATE_SUFFIXES = [".localhost", ".local", ".internal", ".localdomain", ".lan", ".home.arpa", ".intranet", ".corp"];

/**
 * Public DNS names that resolve to loopback (localtest.me, lvh.me, …) or to whatever address the
 * name spells (nip.io, sslip.io, …), for themselves and every subdomain.
 */
const WILDCARD_DNS_DOMAINS = [
  "nip.io",
  "sslip.io",
  "xip.io",
  "traefik.me",
  "localtest.me",
  "lvh.me",
  "vcap.me",
  "fuf.me",
  "localho.st",
  "lacolhost.com",
];

/** IPv4 ranges that are not public unicast: [first address, prefix length]. */
const BLOCKED_V4: Array<[string, number]> = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved and broadcast
];

function v4ToNumber(address: string): number | null {
  const parts = address.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function isBlockedV4(value: number): boolean {
  return BLOCKED_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    const start = v4ToNumber(base) ?? 0;
    return value >= start && value < start + size;
  });
}

/** Expands an IPv6 literal (no brackets) to eight 16-bit groups, or null when it is not one. */
function v6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const v4 = v4ToNumber(v4Tail[1] ?? "");
    if (v4 === null) return null;
    text = `${text.slice(0, -(v4Tail[1] ?? "").length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN));
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.some(Number.isNaN) ? null : groups;
}

function isBlockedV6(groups: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, , g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  const embeddedV4 = g6 * 65536 + g7;
  if (zeros(0, 7)) return true; // :: and ::1
  if (zeros(0, 5) && g5 === 0) return true; // IPv4-compatible ::a.b.c.d (deprecated)
  if (zeros(0, 5) && g5 === 0xffff) return isBlockedV4(embeddedV4); // IPv4-mapped ::ffff:0:0/96
  if (zeros(0, 4) && g4 === 0xffff && g5 === 0) return isBlockedV4(embeddedV4); // IPv4-translated ::ffff:0:0:0/96
  if (g0 === 0x64 && g1 === 0xff9b && zeros(2, 6)) return isBlockedV4(embeddedV4); // NAT64 well-known 64:ff9b::/96
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true; // local-use NAT64 64:ff9b:1::/48
  if (g0 === 0x100 && zeros(1, 4)) return true; // discard-only 100::/64
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo 2001::/32: tunnels to an IPv4 (obfuscated) we cannot vouch for
  if (g0 === 0x2001 && g1 === 2 && g2 === 0) return true; // benchmarking 2001:2::/48
  if (g0 === 0x2001 && ((g1 & 0xfff0) === 0x10 || (g1 & 0xfff0) === 0x20)) return true; // ORCHID 2001:10::/28, 2001:20::/28
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x3fff && (g1 & 0xf000) === 0) return true; // documentation 3fff::/20
  if (g0 === 0x2002) return isBlockedV4(g1 * 65536 + g2); // 6to4 carries an IPv4
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local fec0::/10 (deprecated)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/** A non-public IPv4 spelled inside a name, as wildcard DNS services read it: `10.0.0.1.x.io`, `10-0-0-1.x.io`. */
function namesPrivateV4(host: string): boolean {
  const labels = host.split(".");
  for (let i = 0; i + 4 <= labels.length; i += 1) {
    const v4 = v4ToNumber(labels.slice(i, i + 4).join("."));
    if (v4 !== null && isBlockedV4(v4)) return true;
  }
  return labels.some((label) => {
    const dashed = /(?:^|[^\d])(\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(?:$|[^\d])/.exec(label);
    const v4 = dashed ? v4ToNumber((dashed[1] ?? "").replaceAll("-", ".")) : null;
    return v4 !== null && isBlockedV4(v4);
  });
}

/**
 * Why the host of `url` is not a public one, or null when it is: the address policy shared by
 * web_fetch and every outbound URL (the rules are in this file's header).
 */
function addressRefusal(url: URL): string | null {
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) {
    const groups = v6Groups(host.slice(1, -1));
    return groups === null || isBlockedV6(groups) ? "The address is not a public one" : null;
  }
  const v4 = v4ToNumber(host);
  if (v4 !== null) return isBlockedV4(v4) ? "The address is not a public one" : null;
  if (host === "localhost" || PRIVATE_SUFFIXES.some((suffix) => host.endsWith(suffix))) return "The host name is a private one";
  if (WILDCARD_DNS_DOMAINS.some((domain) => host === domain || host.endsWith(`.${domain}`)))
    return "The host name belongs to a wildcard DNS service that points at private addresses";
  if (namesPrivateV4(host)) return "The host name spells out a private address";
  if (!host.includes(".")) return "Single-label host names are not allowed";
  return null;
}

/** Why web_fetch may not fetch a URL, or null when it may: HTTPS on the default port, no credentials, a public host. */
export function refusalReason(url: URL): string | null {
  if (url.protocol !== "https:") return "Only https:// URLs can be fetched";
  if (url.username || url.password) return "URLs with credentials are not allowed";
  if (url.port !== "" && url.port !== "443") return "Only the default HTTPS port (443) is allowed";
  return addressRefusal(url);
}

/**
 * Why an outbound http(s) call to `raw` (a provider, an MCP server, a webhook receiver) is not
 * allowed, or null when it is. With private URLs allowed, any http(s) URL without credentials.
 * Otherwise it must be https (secrets travel in its headers) to a public host by web_fetch's
 * address policy; any port. `hint` names the setting that allows private URLs.
 */
export function outboundUrlRefusal(
  raw: string,
  allowPrivate: boolean,
  hint: string,
  credentialsRefusal = "Must not contain credentials",
): string | null {
  const url = URL.parse(raw);
  if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) return "Must be an http or https URL";
  if (url.username || url.password) return credentialsRefusal;
  if (allowPrivate) return null;
  if (url.protocol !== "https:") return `Must be an https:// URL (${hint})`;
  const refusal = addressRefusal(url);
  return refusal === null ? null : `${refusal} (${hint})`;
}
