#!/usr/bin/env python3
"""No circle among the files of src/: `make layering` (part of `make check`).

Two graphs between the modules of src/ (a module is src/NAME.c with its
headers include/cdranon/NAME.h and src/NAME.h), both derived from the code:

  include graph  A -> B when A.c, or a header A.c reaches through other
                 headers, includes a header of B;
  call graph     A -> B when A.o uses a symbol that B.o defines (nm).

A cycle in either graph, or in the two together (A includes B, B calls
A), fails the check, naming the modules of each cycle and the headers or
symbols that close it.  On success it prints the
modules layer by layer, the bottom first (a module's layer is one more
than the highest layer it uses), so that the drawing can be read off.

    scripts/layering.py OBJDIR      (the objects of src/*.c, build/obj)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
INC = os.path.join(ROOT, "include", "cdranon")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules():
    return sorted(f[:-2] for f in os.listdir(SRC) if f.endswith(".c"))


def header_path(name, from_dir):
    """The file an #include "name" names, or None outside the tree."""
    for base in (from_dir, os.path.join(ROOT, "include"), SRC):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    return None


def includes(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = []
    for name in INCLUDE_RE.findall(text):
        p = header_path(name, os.path.dirname(path))
        if p is not None:
            out.append(p)
    return out


def module_of(header, mods):
    """The module a header belongs to: the .c of the same name, if any."""
    name = os.path.splitext(os.path.basename(header))[0]
    return name if name in mods else None


def include_graph(mods):
    """module -> {used module: the header that brings it in}."""
    graph = {}
    for m in mods:
        seen, stack, edges = set(), includes(os.path.join(SRC, m + ".c")), {}
        while stack:
            h = stack.pop()
            if h in seen:
                continue
            seen.add(h)
            u = module_of(h, mods)
            if u is not None and u != m:
                edges.setdefault(u, os.path.relpath(h, ROOT))
            stack.extend(includes(h))
        graph[m] = edges
    return graph


def call_graph(mods, objdir):
    """module -> {used module: one symbol it uses}, from nm."""
    defined, used = {}, {}
    for m in mods:
        obj = os.path.join(objdir, m + ".o")
        if not os.path.isfile(obj):
            sys.exit(f"layering: {obj} missing (build the objects first)")
        out = subprocess.run(["nm", "-P", obj], check=True,
                             capture_output=True, text=True).stdout
        used[m] = set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            sym, kind = parts[0], parts[1]
            if kind == "U":
                used[m].add(sym)
            elif kind in "TDRBCGSVW":
                defined.setdefault(sym, m)
    graph = {}
    for m in mods:
        edges = {}
        for sym in sorted(used[m]):
            d = defined.get(sym)
            if d is not None and d != m:
                edges.setdefault(d, sym)
        graph[m] = edges
    return graph


def cycles(graph):
    """The strongly connected components with more than one module."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def layers(graph):
    level = {}

    def depth(v):
        if v not in level:
            level[v] = 0
            level[v] = 1 + max((depth(w) for w in graph[v]), default=-1)
        return level[v]

    for v in graph:
        depth(v)
    by = {}
    for v, n in level.items():
        by.setdefault(n, []).append(v)
    return [sorted(by[n]) for n in sorted(by)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    mods = modules()
    failed = False
    graphs = (("include", include_graph(mods)),
              ("call", call_graph(mods, sys.argv[1])))
    union = {m: dict(list(graphs[1][1][m].items()) +
                     list(graphs[0][1][m].items())) for m in mods}
    graphs += (("include-or-call", union),)
    for what, graph in graphs:
        for comp in cycles(graph):
            failed = True
            print(f"layering: {what} circle among {', '.join(comp)}:")
            for a in comp:
                for b, why in sorted(graph[a].items()):
                    if b in comp:
                        print(f"  {a} -> {b} ({why})")
    if failed:
        return 1
    print(f"layering: {len(mods)} modules of src/, no include circle, "
          "no call circle, none of the two mixed; layers from the bottom:")
    for n, layer in enumerate(layers(union)):
        print(f"  {n}: {' '.join(layer)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
