// The bindings the Workers test pool gives `env` from "cloudflare:workers": the Worker's own.
declare namespace Cloudflare {
  interface Env extends import("../../src/env.ts").Env {}
}
