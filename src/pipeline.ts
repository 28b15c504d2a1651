/**
 * The request pipeline of DESIGN §2, as straight-line code. Each stage decides one thing and
 * either hands the next stage its context or ends the request with a refusal. The order is the
 * contract:
 *
 *  1. origin   — first, because it needs only headers and a rebinding attacker must learn nothing;
 *  2. identify — before the body is read, so an unauthenticated caller cannot make us parse 4 MiB;
 *     session  — a bound session id must belong to the caller (404 otherwise), still before the body;
 *  3. parse    — size, media type, JSON, JSON-RPC shape: nothing is judged that isn't well-formed;
 *  4. decide   — mirrored headers checked against the body, then each tools/call judged (pure);
 *  5. enforce  — refused calls answered here; only then, for allowed calls with limits, do the
 *                limiter Durable Objects wake;
 *  6. forward  — the judged messages, re-serialized, and the upstream's answer streamed back;
 *  7. inspect  — tools/list results filtered, `count: success` refunds settled; all else untouched.
 *
 * GET (the server-to-client stream) and DELETE (end of session) run stages 1, 2 and 6 (and GET, 7).
 */
import { activePolicy } from "./active-policy.ts";
import type { Config } from "./config.ts";
import type { Env } from "./env.ts";
import { refusalResponse } from "./errors.ts";
import { answersResponse, mergeAnswers } from "./http/answers.ts";
import { keepAlive } from "./http/sse.ts";
import { type ProxyKeys, proxyKeys } from "./keys/keys.ts";
import { releaseAll } from "./limiter/client.ts";
import { logDecision } from "./log.ts";
import type { Result } from "./result.ts";
import { checkMirroredHeaders, decideAll, type Judgement } from "./stages/decide.ts";
import { refuseByPolicy, split } from "./stages/enforce.ts";
import { forward, upstreamUrlFor } from "./stages/forward.ts";
import { identify } from "./stages/identify.ts";
import { inspectToolsList, toolsListIds } from "./stages/inspect.ts";
import { enforceLimits, type LimitOutcome } from "./stages/limits.ts";
import { checkOrigin } from "./stages/origin.ts";
import { errorIdOf, parseBody } from "./stages/parse.ts";
import { bindSessionHeader, upstreamSessionId } from "./stages/session.ts";
import { settleRefunds } from "./stages/settle.ts";

/** Who is calling, with the keys that bind its session and the upstream session it may use. */
interface Caller {
  agent: string;
  keys: ProxyKeys;
  /** The upstream's own session id (unwrapped from the bound one), or null. */
  session: string | null;
}

/** Stages 1, 2 and 2½, shared by every method: origin, identify, session. */
async function admit(request: Request, env: Env, config: Config): Promise<Result<Caller, Response>> {
  const originRefusal = checkOrigin(request, config);
  if (originRefusal) return { ok: false, error: refusalResponse(originRefusal) };

  const principal = await identify(request, config);
  if (!principal.ok) return { ok: false, error: refusalResponse(principal.error) };
  const agent = principal.value.name;
  const keys = await proxyKeys(env);
  if (!keys.ok)
    return { ok: false, error: refusalResponse({ kind: "keys_unavailable", detail: keys.error }) };
  const session = await upstreamSessionId(request, keys.value.session, agent);
  if (!session.ok) return { ok: false, error: refusalResponse(session.error) };
  return { ok: true, value: { agent, keys: keys.value, session: session.value } };
}

/** Handles `POST /mcp`: one JSON-RPC message or a batch. */
export async function handlePost(
  request: Request,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  config: Config,
): Promise<Response> {
  const started = Date.now();
  const caller = await admit(request, env, config);
  if (!caller.ok) return caller.error;
  const { agent, keys, session } = caller.value;

  const parsed = await parseBody(request, config);
  if (!parsed.ok) return refusalResponse(parsed.error);
  const errorId = errorIdOf(parsed.value);

  const policy = activePolicy(env);
  if (!policy.ok) return refusalResponse({ kind: "config_invalid", detail: policy.error }, errorId);
  const mirrored = checkMirroredHeaders(request.headers, parsed.value);
  if (!mirrored.ok) return refusalResponse(mirrored.error, errorId);
  const judgement = decideAll(parsed.value, policy.value, agent);

  const refused = refuseByPolicy(judgement, policy.value);
  const limits = await enforceLimits(judgement, refused, {
    env,
    policy: policy.value,
    agent,
    session,
  });
  logJudgement(judgement, limits, request, agent, policy.value.shortHash, started, keys.logs, ctx);
  const enforced = split(parsed.value, refused);
  if (enforced.forward.length === 0) {
    return answersResponse(enforced.answers, parsed.value.batch, request.headers.get("Mcp-Session-Id"));
  }

  const target = upstreamUrlFor(config);
  const body = JSON.stringify(parsed.value.batch ? enforced.forward : enforced.forward[0]);
  const refund = (placed: Parameters<typeof releaseAll>[1]) => ctx.waitUntil(releaseAll(env, placed));
  const forwarded = await forward({ request, target, body, upstreamSessionId: session }, config, env);
  if (!forwarded.ok) {
    for (const placed of limits.refundable.values()) refund(placed);
    return refusalResponse(forwarded.error, errorId);
  }
  await bindSessionHeader(forwarded.value.headers, keys.session, agent);

  const settled = await settleRefunds(forwarded.value, limits.refundable, refund);
  const inspected = await inspectToolsList(settled, toolsListIds(enforced.forward), policy.value, agent);
  const merged = await mergeAnswers(inspected, enforced.answers);
  // A rewritten tools/list answer is short-lived and already passes through JS: no keep-alive.
  return inspected === settled ? keepAlive(merged, config.sseKeepAliveMs) : merged;
}

/** Handles `GET /mcp` (the server-to-client SSE stream) and `DELETE /mcp` (end of session). */
export async function handleStreamOrDelete(request: Request, env: Env, config: Config): Promise<Response> {
  const caller = await admit(request, env, config);
  if (!caller.ok) return caller.error;
  const { agent, keys, session } = caller.value;

  const target = upstreamUrlFor(config);
  const forwarded = await forward({ request, target, body: null, upstreamSessionId: session }, config, env);
  if (!forwarded.ok) return refusalResponse(forwarded.error);
  await bindSessionHeader(forwarded.value.headers, keys.session, agent);
  if (request.method !== "GET") return keepAlive(forwarded.value, config.sseKeepAliveMs);
  // A resumed GET stream may replay a tools/list answer: it is filtered like the original.
  const policy = activePolicy(env);
  if (!policy.ok) {
    await forwarded.value.body?.cancel();
    return refusalResponse({ kind: "config_invalid", detail: policy.error });
  }
  const inspected = await inspectToolsList(forwarded.value, "any", policy.value, agent);
  return keepAlive(inspected, config.sseKeepAliveMs);
}

/** One log line per judged call, written after the response is on its way (`waitUntil`). */
function logJudgement(
  judgement: Judgement,
  limits: LimitOutcome,
  request: Request,
  principal: string,
  policy: string,
  started: number,
  logKey: CryptoKey,
  ctx: Pick<ExecutionContext, "waitUntil">,
): void {
  if (judgement.calls.length === 0) return;
  const session = request.headers.get("Mcp-Session-Id");
  const latencyMs = Date.now() - started;
  const lines = judgement.calls.map((call) => {
    const limited = limits.refusedAs.get(call.index);
    return logDecision(
      {
        principal,
        session,
        tool: call.tool,
        action: limited?.action ?? call.decision.action,
        ruleId: call.decision.ruleId,
        policy,
        args: call.args,
        latencyMs,
        ...(limited?.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: limited.retryAfterSeconds }),
      },
      logKey,
    );
  });
  ctx.waitUntil(Promise.all(lines));
}
