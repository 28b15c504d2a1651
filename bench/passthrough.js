/**
 * The bare pass-through Worker the proxy is compared with: every request goes to UPSTREAM_URL
 * (plus the request's query string) with its method, headers and body, and the upstream's
 * response comes back as it is. No routing, no parsing, no policy.
 */
export default {
  async fetch(request, env) {
    const target = new URL(env.UPSTREAM_URL);
    target.search = new URL(request.url).search;
    const headers = new Headers(request.headers);
    headers.delete("Host");
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    return fetch(target, { method: request.method, headers, body: hasBody ? request.body : null });
  },
};
