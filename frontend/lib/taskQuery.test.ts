import { describe, expect, it } from "vitest";
import { describeQuery, parseTags, taskQueryString } from "./taskQuery";

describe("taskQueryString", () => {
  it("asks for every task, oldest first, in the default view", () => {
    expect(taskQueryString({ view: "all", tag: null, search: "" })).toBe("status=all&limit=200");
  });

  it("turns the planning views into a due window over pending tasks, soonest first", () => {
    const q = new URLSearchParams(taskQueryString({ view: "overdue", tag: null, search: "" }));
    expect(Object.fromEntries(q)).toEqual({ status: "pending", due: "overdue", sort: "due", limit: "200" });
  });

  it("adds the tag and trimmed search words", () => {
    const q = new URLSearchParams(taskQueryString({ view: "today", tag: "work", search: "  batt  " }, 50));
    expect(q.get("tag")).toBe("work");
    expect(q.get("q")).toBe("batt");
    expect(q.get("limit")).toBe("50");
  });

  it("leaves out blank search words", () => {
    expect(taskQueryString({ view: "completed", tag: null, search: "   " })).toBe("status=completed&limit=200");
  });
});

describe("parseTags", () => {
  it("reads tags the way the server stores them", () => {
    expect(parseTags("#Work, home  ##errands,work")).toEqual(["work", "home", "errands"]);
  });

  it("reads nothing from blanks and lone hashes", () => {
    expect(parseTags("  # , ")).toEqual([]);
  });
});

describe("describeQuery", () => {
  it("names the view, tag and words", () => {
    expect(describeQuery({ view: "upcoming", tag: "home", search: "paint" })).toBe("Upcoming · #home · “paint”");
  });
});
