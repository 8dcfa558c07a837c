#!/usr/bin/env python3
"""Independent checks of `cdranon risk --json` (tests/e2e/test_risk.sh).

    risk_reference.py exhaustive DATA REPORT [--default-points]
    risk_reference.py coverage DATA REPORT...
    risk_reference.py kanon DATA REPORT

DATA is anonymised JSON lines, REPORT the meter's JSON over DATA.  Written
from the definitions in docs/anonymity.md, not from src/risk.c:

The point fields are the report's; with --default-points they must also
be the default ones (every field without a pseudonym value).

- exhaustive: for every trace, every p-subset of its distinct points, the
  traces holding all p points are found by intersecting each point's set
  of traces; the exact unicity at p is the mean over traces (with at
  least p points) of the share of their p-subsets that only they hold.
  The report must match it exactly: the counts of traces, short traces,
  subsets and singling-out subsets, and the mean to rounding.
- coverage: sampled reports (several seeds) against the exact unicity:
  each 95% interval should hold it; at least 90% of the figures
  strictly between 2% and 98% must.
- kanon: the minimum k of every field set in the report, computed by
  pycanon (PyPI) on the same records, must equal the report's.

Values keep their JSON type: the string "1" and the number 1 differ, as
do null and an absent field.  Exits 0 when every check passes.
"""
import json
import re
import sys
from fractions import Fraction
from itertools import combinations

PSEUDONYM = re.compile(r"^[A-Za-z0-9_-]{1,16}:[a-z2-7]{26}$")
ABSENT = ("absent",)
P_MAX = 5


def typed(text):
    return ("number", text)


def load(path):
    rows, names = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line, parse_int=typed, parse_float=typed)
            row = {}
            for name, value in obj.items():
                if name not in names:
                    names.append(name)
                if value is None:
                    row[name] = ("null",)
                elif isinstance(value, tuple):
                    row[name] = value
                else:
                    row[name] = ("string", str(value))
            rows.append(row)
    return rows, names


def trace_fields(rows, names):
    return [n for n in names
            if any(r.get(n, ABSENT)[0] == "string" and
                   PSEUDONYM.match(r[n][1]) for r in rows)]


def exact_unicity(rows, field, points):
    """{p: (tested, short, subsets, unique, Fraction mean)}"""
    traces = {}
    for r in rows:
        v = r.get(field, ABSENT)
        if v[0] != "string" or not PSEUDONYM.match(v[1]):
            continue
        traces.setdefault(v[1], set()).add(
            tuple(r.get(n, ABSENT) for n in points))
    holders = {}
    for t, pts in traces.items():
        for q in pts:
            holders.setdefault(q, set()).add(t)
    result = {}
    for p in range(1, P_MAX + 1):
        tested = short = subsets = unique = 0
        total = Fraction(0)
        for t, pts in traces.items():
            if len(pts) < p:
                short += 1
                continue
            tested += 1
            mine = n = 0
            for subset in combinations(sorted(pts), p):
                both = set.intersection(*(holders[q] for q in subset))
                n += 1
                mine += both == {t}
            subsets += n
            unique += mine
            total += Fraction(mine, n)
        result[p] = (tested, short, subsets, unique,
                     total / tested if tested else Fraction(0))
    return result, len(traces)


def report_points(report):
    return report["point_fields"]


def check_exhaustive(rows, names, report, default_points):
    errors = 0
    fields = trace_fields(rows, names)
    got = {f["field"]: f for f in report["unicity"]["fields"]}
    if sorted(got) != sorted(fields):
        print(f"trace fields: report {sorted(got)}, reference {fields}")
        return 1
    points = report_points(report)
    expect_points = [n for n in names if n not in fields]
    checked = 0
    if default_points and points != expect_points:
        print(f"point fields: report {points}, reference {expect_points}")
        errors += 1
    for field in fields:
        want, ntraces = exact_unicity(rows, field, points)
        if got[field]["traces"] != ntraces:
            print(f"{field}: {got[field]['traces']} traces, want {ntraces}")
            errors += 1
        for at in got[field]["at"]:
            p = at["points"]
            tested, short, subsets, unique, mean = want[p]
            mine = (at["tested"], at["short"], at["subsets"],
                    at["unique_subsets"])
            if mine != (tested, short, subsets, unique) or \
                    abs(at["share"] - float(mean)) > 1e-12:
                print(f"{field} p={p}: report {mine} {at['share']!r}, "
                      f"reference {(tested, short, subsets, unique)} "
                      f"{float(mean)!r}")
                errors += 1
            checked += 1
    print(f"  {checked} figures ({', '.join(fields)} at p = 1..{P_MAX}) "
          f"checked, {errors} differ")
    return errors


def check_coverage(rows, names, reports):
    fields = trace_fields(rows, names)
    points = report_points(reports[0])
    exact = {f: exact_unicity(rows, f, points)[0] for f in fields}
    inside = figures = 0
    for report in reports:
        for f in report["unicity"]["fields"]:
            for at in f["at"]:
                share = float(exact[f["field"]][at["points"]][4])
                if at["tested"] < 10 or not 0.02 < share < 0.98:
                    continue
                figures += 1
                inside += at["lo"] <= share <= at["hi"]
    print(f"  {inside} of {figures} sampled 95% intervals hold the exact "
          f"unicity")
    if figures < 20:
        print("too few figures strictly between 2% and 98%")
        return 1
    return 0 if inside * 100 >= figures * 90 else 1


def check_kanon(rows, report):
    import pandas as pd
    from pycanon import anonymity

    names = report["fields"]
    table = pd.DataFrame([{n: "|".join(r.get(n, ABSENT)) for n in names}
                          for r in rows])
    errors = 0
    for s in report["k_anonymity"]["sets"]:
        k = anonymity.k_anonymity(table, s["fields"])
        groups = table.groupby(s["fields"]).ngroups
        if k != s["min_k"] or groups != s["groups"]:
            print(f"{s['fields']}: report k={s['min_k']} groups="
                  f"{s['groups']}, pycanon k={k}, pandas groups={groups}")
            errors += 1
    print(f"  {len(report['k_anonymity']['sets'])} field sets checked, "
          f"{errors} differ")
    return errors


def main(argv):
    args = [a for a in argv[1:] if a != "--default-points"]
    if len(args) < 3:
        sys.stderr.write(__doc__)
        return 2
    mode, data, reports = args[0], args[1], args[2:]
    rows, names = load(data)
    loaded = [json.load(open(r, encoding="utf-8")) for r in reports]
    if mode == "exhaustive":
        return 1 if check_exhaustive(rows, names, loaded[0],
                                     "--default-points" in argv) else 0
    if mode == "coverage":
        return check_coverage(rows, names, loaded)
    if mode == "kanon":
        return 1 if check_kanon(rows, loaded[0]) else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
