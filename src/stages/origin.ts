/**
 * Stage 1 — origin. DNS-rebinding protection (MCP spec, transports: "Servers MUST validate the
 * Origin header"). A web page on a foreign origin must not be able to drive an agent's tools
 * through a browser, and a rebinding attacker's hostname must not reach a proxy serving on
 * localhost. Runs first: it needs nothing but headers and refuses before anything else runs.
 */
import type { Config } from "../config.ts";
import type { Refusal } from "../errors.ts";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Whether a hostname (no port) names the loopback interface. */
export function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(name) || name.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function hostnameOf(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return "";
  }
}

/** Whether a browser on `origin` may call the proxy. Same-origin and configured origins may. */
export function isOriginAllowed(origin: string, requestUrl: URL, config: Config): boolean {
  if (config.allowAnyOrigin || config.allowedOrigins.has(origin)) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin === requestUrl.origin) return true;
  return config.loopbackOnly && isLoopbackHostname(parsed.hostname);
}

/**
 * Checks `Origin` (when present) and, when serving locally, `Host`. Returns a refusal, or
 * `undefined` when the request may go on.
 */
export function checkOrigin(request: Request, config: Config): Refusal | undefined {
  const url = new URL(request.url);
  if (config.loopbackOnly) {
    const host = request.headers.get("Host") ?? url.host;
    if (!isLoopbackHostname(hostnameOf(host))) return { kind: "host_forbidden", host };
  }
  const origin = request.headers.get("Origin");
  if (origin !== null && !isOriginAllowed(origin, url, config)) return { kind: "origin_forbidden", origin };
  return undefined;
}
