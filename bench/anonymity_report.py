#!/usr/bin/env python3
"""Tables of bench/anonymity.sh: reads its runs (rotation place time
risk.json per line) and writes anonymity.md, anonymity.csv and the
plot's data anonymity-plot.csv (caller unicity at 4 points)."""
import json
import os
import sys

runs_path, out, subs, days, seed, ncells, nrecords, elapsed, version = sys.argv[1:10]
TIME = {"hour": "hour", "6h": "6 hours", "day": "day"}
rows = []
for line in open(runs_path):
    rot, place, time, path = line.split()
    d = json.load(open(path))
    fields = {}
    for f in d["unicity"]["fields"]:
        fields[f["field"]] = {a["points"]: a["share"] for a in f["at"]}
    kset = next(s for s in d["k_anonymity"]["sets"] if len(s["fields"]) == 2)
    rows.append({"rotation": rot, "place": place, "time": time,
                 "fields": fields, "min_k": kset["min_k"],
                 "below": kset["below_share"], "groups": kset["groups"],
                 "k": d["k_anonymity"]["k"], "records": d["records"]})

names = list(rows[0]["fields"])
with open(os.path.join(out, "anonymity.csv"), "w") as f:
    f.write("rotation,place,time,field," +
            ",".join(f"unicity_p{p}" for p in range(1, 6)) +
            ",min_k,share_below_k,groups\n")
    for r in rows:
        for n in names:
            u = r["fields"][n]
            f.write(f"{r['rotation']},{r['place']},{TIME[r['time']]},{n}," +
                    ",".join(f"{u.get(p, 0):.4f}" for p in range(1, 6)) +
                    f",{r['min_k']},{r['below']:.4f},{r['groups']}\n")

with open(os.path.join(out, "anonymity-plot.csv"), "w") as f:
    for place in ["cell", "area", "district", "region"]:
        vals = []
        for t in ["hour", "6h", "day"]:
            r = next(x for x in rows if x["place"] == place and x["time"] == t
                     and x["rotation"] == rows[0]["rotation"])
            plotted = "imsi" if "imsi" in r["fields"] else names[0]
            vals.append(f"{r['fields'][plotted].get(4, 0):.4f}")
        f.write(place + "," + ",".join(vals) + "\n")

k = rows[0]["k"]
with open(os.path.join(out, "anonymity.md"), "w") as f:
    f.write(f"""# Re-identification risk by policy

Written by `bash bench/anonymity.sh` ({version}): `cdranon gen
--subscribers {subs} --days {days} --seed {seed} --cells-out cells.csv`
(the generator's default activity and cell density: {nrecords} records,
{ncells} cells), anonymised once with bench/anonymity.yaml, then one
`cdranon risk --json --point-fields PLACE,TIME --k-fields PLACE,TIME`
per policy (sampled unicity, 5000 target traces a field, seed 1).  The
whole run took {elapsed} s.

Unicity at p: the share of a pseudonym field's traces that p of their
own points (place, time) single out among all its traces.  min k and
below k: the smallest group of records sharing a (place, time) value and
the share of records in groups smaller than k = {k}.  Synthetic data:
the figures are the generator's mobility model, not a network's; run
`cdranon risk` on the real output before opening a purpose
(docs/anonymity.md).

""")
    for n in names:
        f.write(f"## {n}\n\n| rotation | place | time | p=1 | p=2 | p=3 | p=4 | p=5 | min k | below k |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n")
        for r in rows:
            u = r["fields"][n]
            f.write(f"| {r['rotation']} | {r['place']} | {TIME[r['time']]} | " +
                    " | ".join(f"{100 * u.get(p, 0):.1f}%" for p in range(1, 6)) +
                    f" | {r['min_k']} | {100 * r['below']:.2f}% |\n")
        f.write("\n")
    f.write("![imsi unicity at 4 points](anonymity.png)\n")
