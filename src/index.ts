/** The Worker's entry point: the HTTP app and the Durable Object classes it binds. */
import { app } from "./app.ts";
import type { Env } from "./env.ts";

export { DemoUpstream } from "./demo/upstream.ts";
export { Keyring } from "./keys/keyring.ts";
export { Limiter } from "./limiter/limiter.ts";

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
