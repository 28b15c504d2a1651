/**
 * Stage 6 — forward. Sends the judged messages upstream, re-serialized from the parsed form (so
 * the upstream reads exactly what the policy read), and streams the answer back: upstream status
 * codes unchanged (202, 404 for an unknown session, 405 for an unsupported GET, 401 with
 * `WWW-Authenticate`), SSE marked unbuffered, everything else byte for byte. (Keep-alives are
 * added last, by the pipeline, once the response side has done any rewriting.)
 * An upstream that cannot be reached or does not answer in time becomes a clear 502/504.
 */
import type { Config } from "../config.ts";
import type { Env } from "../env.ts";
import type { Refusal } from "../errors.ts";
import { clientResponseHeaders, upstreamRequestHeaders } from "../http/headers.ts";
import { isEventStream, markUnbuffered } from "../http/sse.ts";
import type { Result } from "../result.ts";

/** The URL the demo upstream's Durable Object is addressed by (never leaves the Worker). */
export const DEMO_UPSTREAM_URL = "https://demo-upstream.invalid/mcp";

/**
 * Maps a path under the proxy to the upstream URL it stands for: `/mcp` → `UPSTREAM_URL`, exactly.
 * The caller's query string is not carried over: the Streamable HTTP transport uses none, and it
 * must not add to or override parameters the operator put in `UPSTREAM_URL` (a tenant, a key).
 */
export function upstreamUrlFor(config: Config, path?: string): URL {
  const base = new URL(config.upstreamUrl ?? DEMO_UPSTREAM_URL);
  return path === undefined ? base : new URL(path, base);
}

export interface ForwardInput {
  request: Request;
  target: URL;
  /** The body to send (already re-serialized), or null for GET/DELETE. */
  body: string | null;
  /** The upstream's session id to send, when it differs from the client's (bound ids). */
  upstreamSessionId?: string | null;
}

/** Sends one request upstream and turns the answer into the client's response. */
export async function forward(
  input: ForwardInput,
  config: Config,
  env: Env,
): Promise<Result<Response, Refusal>> {
  const { credentials } = config;
  const headers = upstreamRequestHeaders(input.request.headers, credentials);
  if (input.body !== null) headers.set("Content-Type", "application/json");
  if (input.upstreamSessionId !== undefined) {
    if (input.upstreamSessionId === null) headers.delete("Mcp-Session-Id");
    else headers.set("Mcp-Session-Id", input.upstreamSessionId);
  }

  const upstream = await fetchWithTimeout(
    input.target,
    { method: input.request.method, headers, body: input.body, redirect: "manual" },
    config,
    env,
  );
  if (!upstream.ok) return upstream;
  const response = upstream.value;

  if (credentials.kind !== "passthrough" && response.status === 401) {
    await response.body?.cancel();
    return { ok: false, error: { kind: "upstream_rejected_credentials", status: response.status } };
  }
  // A client that followed a redirect would talk to the upstream directly, past the policy; with
  // the proxy's own credentials it must not learn where either.
  if (credentials.kind !== "passthrough" && response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    const detail = `it answered with a redirect (HTTP ${response.status}); set UPSTREAM_URL to the final address`;
    return { ok: false, error: { kind: "upstream_unreachable", detail } };
  }

  const outHeaders = clientResponseHeaders(response.headers, credentials);
  if (isEventStream(response.headers)) markUnbuffered(outHeaders);
  const { status, statusText } = response;
  return { ok: true, value: new Response(response.body, { status, statusText, headers: outHeaders }) };
}

async function fetchWithTimeout(
  target: URL,
  init: RequestInit,
  config: Config,
  env: Env,
): Promise<Result<Response, Refusal>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), config.upstreamTimeoutMs);
  });
  const sent =
    config.upstreamUrl === undefined
      ? env.DEMO_UPSTREAM.get(env.DEMO_UPSTREAM.idFromName("demo")).fetch(new Request(target, init))
      : fetch(target, init);
  try {
    const outcome = await Promise.race([sent, timeout]);
    if (outcome === "timeout") {
      // No AbortController: one per request measured ~15% of throughput. The late request needs
      // none: workerd cancels a subrequest still pending when this request's context ends, and
      // should it answer first, its body is discarded.
      sent.then((late) => late.body?.cancel()).catch(() => {});
      return { ok: false, error: { kind: "upstream_timeout", timeoutMs: config.upstreamTimeoutMs } };
    }
    return { ok: true, value: outcome };
  } catch (error) {
    return { ok: false, error: { kind: "upstream_unreachable", detail: describeFetchError(error) } };
  } finally {
    // Only the wait for the response headers is bounded: a stream may then run as long as it likes.
    clearTimeout(timer);
  }
}

function describeFetchError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/refused|ECONNREFUSED/i.test(message)) return "connection refused";
  if (/dns|resolve|ENOTFOUND/i.test(message)) return "the host name could not be resolved";
  return message || "network error";
}
