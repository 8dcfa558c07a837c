#!/usr/bin/env python3
"""Print the raw identifiers of an input file as leak canaries.

    canaries.py FILE csv|json FIELD[,FIELD...] [--columns C1,C2,...]

For every value of the named fields that holds at least 9 digits, prints
its last 9 digits (the subscriber part of a number in any spelling), one
per line, without duplicates.  A raw identifier that reaches an output in
any spelling contains them.  Reads malformed records as best it can: a
canary from a broken record is still a canary.
"""
import csv
import io
import json
import re
import sys


def values(path, fmt, fields, columns):
    data = open(path, "rb").read().decode("utf-8", "replace")
    if data.startswith("\ufeff"):
        data = data[1:]
    if fmt == "json":
        for line in data.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                for f in fields:
                    m = re.search(r'"%s"\s*:\s*"([^"]*)"' % re.escape(f), line)
                    if m:
                        yield m.group(1)
                continue
            if isinstance(obj, dict):
                for f in fields:
                    if f in obj and obj[f] is not None:
                        yield str(obj[f])
        return
    reader = csv.reader(io.StringIO(data, newline=""))
    names = columns
    for row in reader:
        if names is None:
            names = [c.strip() for c in row]
            continue
        for f in fields:
            if f in names and names.index(f) < len(row):
                yield row[names.index(f)]


def main():
    path, fmt, fields = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    columns = None
    if len(sys.argv) > 5 and sys.argv[4] == "--columns":
        columns = sys.argv[5].split(",")
    seen = set()
    for v in values(path, fmt, fields, columns):
        digits = re.sub(r"[^0-9]", "", v)
        if len(digits) >= 9 and digits[-9:] not in seen:
            seen.add(digits[-9:])
            print(digits[-9:])


if __name__ == "__main__":
    main()
