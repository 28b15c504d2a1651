import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/policy/compile.ts";
import { compileOk, errorsOf } from "./helpers.ts";

/** Policy text from lines, so expected line numbers are easy to read. */
const lines = (...text: string[]) => `${text.join("\n")}\n`;
const head = ["version: 1", "default: allow", "tools:"];

describe("compile errors carry file:line:col and say what to change", () => {
  const cases: [string, string, string[], RegExp][] = [
    ["YAML syntax", "policies/test.yaml:5:1", [...head, "  a: [1, 2"], /YAML syntax/],
    [
      "a key twice in one mapping",
      "policies/test.yaml:5:3",
      [...head, "  a: {}", "  a: {}"],
      /already defined above/,
    ],
    ["missing version", "policies/test.yaml:1:1", ["default: allow"], /version is missing; write version: 1/],
    [
      "wrong version",
      "policies/test.yaml:1:10",
      ["version: 2", "default: allow"],
      /version is 2; write version: 1/,
    ],
    [
      "unknown top-level key",
      "policies/test.yaml:3:1",
      ["version: 1", "default: allow", "rules: {}"],
      /unknown key "rules"/,
    ],
    [
      "bad default",
      "policies/test.yaml:2:10",
      ["version: 1", "default: block"],
      /default is "block"; write allow or deny/,
    ],
    [
      "bad hide_denied",
      "policies/test.yaml:3:14",
      ["version: 1", "default: deny", "hide_denied: yes"],
      /true or false/,
    ],
    [
      "tools not a mapping",
      "policies/test.yaml:3:8",
      ["version: 1", "default: deny", "tools: [a]"],
      /tools is a list/,
    ],
    [
      "rule not a mapping",
      "policies/test.yaml:4:6",
      [...head, "  a: deny"],
      /this rule is "deny"; write a rule/,
    ],
    ["empty list", "policies/test.yaml:4:6", [...head, "  a: []"], /empty list of rules/],
    [
      "misspelt key",
      "policies/test.yaml:5:5",
      [...head, "  a:", "    rate_limt: 3"],
      /unknown key "rate_limt" \(did you mean "rate_limit"\?\)/,
    ],
    [
      "bad action",
      "policies/test.yaml:4:16",
      [...head, "  a: { action: block }"],
      /action is "block"; write one of allow, deny/,
    ],
    [
      "rate_limit action without a block",
      "policies/test.yaml:4:16",
      [...head, "  a: { action: rate_limit }"],
      /needs a rate_limit block/,
    ],
    [
      "limit on a deny",
      "policies/test.yaml:6:5",
      [...head, "  a:", "    action: deny", "    rate_limit: { max: 1, window: 1 }"],
      /only counts calls that are allowed/,
    ],
    [
      "max zero",
      "policies/test.yaml:4:27",
      [...head, "  a: { rate_limit: { max: 0, window: 60 } }"],
      /rate_limit.max is 0; write a positive whole number/,
    ],
    [
      "max fraction",
      "policies/test.yaml:4:27",
      [...head, "  a: { rate_limit: { max: 1.5, window: 60 } }"],
      /rate_limit.max is 1.5; write a whole number/,
    ],
    [
      "missing window",
      "policies/test.yaml:4:20",
      [...head, "  a: { rate_limit: { max: 1 } }"],
      /rate_limit.window is missing/,
    ],
    [
      "bad per",
      "policies/test.yaml:4:46",
      [...head, "  a: { rate_limit: { max: 1, window: 1, per: user } }"],
      /rate_limit.per "user" is not a counter/,
    ],
    [
      "bad count",
      "policies/test.yaml:4:48",
      [...head, "  a: { rate_limit: { max: 1, window: 1, count: ok } }"],
      /write all or success/,
    ],
    [
      "when not a mapping",
      "policies/test.yaml:4:14",
      [...head, "  a: { when: [x] }"],
      /when is a list; write conditions/,
    ],
    [
      "bad when key",
      "policies/test.yaml:4:16",
      [...head, "  a: { when: { user: { eq: 1 } } }"],
      /when key "user" is neither agent nor args.<path>; write args.user/,
    ],
    [
      "empty path segment",
      "policies/test.yaml:4:16",
      [...head, "  a: { when: { args..x: { eq: 1 } } }"],
      /neither agent nor args/,
    ],
    [
      "__proto__ as a when key",
      "policies/test.yaml:4:16",
      [...head, "  a: { when: { __proto__: { eq: 1 } } }"],
      /when key "__proto__"/,
    ],
    ["no operator", "policies/test.yaml:4:16", [...head, "  a: { when: { args.x: {} } }"], /has no operator/],
    [
      "unknown operator",
      "policies/test.yaml:4:26",
      [...head, "  a: { when: { args.x: { equals: 1 } } }"],
      /unknown key "equals"; a condition may have only eq/,
    ],
    [
      "gt on a string",
      "policies/test.yaml:4:30",
      [...head, "  a: { when: { args.x: { gt: ten } } }"],
      /when.args.x.gt is "ten"; write a number/,
    ],
    [
      "in without a list",
      "policies/test.yaml:4:30",
      [...head, "  a: { when: { args.x: { in: a } } }"],
      /when.args.x.in is "a"; write a list/,
    ],
    [
      "bad regex",
      "policies/test.yaml:4:33",
      [...head, '  a: { when: { args.x: { regex: "(" } } }'],
      /when.args.x.regex "\(" is not a valid regular expression/,
    ],
    [
      "hide testing args",
      "policies/test.yaml:4:30",
      [...head, "  a: { action: hide, when: { args.x: { eq: 1 } } }"],
      /a hide rule may not test args.x: hiding is decided when tools\/list is answered/,
    ],
    [
      "numeric op on agent",
      "policies/test.yaml:4:29",
      [...head, "  a: { when: { agent: { gt: 1 } } }"],
      /the agent is always a name/,
    ],
    [
      "non-text agent value",
      "policies/test.yaml:4:29",
      [...head, "  a: { when: { agent: { eq: 1 } } }"],
      /agent names are text/,
    ],
    [
      "bad id",
      "policies/test.yaml:4:12",
      [...head, "  a: { id: my-rule }"],
      /id "my-rule" may only use A-Z, 0-9 and _.*write MY_RULE/,
    ],
    [
      "duplicate id",
      "policies/test.yaml:5:8",
      [...head, "  a_b: {}", "  a-b: {}"],
      /rule id A_B is already used by the rule at policies\/test\.yaml:4:8/,
    ],
    ["empty tool key", "policies/test.yaml:4:3", [...head, '  "": {}'], /a tool key is empty/],
    ["no default", "policies/test.yaml:1:1", ["version: 1", "tools: {}"], /no file sets default/],
    ["empty file", "policies/test.yaml:1:1", ["# nothing"], /the file is empty/],
  ];
  for (const [name, where, text, message] of cases) {
    it(name, () => {
      const errors = errorsOf(lines(...text));
      expect(errors[0]).toMatch(new RegExp(`^${where.replaceAll(".", "\\.")}: `));
      expect(errors[0]).toMatch(message);
    });
  }
  it("bad window", () => {
    const errors = errorsOf(
      lines(...head, "  a:", "    rate_limit:", "      max: 1", "      window: 5 minutes"),
    );
    expect(errors).toEqual([
      'policies/test.yaml:7:15: rate_limit.window "5 minutes" is not a duration; write seconds (300) or a number with s, m, h or d ("5m").',
    ]);
  });
  it("reports every error, not just the first", () => {
    const errors = errorsOf(
      lines(...head, "  a: { action: nope }", "  b: { rate_limit: { max: -1, window: 1 } }"),
    );
    expect(errors).toHaveLength(2);
  });
});

describe("several files", () => {
  const a = { path: "policies/a.yaml", text: lines(...head, "  create_user: { action: deny }") };
  it("merges them in the order given", () => {
    const b = { path: "policies/b.yaml", text: lines("version: 1", "tools:", "  x: { action: hide }") };
    const policy = compileOk([a, b]);
    expect(policy.rules.map((rule) => rule.id)).toEqual(["CREATE_USER", "X"]);
    expect(policy.rules[1]?.source).toBe("policies/b.yaml:3:6");
  });
  it("refuses a tool defined in two files, naming both places", () => {
    const b = {
      path: "policies/b.yaml",
      text: lines("version: 1", "tools:", "", "  create_user: { action: allow }"),
    };
    expect(errorsOf([a, b])).toEqual([
      'policies/b.yaml:4:3: tool "create_user" is already defined at policies/a.yaml:4:3; keep its rules in one place (a list of rules under one key).',
    ]);
  });
  it("refuses different defaults, naming both places", () => {
    const b = { path: "policies/b.yaml", text: lines("version: 1", "default: deny") };
    expect(errorsOf([a, b])[0]).toMatch(
      /^policies\/b\.yaml:2:10: default is deny here but allow at policies\/a\.yaml:2:10/,
    );
  });
  it("refuses duplicate ids across files", () => {
    const b = {
      path: "policies/b.yaml",
      text: lines("version: 1", "tools:", "  other: { id: CREATE_USER }"),
    };
    expect(errorsOf([a, b])[0]).toMatch(
      /^policies\/b\.yaml:3:16: rule id CREATE_USER is already used by the rule at policies\/a\.yaml:4:16/,
    );
  });
});

describe("ids", () => {
  it("defaults to the upper-cased key, non-alphanumerics as _, then _2, _3", () => {
    const policy = compileOk(
      lines(...head, '  "reboot_*": {}', "  a.b-c: [{}, {}, {}]", "  x: { id: MINE }"),
    );
    expect(policy.rules.map((rule) => rule.id)).toEqual(["REBOOT__", "A_B_C", "A_B_C_2", "A_B_C_3", "MINE"]);
  });
  it("keeps Cyrillic and Latin look-alikes apart: different tools, different ids", () => {
    const policy = compileOk(lines(...head, "  user_a: {}", "  user_\u0430: {}"));
    expect(policy.rules.map((rule) => [rule.pattern, rule.id])).toEqual([
      ["user_a", "USER_A"],
      ["user_\u0430", "USER__"],
    ]);
  });
});

describe("output", () => {
  const text = lines(
    ...head,
    "  create_user:",
    "    rate_limit: { max: 10, window: 1m }",
    '  "reboot_*": { action: require_approval }',
  );
  it("indexes exact names and globs, with regex sources", () => {
    const policy = compileOk(text);
    expect(policy.tools).toEqual([
      { pattern: "create_user", glob: null, rules: [0] },
      { pattern: "reboot_*", glob: "^(?:reboot_.*)$", rules: [1] },
    ]);
    expect(policy.rules[0]?.limit).toEqual({
      ruleId: "CREATE_USER",
      max: 10,
      windowSeconds: 60,
      per: "session",
      count: "all",
    });
    expect(policy.rules[1]?.action).toBe("require_approval");
  });
  it("accepts action: rate_limit as allow, and allow by default", () => {
    const policy = compileOk(
      lines(...head, "  a: { action: rate_limit, rate_limit: { max: 1, window: 1 } }", "  b: {}"),
    );
    expect(policy.rules.map((rule) => rule.action)).toEqual(["allow", "allow"]);
  });
  it("is plain JSON, and hashes the same whatever the comments and layout", () => {
    const policy = compileOk(text);
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy);
    expect(policy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(policy.shortHash).toBe(policy.hash.slice(0, 16));
    const moved = compileOk(`# a comment\n\n${text.replace("max: 10, window: 1m", "window: 60, max: 10")}`);
    expect(moved.hash).toBe(policy.hash);
    expect(moved.rules[0]?.source).not.toBe(policy.rules[0]?.source);
    const changed = compileOk(text.replace("max: 10", "max: 11"));
    expect(changed.hash).not.toBe(policy.hash);
  });
  it("keeps a tool named __proto__ as an ordinary name", () => {
    const policy = compileOk(lines(...head, "  __proto__: { action: deny }"));
    expect(policy.tools[0]?.pattern).toBe("__proto__");
  });
  it("sorts keys in canonical JSON", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: null }] })).toBe('{"a":[{"c":null,"d":1}],"b":1}');
  });
});
