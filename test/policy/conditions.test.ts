import { describe, expect, it } from "vitest";
import { limitArgKey, MISSING, resolvePath } from "../../src/policy/conditions.ts";
import { decide } from "../../src/policy/evaluate.ts";
import { HEAD, policyOf } from "./helpers.ts";

/** A policy with one deny rule on tool "t" whose `when` is the given flow mapping. */
function denyWhen(when: string) {
  const policy = policyOf(`${HEAD}  t:\n    action: deny\n    when: ${when}\n`);
  return (args: unknown, agent = "anonymous") => decide(policy, { tool: "t", args, agent }).action === "deny";
}

describe("operators", () => {
  it("eq compares with === and no coercion", () => {
    const holds = denyWhen('{ args.x: { eq: "5" } }');
    expect(holds({ x: "5" })).toBe(true);
    expect(holds({ x: 5 })).toBe(false);
    expect(denyWhen("{ args.x: { eq: null } }")({ x: null })).toBe(true);
    expect(denyWhen("{ args.x: { eq: true } }")({ x: "true" })).toBe(false);
  });
  it("neq holds for a present different value only", () => {
    const holds = denyWhen("{ args.x: { neq: guest } }");
    expect(holds({ x: "root" })).toBe(true);
    expect(holds({ x: "guest" })).toBe(false);
    expect(holds({})).toBe(false);
  });
  it("in and not_in test membership with ===", () => {
    const isIn = denyWhen("{ args.x: { in: [a, 1, null] } }");
    expect(isIn({ x: "a" })).toBe(true);
    expect(isIn({ x: 1 })).toBe(true);
    expect(isIn({ x: null })).toBe(true);
    expect(isIn({ x: "1" })).toBe(false);
    const notIn = denyWhen("{ args.x: { not_in: [a, b] } }");
    expect(notIn({ x: "c" })).toBe(true);
    expect(notIn({ x: "a" })).toBe(false);
    expect(notIn({})).toBe(false);
  });
  it("lt, lte, gt, gte compare numbers only", () => {
    expect(denyWhen("{ args.n: { lt: 10 } }")({ n: 9 })).toBe(true);
    expect(denyWhen("{ args.n: { lt: 10 } }")({ n: 10 })).toBe(false);
    expect(denyWhen("{ args.n: { lte: 10 } }")({ n: 10 })).toBe(true);
    expect(denyWhen("{ args.n: { gt: 10 } }")({ n: 10.5 })).toBe(true);
    expect(denyWhen("{ args.n: { gt: 10 } }")({ n: 10 })).toBe(false);
    expect(denyWhen("{ args.n: { gte: 10 } }")({ n: 10 })).toBe(true);
    expect(denyWhen("{ args.n: { gt: 10 } }")({ n: "5000" })).toBe(false);
    expect(denyWhen("{ args.n: { gt: 10 } }")({ n: [50] })).toBe(false);
  });
  it("several operators on one key must all hold", () => {
    const holds = denyWhen("{ args.n: { gt: 1, lt: 10 } }");
    expect(holds({ n: 5 })).toBe(true);
    expect(holds({ n: 10 })).toBe(false);
    expect(holds({ n: 0 })).toBe(false);
  });
  it("every key must hold", () => {
    const holds = denyWhen("{ args.a: { eq: 1 }, args.b: { eq: 2 } }");
    expect(holds({ a: 1, b: 2 })).toBe(true);
    expect(holds({ a: 1, b: 3 })).toBe(false);
  });
  it("regex searches strings (unanchored, unicode mode) and never matches other types", () => {
    const holds = denyWhen('{ args.s: { regex: "^adm.n$" } }');
    expect(holds({ s: "admin" })).toBe(true);
    expect(holds({ s: "xadmin" })).toBe(false);
    expect(denyWhen('{ args.s: { regex: "adm" } }')({ s: "xadmx" })).toBe(true);
    expect(denyWhen('{ args.s: { regex: "1" } }')({ s: 1 })).toBe(false);
    expect(denyWhen('{ args.s: { regex: "^.$" } }')({ s: "😀" })).toBe(true);
  });
  it("an empty regex denies any string: the idiom against numbers sent as text", () => {
    const holds = denyWhen('{ args.n: { regex: "" } }');
    expect(holds({ n: "5000" })).toBe(true);
    expect(holds({ n: 5000 })).toBe(false);
  });
  it("contains is a substring test on strings and element equality on arrays", () => {
    const holds = denyWhen("{ args.v: { contains: prod } }");
    expect(holds({ v: "eu-prod-1" })).toBe(true);
    expect(holds({ v: "staging" })).toBe(false);
    expect(holds({ v: ["dev", "prod"] })).toBe(true);
    expect(holds({ v: ["production"] })).toBe(false);
    expect(holds({ v: { prod: 1 } })).toBe(false);
    expect(denyWhen("{ args.v: { contains: 3 } }")({ v: [1, 3] })).toBe(true);
    expect(denyWhen("{ args.v: { contains: 3 } }")({ v: "123" })).toBe(false);
  });
  it("exists tells present (null included) from missing", () => {
    const present = denyWhen("{ args.x: { exists: true } }");
    const absent = denyWhen("{ args.x: { exists: false } }");
    expect(present({ x: null })).toBe(true);
    expect(present({})).toBe(false);
    expect(absent({})).toBe(true);
    expect(absent(undefined)).toBe(true);
    expect(absent({ x: 0 })).toBe(false);
  });
});

describe("missing and nested paths", () => {
  it("a missing path makes every operator false except exists: false", () => {
    const ops = [
      "eq: 1",
      "neq: 1",
      "in: [1]",
      "not_in: [1]",
      "lt: 1",
      "lte: 1",
      "gt: 1",
      "gte: 1",
      'regex: ""',
      "contains: 1",
    ];
    for (const op of ops) expect(denyWhen(`{ args.x: { ${op} } }`)({}), op).toBe(false);
    expect(denyWhen("{ args.x: { exists: false } }")({})).toBe(true);
  });
  it("walks nested objects and arrays by numeric segments", () => {
    const holds = denyWhen("{ args.user.roles.1: { eq: admin } }");
    expect(holds({ user: { roles: ["dev", "admin"] } })).toBe(true);
    expect(holds({ user: { roles: ["admin"] } })).toBe(false);
    expect(holds({ user: "admin" })).toBe(false);
    expect(holds({ user: null })).toBe(false);
  });
  it("accepts only canonical array indexes", () => {
    expect(resolvePath({ a: ["x", "y"] }, ["a", "01"])).toBe(MISSING);
    expect(resolvePath({ a: ["x", "y"] }, ["a", "length"])).toBe(MISSING);
    expect(resolvePath({ a: ["x", "y"] }, ["a", "1"])).toBe("y");
    expect(resolvePath(["x"], ["0"])).toBe("x");
  });
  it("follows own properties only, so prototype names cannot inject values", () => {
    expect(resolvePath({}, ["constructor"])).toBe(MISSING);
    expect(resolvePath({}, ["toString"])).toBe(MISSING);
    expect(resolvePath({}, ["__proto__"])).toBe(MISSING);
    expect(resolvePath({ a: {} }, ["a", "constructor", "name"])).toBe(MISSING);
    expect(denyWhen("{ args.constructor: { exists: true } }")({})).toBe(false);
    expect(denyWhen("{ args.constructor: { exists: false } }")({})).toBe(true);
  });
  it("reads a __proto__ key the caller really sent (JSON.parse makes it an own property)", () => {
    const args = JSON.parse('{"__proto__": {"admin": true}}');
    expect(resolvePath(args, ["__proto__", "admin"])).toBe(true);
    expect(denyWhen("{ args.__proto__.admin: { eq: true } }")(args)).toBe(true);
    expect(denyWhen("{ args.admin: { eq: true } }")(args)).toBe(false);
  });
  it("ignores a polluted Object.prototype", () => {
    const holds = denyWhen("{ args.polluted: { eq: yes } }");
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = "yes";
    try {
      expect(holds({})).toBe(false);
    } finally {
      delete proto.polluted;
    }
  });
});

describe("agent conditions", () => {
  it("test the principal's name", () => {
    const holds = denyWhen("{ agent: { in: [intern, guest] } }");
    expect(holds({}, "intern")).toBe(true);
    expect(holds({}, "ops")).toBe(false);
    expect(denyWhen('{ agent: { regex: "^ci-" } }')({}, "ci-42")).toBe(true);
  });
});

describe("limitArgKey", () => {
  it("keys by the argument's JSON text, or (none) when absent", () => {
    expect(limitArgKey({ b: "x" }, "b")).toBe('"x"');
    expect(limitArgKey({ b: 1 }, "b")).toBe("1");
    expect(limitArgKey({ b: "(none)" }, "b")).not.toBe(limitArgKey({}, "b"));
    expect(limitArgKey({}, "b")).toBe("(none)");
    expect(limitArgKey({ a: { b: [7] } }, "a.b.0")).toBe("7");
  });
});
