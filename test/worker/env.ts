// The bindings the Workers test pool gives `env` from "cloudflare:workers": the Worker's own.
import type { Env as WorkerEnv } from "../../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
