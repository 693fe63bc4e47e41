import { describe, expect, it } from "vitest";
import { redactor } from "../../src/web/redact.js";

describe("redactor", () => {
  it("replaces every pod name in every string of a value, longest name first", () => {
    const redact = redactor(["http://10.1.2.3:9000", "http://10.1.2.3:9000/pod-a", ""]);
    const v = {
      reason: "eval job 3 failed 2 times; last: pod http://10.1.2.3:9000/pod-a unreachable",
      list: ["http://10.1.2.3:9000 said 401", 7, null, { deep: "http://10.1.2.3:9000" }],
      n: 1,
    };
    expect(redact(v)).toEqual({
      reason: "eval job 3 failed 2 times; last: pod [pod] unreachable",
      list: ["[pod] said 401", 7, null, { deep: "[pod]" }],
      n: 1,
    });
    // The input is left as it was.
    expect(v.list[0]).toBe("http://10.1.2.3:9000 said 401");
  });

  it("returns values unchanged when there is nothing to hide", () => {
    const v = { a: "x" };
    expect(redactor([])(v)).toBe(v);
  });
});
