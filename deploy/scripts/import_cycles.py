"""Print every import circle among the platform's modules (largest first), for `make import-report`.

A circle is a set of modules each of which reaches every other one through imports, counting
imports made inside functions (grimp, the graph import-linter checks contracts on). Exit 0
always: a report; the layers contract in .importlinter (`make lint`) is the gate.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "accounts", "api", "audit", "benchmarks", "console", "evaluator", "forgerybench_cli",
    "forgerybench_site", "leaderboards", "lib", "notifications", "ops", "review", "runagent",
    "runs", "submissions",
)  # fmt: skip


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of two or more modules (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if ".migrations" not in m)
    known = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & known) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in modules:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            for i in range(position, len(edges[node])):
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((node, i + 1))
                    work.append((nxt, 0))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return sorted(found, key=lambda c: (-len(c), c))


def main() -> int:
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    graph = grimp.build_graph(*PACKAGES)
    found = circles(graph)
    print(f"{len(found)} import circle(s)")
    for component in found:
        print(f"\n{len(component)} modules:")
        for module in component:
            print(f"  {module}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
