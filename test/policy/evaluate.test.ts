import { describe, expect, it } from "vitest";
import { decide } from "../../src/policy/evaluate.ts";
import { listVisibility } from "../../src/policy/visibility.ts";
import { HEAD, policyOf } from "./helpers.ts";

const call = (tool: string, args: unknown = {}, agent = "anonymous") => ({ tool, args, agent });

describe("which rule decides", () => {
  it("falls back to the default when no rule applies", () => {
    const allow = policyOf(`${HEAD}  x: { action: deny }\n`);
    expect(decide(allow, call("other"))).toMatchObject({ action: "allow", ruleId: "default", matched: [] });
    const deny = policyOf("version: 1\ndefault: deny\ntools:\n  x: { action: allow }\n");
    expect(decide(deny, call("other"))).toMatchObject({ action: "deny", ruleId: "default" });
    expect(decide(deny, call("x"))).toMatchObject({ action: "allow", ruleId: "X" });
  });
  it("uses the default when rules match the name but their conditions fail", () => {
    const policy = policyOf("version: 1\ndefault: deny\ntools:\n  x: { when: { args.ok: { eq: true } } }\n");
    expect(decide(policy, call("x", { ok: true })).action).toBe("allow");
    expect(decide(policy, call("x", { ok: false }))).toMatchObject({ action: "deny", ruleId: "default" });
  });
  it("picks the strictest applying rule: hide > deny > require_approval > allow", () => {
    const policy = policyOf(
      `${HEAD}  "*": { action: allow }\n  "t_*": { action: require_approval }\n  "t_d*": { action: deny }\n  t_dh: { action: hide }\n`,
    );
    expect(decide(policy, call("x")).action).toBe("allow");
    expect(decide(policy, call("t_x")).action).toBe("require_approval");
    expect(decide(policy, call("t_dx")).action).toBe("deny");
    expect(decide(policy, call("t_dh"))).toMatchObject({
      action: "hide",
      ruleId: "T_DH",
      matched: ["_", "T__", "T_D_", "T_DH"],
    });
  });
  it("among equally strict rules, an exact-name rule decides before a glob", () => {
    const policy = policyOf(
      `${HEAD}  "t*": { action: deny, reason: glob }\n  t: { action: deny, reason: exact }\n`,
    );
    expect(decide(policy, call("t"))).toMatchObject({ ruleId: "T", reason: "exact", matched: ["T_", "T"] });
  });
  it("breaks remaining ties by policy order and reports every applying rule", () => {
    const policy = policyOf(
      `${HEAD}  t:\n    - { action: deny, reason: first }\n    - { action: deny, reason: second }\n`,
    );
    expect(decide(policy, call("t"))).toMatchObject({ ruleId: "T", reason: "first", matched: ["T", "T_2"] });
  });
  it("an allow does not override a deny (exact rule and glob together)", () => {
    const policy = policyOf(
      `${HEAD}  "delete_*": { action: deny, reason: no deletes }\n  delete_user: { action: allow }\n`,
    );
    expect(decide(policy, call("delete_user"))).toMatchObject({
      action: "deny",
      ruleId: "DELETE__",
      reason: "no deletes",
    });
  });
  it("gives a reason for default deny", () => {
    const policy = policyOf("version: 1\ndefault: deny\n");
    expect(decide(policy, call("x")).reason).toMatch(/default is deny/);
  });
});

describe("limits", () => {
  const policy = policyOf(
    `${HEAD}  "*": { rate_limit: { max: 100, window: 1h, per: global } }\n` +
      "  create_user: { rate_limit: { max: 10, window: 60 }, reason: ten a minute }\n" +
      "  reboot: { action: require_approval }\n" +
      "  nuke: { action: deny }\n" +
      "  cfg: { rate_limit: { max: 3, window: 5m, per: args.b.id, count: success } }\n",
  );
  it("returns every limit of every applying rule", () => {
    const decision = decide(policy, call("create_user"));
    expect(decision).toMatchObject({ action: "allow", ruleId: "CREATE_USER", reason: "ten a minute" });
    expect(decision.limits).toEqual([
      { ruleId: "_", max: 100, windowSeconds: 3600, per: "global", count: "all" },
      { ruleId: "CREATE_USER", max: 10, windowSeconds: 60, per: "session", count: "all" },
    ]);
    expect(decide(policy, call("cfg")).limits[1]).toEqual({
      ruleId: "CFG",
      max: 3,
      windowSeconds: 300,
      per: { arg: "b.id" },
      count: "success",
    });
  });
  it("keeps limits for require_approval and drops them for deny", () => {
    expect(decide(policy, call("reboot")).limits.map((limit) => limit.ruleId)).toEqual(["_"]);
    expect(decide(policy, call("nuke")).limits).toEqual([]);
  });
  it("hands out frozen decisions, so callers cannot change the next one", () => {
    const decision = decide(policy, call("create_user"));
    expect(Object.isFrozen(decision)).toBe(true);
    expect(Object.isFrozen(decision.limits)).toBe(true);
    expect(Object.isFrozen(decision.limits[0])).toBe(true);
  });
});

describe("listVisibility", () => {
  it("hides tools a hide rule applies to, for the agents it names", () => {
    const policy = policyOf(
      `${HEAD}  debug: { action: hide }\n  ops: { action: hide, when: { agent: { neq: admin } } }\n`,
    );
    expect(listVisibility(policy, "debug", "x")).toBe("hidden");
    expect(listVisibility(policy, "ops", "x")).toBe("hidden");
    expect(listVisibility(policy, "ops", "admin")).toBe("visible");
    expect(listVisibility(policy, "other", "x")).toBe("visible");
  });
  it("shows denied tools unless hide_denied is on", () => {
    const policy = policyOf(`${HEAD}  nuke: { action: deny }\n`);
    expect(listVisibility(policy, "nuke", "x")).toBe("visible");
  });
  it("with hide_denied, hides only tools denied whatever their arguments", () => {
    const policy = policyOf(
      "version: 1\ndefault: allow\nhide_denied: true\ntools:\n" +
        "  nuke: { action: deny }\n" +
        "  big: { action: deny, when: { args.n: { gt: 5 } } }\n" +
        "  ci: { action: deny, when: { agent: { regex: '^ci-' } } }\n" +
        "  both:\n    - { action: deny }\n    - { action: allow }\n",
    );
    expect(listVisibility(policy, "nuke", "x")).toBe("hidden");
    expect(listVisibility(policy, "both", "x")).toBe("hidden");
    expect(listVisibility(policy, "big", "x")).toBe("visible");
    expect(listVisibility(policy, "ci", "ci-1")).toBe("hidden");
    expect(listVisibility(policy, "ci", "human")).toBe("visible");
  });
  it("with hide_denied and default deny, hides tools no allow rule could apply to", () => {
    const policy = policyOf(
      "version: 1\ndefault: deny\nhide_denied: true\ntools:\n" +
        "  open: { action: allow }\n" +
        "  maybe: { action: allow, when: { args.n: { lt: 5 } } }\n" +
        "  approve: { action: require_approval }\n" +
        "  admins: { action: allow, when: { agent: { eq: admin } } }\n" +
        "  limited: { action: deny, when: { args.n: { gt: 5 } } }\n",
    );
    expect(listVisibility(policy, "open", "x")).toBe("visible");
    expect(listVisibility(policy, "maybe", "x")).toBe("visible");
    expect(listVisibility(policy, "approve", "x")).toBe("visible");
    expect(listVisibility(policy, "admins", "admin")).toBe("visible");
    expect(listVisibility(policy, "admins", "x")).toBe("hidden");
    expect(listVisibility(policy, "limited", "x")).toBe("hidden");
    expect(listVisibility(policy, "unknown", "x")).toBe("hidden");
  });
  it("agrees with decide for tools without argument conditions", () => {
    const policy = policyOf(
      "version: 1\ndefault: deny\nhide_denied: true\ntools:\n  a: { action: allow }\n  h: { action: hide }\n",
    );
    for (const tool of ["a", "h", "zz"]) {
      const action = decide(policy, call(tool)).action;
      const refused = action === "deny" || action === "hide";
      expect(listVisibility(policy, tool, "x")).toBe(refused ? "hidden" : "visible");
    }
  });
});

describe("many names", () => {
  it("keeps deciding correctly past the memo bound for unknown names", () => {
    const policy = policyOf(`${HEAD}  "x_*": { action: deny }\n`);
    for (let i = 0; i < 3000; i++) {
      expect(decide(policy, call(`x_${i}`)).action).toBe("deny");
      expect(decide(policy, call(`y_${i}`)).action).toBe("allow");
    }
    expect(policy.memo.size).toBeLessThanOrEqual(1024);
  });
});
