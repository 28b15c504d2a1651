/**
 * The client side of the measurements, on undici (keep-alive connections, no per-request setup):
 * sequential latency, throughput at N concurrent connections, a large streamed result (time to
 * first byte, total time), and per-event latency of an SSE progress stream. Times come from
 * process.hrtime (CLOCK_MONOTONIC), which the upstream process uses too.
 */
import { Client, Pool } from "undici";

export const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-06-18",
};

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** A JSON-RPC request body. */
export function rpc(method, params, id = 1) {
  return JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
}

/** `_meta` that asks the bench upstream for an SSE answer (it travels in the judged message). */
export const SSE = { "bench/mode": "sse" };

export const callBody = (name, args = {}, meta = undefined) =>
  rpc("tools/call", { name, arguments: args, ...(meta ? { _meta: meta } : {}) });

export const listBody = (meta = undefined) => rpc("tools/list", meta ? { _meta: meta } : undefined);

function split(url) {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.pathname + parsed.search };
}

/** Sends one request and reads the whole body; returns `{ status, text }`. */
export async function once(url, body) {
  const { origin, path } = split(url);
  const client = new Client(origin);
  try {
    const response = await client.request({ path, method: "POST", headers: HEADERS, body });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  } finally {
    await client.close();
  }
}

async function roundTrip(dispatcher, path, body) {
  const response = await dispatcher.request({ path, method: "POST", headers: HEADERS, body });
  let bytes = 0;
  for await (const chunk of response.body) bytes += chunk.length;
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode} from ${path}`);
  return bytes;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

/** `count` requests one after another on one keep-alive connection, after `warmup` unmeasured ones. */
export async function sequential(url, body, { warmup, count }) {
  const { origin, path } = split(url);
  const client = new Client(origin, { keepAliveTimeout: 60_000 });
  try {
    for (let i = 0; i < warmup; i++) await roundTrip(client, path, body);
    const samples = new Array(count);
    for (let i = 0; i < count; i++) {
      const start = nowMs();
      await roundTrip(client, path, body);
      samples[i] = nowMs() - start;
    }
    return summarize(samples);
  } finally {
    await client.close();
  }
}

/** Requests per second with `connections` keep-alive connections each sending back to back for `seconds`. */
export async function throughput(url, body, { connections, seconds }) {
  const { origin, path } = split(url);
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    // Open every connection before the clock starts.
    await Promise.all(Array.from({ length: connections }, () => roundTrip(pool, path, body)));
    const start = nowMs();
    const deadline = start + seconds * 1000;
    const latencies = [];
    let errors = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (nowMs() < deadline) {
          const sent = nowMs();
          try {
            await roundTrip(pool, path, body);
            latencies.push(nowMs() - sent);
          } catch {
            errors++;
          }
        }
      }),
    );
    const elapsed = (nowMs() - start) / 1000;
    const { p50, p99 } = summarize(latencies);
    return { rps: latencies.length / elapsed, p50, p99, errors, requests: latencies.length };
  } finally {
    await pool.close();
  }
}

/**
 * One large response: time to the first body byte and to the last, and the byte count. `during`
 * is called every ~2 ms while the body streams (memory sampling).
 */
export async function streamOnce(url, body, during) {
  const { origin, path } = split(url);
  const client = new Client(origin, { bodyTimeout: 120_000 });
  const timer = during ? setInterval(during, 2) : undefined;
  try {
    const start = nowMs();
    const response = await client.request({ path, method: "POST", headers: HEADERS, body });
    let first;
    let bytes = 0;
    for await (const chunk of response.body) {
      first ??= nowMs();
      bytes += chunk.length;
    }
    const end = nowMs();
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
    return { ttfbMs: first - start, totalMs: end - start, bytes };
  } finally {
    if (timer) clearInterval(timer);
    await client.close();
  }
}

/**
 * One SSE progress stream: for each notifications/progress event, arrival time (when its chunk
 * was read) minus the upstream's send time carried in the event. Returns the per-event delays (ms).
 */
export async function progressOnce(url, events, intervalMs) {
  const { origin, path } = split(url);
  const client = new Client(origin);
  try {
    const body = rpc("tools/call", {
      name: "bench_progress",
      arguments: { n: events, intervalMs },
      _meta: { progressToken: "p1", ...SSE },
    });
    const response = await client.request({ path, method: "POST", headers: HEADERS, body });
    const delays = [];
    let buffer = "";
    let sawResult = false;
    for await (const chunk of response.body) {
      const arrived = process.hrtime.bigint();
      buffer += chunk.toString("utf8");
      let boundary = buffer.indexOf("\n\n");
      while (boundary !== -1) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const dataLine = block.split("\n").find((line) => line.startsWith("data: "));
        if (dataLine) {
          const message = JSON.parse(dataLine.slice(6));
          if (message.method === "notifications/progress") {
            delays.push(Number(arrived - BigInt(message.params.message)) / 1e6);
          } else if (message.result) sawResult = true;
        }
        boundary = buffer.indexOf("\n\n");
      }
    }
    if (delays.length !== events || !sawResult) {
      throw new Error(`progress stream: ${delays.length}/${events} events, result ${sawResult}`);
    }
    return delays;
  } finally {
    await client.close();
  }
}

export { summarize };
