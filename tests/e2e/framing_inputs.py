#!/usr/bin/env python3
"""Inputs whose records are longer than input.max_record_bytes, laid out
in the ways that break a record reader, for tests/e2e/test_framing.sh.

    framing_inputs.py LAYOUT INPUT EXPECT [--corpus FILE]

writes INPUT and EXPECT, a JSON object: "read" (the records in INPUT, so
the records cdranon must read and seal), "dead" (the first line of each
over-long record, which must be dead-lettered with "reason"), and
"canaries": strings planted only inside over-long records (names,
addresses, record ids, raw numbers) that must appear in no output but
the sealed one, and "numbers", the raw numbers among them (their
pseudonyms must not be published either).  The records are in the
generic layout of config/generic.yaml (or its JSON form); numbers are
fictitious, from Ofcom's drama ranges.
"""
import json
import random
import re
import sys

HEADER = ("record_id,record_type,start_time,end_time,duration,"
          "calling_number,called_number,imsi,imei,cell_id,bytes_up,"
          "bytes_down,cause_for_term,subscriber_name,subscriber_address,"
          "payment_ref")
LONG = "record: longer than input.max_record_bytes"
TO_EOF = ("record: no record end within 1073741824 bytes; the rest of the "
          "input is this record")


class Layout:
    def __init__(self, eol="\n"):
        self.out = []
        self.line = 1
        self.read = 0
        self.dead = []
        self.reason = LONG
        self.canaries = set()
        self.numbers = set()
        self.outside = []
        self.eol = eol

    def raw(self, text, over=False):
        self.out.append(text)
        self.line += text.count("\n")
        if not over:
            self.outside.append(text)

    def record(self, text, over=False):
        if over:
            self.dead.append(self.line)
        self.read += 1
        self.raw(text, over)

    def own_numbers(self):
        """The canary numbers that appear nowhere but in over-long
        records, in any spelling: a pseudonym of one of them in the
        output can only come from inside such a record."""
        digits = re.sub(r"[^0-9\n]", "", "".join(self.outside))
        return sorted(n for n in self.numbers if n[-9:] not in digits)

    def good(self, i, name="Ann Example", address="1 Test Street"):
        return ("%d,voice,2026-11-27T10:00:00Z,2026-11-27T10:01:00Z,60,"
                "07700900%03d,07700900456,234150999999999,353490069873319,"
                "234-15-1-2,0,0,16,%s,%s,card ****0000%s"
                % (i, i % 1000, name, address, self.eol))

    def canary_cdr(self, k):
        """A line shaped like a record, every value a canary."""
        number = "07700900%03d" % (900 + k % 100)
        rid, cell = "CANARYID%05d" % k, "CANARYCELL%05d" % k
        name, addr = "Zed Canary%d" % k, "%d Canary Road" % k
        self.canaries.update([rid, cell, name, addr, number[-9:]])
        self.numbers.add(number)
        return ("%s,voice,2026-11-27T11:00:00Z,2026-11-27T11:02:00Z,120,"
                "%s,07700900457,234150999999998,353490069873318,%s,10,20,16,"
                "%s,%s,card ****1111" % (rid, number, cell, name, addr))

    def text(self):
        return "".join(self.out)


def quoted_field(l, size, inner_every=2000, eol="\n", doubled=False):
    """A quoted field of about `size` bytes of lines, with a canary
    record line every `inner_every` bytes (and doubled quotes)."""
    parts, n, k, at = [], 0, 0, inner_every // 2
    while n < size:
        if n >= at:
            line = l.canary_cdr(k)
            k += 1
            at += inner_every
        else:
            line = "billing address line %d" % n
        if doubled:
            line = line.replace(",", '"",', 1) + '""'
        parts.append(line + eol)
        n += len(line) + len(eol)
    return '"' + "".join(parts) + '"'


def f1(l):
    """Issue 11's reproduction: the second record's quoted address holds
    1.2 MB of lines, one of them shaped like a CDR."""
    l.raw(HEADER + "\n")
    l.record(l.good(1))
    field = quoted_field(l, 1200000, inner_every=600000)
    l.record(l.good(2, address=field), over=True)
    l.record(l.good(3))


def crlf(l):
    l.eol = "\r\n"
    l.raw(HEADER + "\r\n")
    l.record(l.good(1))
    l.record(l.good(2, address=quoted_field(l, 60000, eol="\r\n")), over=True)
    l.record(l.good(3))
    l.record(l.good(4, name=quoted_field(l, 9000, eol="\r\n")), over=True)
    l.record(l.good(5))


def lone_cr(l):
    l.raw(HEADER + "\n")
    l.record(l.good(1))
    l.record(l.good(2, address=quoted_field(l, 30000, eol="\r")), over=True)
    l.record(l.good(3))
    # Unquoted: CR is data outside quotes too (the record is malformed).
    l.record(l.good(4, name="\r".join(l.canary_cdr(90 + i)
                                      for i in range(60))), over=True)
    l.record(l.good(5))


def doubled(l):
    """Doubled quotes all through over-long fields, dense around the
    limit (4 KiB) and the reader's buffer (4 KiB + 64 KiB) boundaries."""
    l.raw(HEADER + "\n")
    l.record(l.good(1))
    for size in (4100, 69700, 140000, 300000):
        l.record(l.good(2, address=quoted_field(l, size, inner_every=700,
                                                doubled=True)), over=True)
        l.record(l.good(3))


def unterminated(l):
    """A quote never closed: the rest of the input is one record."""
    l.raw(HEADER + "\n")
    l.record(l.good(1))
    l.record(l.good(2))
    rest = l.good(3, address='"never closed')
    rest += "".join(l.canary_cdr(i) + "\n" for i in range(400))
    l.record(rest, over=True)


def json_lines(l):
    def obj(i, extra=""):
        return ('{"record_id":%d,"start_time":"2026-11-27T10:00:00Z",'
                '"calling_number":"07700900%03d","called_number":'
                '"07700900456","imsi":"234150999999999"%s}\n'
                % (i, i, extra))
    l.record(obj(1))
    big = " ".join(l.canary_cdr(i) for i in range(7000))
    l.record(obj(2, ',"subscriber_address":"%s"' % big), over=True)
    l.record(obj(3))
    l.record(obj(4, ',"note":"%s"' % ("x" * 5000)), over=True)
    l.record(obj(5))
    last = obj(6, ',"note":"%s"' % " ".join(l.canary_cdr(8000 + i)
                                             for i in range(50)))
    l.record(last.rstrip("\n"), over=True)


def header_long(l):
    """A header line longer than the limit (with a canary in a quoted
    name): the run is refused, nothing read."""
    names = HEADER.split(",")
    names[14] = '"' + "\n".join(l.canary_cdr(i) for i in range(40)) + '"'
    l.raw(",".join(names) + "\n", over=True)
    l.raw(l.good(1))


def bom_header(l):
    l.raw("\ufeff" + HEADER + "\n")
    l.record(l.good(1, address=quoted_field(l, 9000)), over=True)
    l.record(l.good(2))


def bom_columns(l):
    """No header (configured columns): the BOM, then an over-long first
    record."""
    l.raw("\ufeff")
    l.record(l.good(1, address=quoted_field(l, 9000)), over=True)
    l.record(l.good(2))


def at_limit(l):
    """input.max_record_bytes 4 KiB: records of exactly 4096 bytes
    without their line end are read (record 6, published), one byte more
    is over the limit (with a canary name)."""
    l.raw(HEADER + "\n")
    name = "Zed CanaryLimit"
    l.canaries.add(name)
    for eol, over in (("\n", False), ("\r\n", False), ("\n", True),
                      ("\r\n", True)):
        l.eol = eol
        rec = l.good(6, name=name)
        pad = 4096 + over - (len(rec) - len(eol))
        l.record(l.good(6, name=(name if over else "Ann") + "N" *
                        (len(name) - (0 if over else 3) + pad)), over=over)
        l.record(l.good(8))


def corpus(l, path):
    """A generated corpus with over-long records of the kinds above put in
    at random, between its records as the page frames them."""
    from sealed_page import split_records

    rng = random.Random(11)
    data = open(path, "rb").read()
    first_nl = data.index(b"\n") + 1
    l.raw(data[:first_nl].decode("utf-8"))
    for i, (_, rec) in enumerate(split_records(data[first_nl:], "csv",
                                               ",")):
        l.record(rec.decode("utf-8", "surrogateescape"))
        if i % 997 == 500:
            kind = rng.randrange(3)
            l.eol = "\r\n" if kind == 1 else "\n"
            field = quoted_field(l, rng.randrange(5000, 90000),
                                 inner_every=1500, eol=l.eol,
                                 doubled=kind == 2)
            l.record(l.good(9, address=field), over=True)
            l.eol = "\n"


LAYOUTS = {"f1": f1, "crlf": crlf, "lone-cr": lone_cr, "doubled": doubled,
           "unterminated": unterminated, "json": json_lines,
           "header-long": header_long, "bom-header": bom_header,
           "bom-columns": bom_columns, "at-limit": at_limit}


def main():
    name, inp, expect = sys.argv[1:4]
    l = Layout()
    if name == "corpus":
        corpus(l, sys.argv[5])
    else:
        LAYOUTS[name](l)
    with open(inp, "w", encoding="utf-8", errors="surrogateescape",
              newline="") as f:
        f.write(l.text())
    with open(expect, "w") as f:
        json.dump({"read": l.read, "dead": l.dead, "reason": l.reason,
                   "canaries": sorted(l.canaries),
                   "numbers": l.own_numbers()}, f)


if __name__ == "__main__":
    main()
