import { describe, expect, it } from "vitest";
import { changesTasks, chipFor } from "./chips";

const call = (name: string, args: Record<string, unknown>, result: unknown) => ({ name, arguments: args, result });

describe("chipFor", () => {
  it.each([
    ["an added task shows its title", call("add_task", { title: "Buy milk" }, { task_id: 1, status: "created", title: "Buy milk" }), "added: Buy milk"],
    ["a completed task shows its title", call("complete_task", { task_id: 1 }, { task_id: 1, status: "completed", title: "Buy milk" }), "completed: Buy milk"],
    ["a deleted task shows its title", call("delete_task", { task_id: 2 }, { task_id: 2, status: "deleted", title: "Old" }), "deleted: Old"],
    ["a listing counts the tasks", call("list_tasks", { status: "all" }, { tasks: [{}, {}, {}] }), "listed 3 tasks"],
    ["a listing of one is singular", call("list_tasks", {}, { tasks: [{}] }), "listed 1 task"],
    ["an empty listing says so", call("list_tasks", {}, { tasks: [] }), "listed no tasks"],
    ["an update that completes says completed", call("update_task", { task_id: 3, completed: true }, { task_id: 3, status: "completed", title: "Pay rent" }), "completed: Pay rent"],
    ["an update says updated", call("update_task", { task_id: 3, title: "Pay rent" }, { task_id: 3, status: "updated", title: "Pay rent" }), "updated: Pay rent"],
    ["a result without a title falls back to the argument", call("add_task", { title: "Call mum" }, { task_id: 9, status: "created" }), "added: Call mum"],
    ["no title at all names the task id", call("complete_task", { task_id: 42 }, { task_id: 42, status: "completed" }), "completed: task 42"],
  ])("%s", (_name, input, label) => {
    expect(chipFor(input)).toEqual({ label, tone: "ok" });
  });

  it("marks a failed tool call as an error with its message", () => {
    expect(chipFor(call("complete_task", { task_id: 7 }, { error: "Task 7 not found" }))).toEqual({
      label: "complete task failed: Task 7 not found",
      tone: "error",
    });
  });

  it("names an unknown tool plainly", () => {
    expect(chipFor(call("archive_everything", {}, {})).label).toBe("archive everything");
  });

  it("reloads the task panel for everything but listing", () => {
    expect(changesTasks(call("list_tasks", {}, {}))).toBe(false);
    expect(changesTasks(call("add_task", {}, {}))).toBe(true);
  });
});
