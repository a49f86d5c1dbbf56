import { chipFor } from "@/lib/chips";
import type { ToolCall } from "@/lib/types";

export default function ToolChips({ calls }: { calls: ToolCall[] }) {
  if (calls.length === 0) return null;
  return (
    <ul className="chips" aria-label="What the assistant did">
      {calls.map((call, i) => {
        const chip = chipFor(call);
        return (
          <li key={i} className={`chip chip-${chip.tone}`}>
            {chip.label}
          </li>
        );
      })}
    </ul>
  );
}
