import { describe, expect, it } from "vitest";
import { decide } from "../../src/policy/evaluate.ts";
import { parseLimitOverrides } from "../../src/policy/overrides.ts";
import { HEAD, policyOf } from "./helpers.ts";

const policy = policyOf(
  `${HEAD}  create_user: { rate_limit: { max: 10, window: 60, per: agent } }\n  nuke: { action: deny }\n`,
);
const limitOf = (env: Record<string, unknown>) => {
  const result = parseLimitOverrides(policy, env);
  if (!result.ok) throw new Error(result.error);
  return decide(result.value, { tool: "create_user", args: {}, agent: "a" }).limits[0];
};
const errorOf = (env: Record<string, unknown>) => {
  const result = parseLimitOverrides(policy, env);
  if (result.ok) throw new Error("expected an error");
  return result.error;
};

describe("RATE_LIMIT_<ID> overrides", () => {
  it("replaces max and window, keeping per and count", () => {
    expect(limitOf({ RATE_LIMIT_CREATE_USER: "20/5m" })).toEqual({
      ruleId: "CREATE_USER",
      max: 20,
      windowSeconds: 300,
      per: "agent",
      count: "all",
    });
    expect(limitOf({ RATE_LIMIT_CREATE_USER: "20/90" })?.windowSeconds).toBe(90);
    expect(limitOf({ RATE_LIMIT_CREATE_USER: " 7/1h\n" })).toMatchObject({ max: 7, windowSeconds: 3600 });
  });
  it("replaces only max when no window is given (text or a whole number)", () => {
    expect(limitOf({ RATE_LIMIT_CREATE_USER: "3" })).toMatchObject({ max: 3, windowSeconds: 60 });
    expect(limitOf({ RATE_LIMIT_CREATE_USER: 4 })).toMatchObject({ max: 4, windowSeconds: 60 });
  });
  it("ignores other variables and leaves the given policy unchanged", () => {
    expect(limitOf({ UPSTREAM_URL: "http://x", RATE_LIMITS: "1" })?.max).toBe(10);
    limitOf({ RATE_LIMIT_CREATE_USER: "1" });
    expect(decide(policy, { tool: "create_user", args: {}, agent: "a" }).limits[0]?.max).toBe(10);
  });
  it("keeps the compiled hash", () => {
    const result = parseLimitOverrides(policy, { RATE_LIMIT_CREATE_USER: "1" });
    expect(result.ok && result.value.hash).toBe(policy.hash);
  });
  it.each([
    ["", /max "" is not a positive whole number/],
    ["ten", /max "ten" is not a positive whole number/],
    ["0", /max "0"/],
    ["-1/60", /max "-1"/],
    ["1.5", /max "1.5"/],
    ["10/", /window "" is not a duration/],
    ["10/5 minutes", /window "5 minutes" is not a duration/],
    ["10/0s", /window "0s"/],
    ["10/60/60", /window "60\/60"/],
    ["99999999999999999999", /not a positive whole number/],
  ])("fails closed on %j, naming the variable", (value, message) => {
    const error = errorOf({ RATE_LIMIT_CREATE_USER: value });
    expect(error).toMatch(/^RATE_LIMIT_CREATE_USER=/);
    expect(error).toMatch(message);
    expect(error).toMatch(/write "<max>" or "<max>\/<window>"/);
  });
  it("fails closed on a value that is not text", () => {
    expect(errorOf({ RATE_LIMIT_CREATE_USER: true })).toMatch(
      /RATE_LIMIT_CREATE_USER=true: the value is not text/,
    );
    expect(errorOf({ RATE_LIMIT_CREATE_USER: 0 })).toMatch(/RATE_LIMIT_CREATE_USER=0/);
  });
  it("refuses a variable naming no rule (typo protection), listing the rules with limits", () => {
    expect(errorOf({ RATE_LIMIT_CREATE_USERS: "5" })).toBe(
      "RATE_LIMIT_CREATE_USERS: no rule has id CREATE_USERS (rules with a limit: CREATE_USER); fix the name or remove the variable.",
    );
  });
  it("refuses a variable naming a rule without a limit", () => {
    expect(errorOf({ RATE_LIMIT_NUKE: "5" })).toMatch(/rule NUKE has no rate_limit to replace/);
  });
  it("reports every bad variable at once", () => {
    expect(errorOf({ RATE_LIMIT_A: "1", RATE_LIMIT_CREATE_USER: "x" }).split("\n")).toHaveLength(2);
  });
});
