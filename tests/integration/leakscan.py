#!/usr/bin/env python3
"""Leak scan: canary identifiers, and a scanner for every form of them.

    leakscan.py records FIRST_ID      the canary CSV records (generic layout)
    leakscan.py needles FILE          writes the needles, one per line
    leakscan.py scan NEEDLES [--expect-all] FILE...

The canaries are three MSISDNs from Ofcom's drama range that the test's
generated corpus never uses (it has 500 subscribers: 07700 900000-900499),
an IMSI of the test network (MCC 001, MNC 01) and an IMEI with a made-up
TAC.  `records` writes them in every spelling that src/number.c
canonicalises (E.164, 00-prefixed, national, with spaces, dashes and
parentheses, bare with the country code, tel: and sip: URIs, IMEI with
dashes and as IMEISV) in valid records and in malformed ones that are
dead-lettered.

A needle is a spelling, a canonical form (with and without '+', the
national significant number, the national and the 00 form), or the
unkeyed MD5, SHA-1 or SHA-256 digest of any of them in hex (lower and
upper case) and base64 (standard and URL-safe, with and without
padding).

`scan` searches each FILE as bytes (GNU grep -F, Aho-Corasick) and
prints, per file, the bytes scanned and the matches (the kind of form
that matched, never more); exit status 1 when any file holds a needle.
With --expect-all it is the control: every spelling written by `records`
must be found in the files together, else exit 1.
"""
import base64
import hashlib
import os
import subprocess
import sys

CC = "44"
MSISDNS = ["07700900871", "07700900934", "07700900967"]
IMSI = "001010987654321"
IMEI_BODY = "01013579246801"  # TAC 01013579, serial 246801


def luhn_digit(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


IMEI = IMEI_BODY + luhn_digit(IMEI_BODY)
IMEISV = IMEI_BODY + "07"


def msisdn_spellings(national):
    nsn = national[1:]
    a, b = nsn[:4], nsn[4:]
    return [
        "+" + CC + nsn,
        "00" + CC + nsn,
        national,
        "0%s %s" % (a, b),
        "0%s-%s-%s" % (a, b[:3], b[3:]),
        "(0%s) %s" % (a, b),
        "(0%s) %s-%s" % (a, b[:3], b[3:]),
        "+%s %s %s" % (CC, a, b),
        "+%s (0)%s %s" % (CC, a, b),
        CC + nsn,
        "tel:+%s-%s-%s" % (CC, a, b),
        "sip:+%s%s@ims.example.net;user=phone" % (CC, nsn),
    ]


def msisdn_canonical(national):
    nsn = national[1:]
    return ["+" + CC + nsn, CC + nsn, nsn, national, "00" + CC + nsn]


IMEI_SPELLINGS = [IMEI, IMEISV, "%s-%s-%s" % (IMEI[:8], IMEI[8:14], IMEI[14:])]


def canaries():
    """(label, spellings written, canonical and other forms)"""
    out = []
    for i, m in enumerate(MSISDNS):
        out.append(("msisdn%d" % (i + 1), msisdn_spellings(m),
                    msisdn_canonical(m)))
    out.append(("imsi", [IMSI], [IMSI]))
    out.append(("imei", IMEI_SPELLINGS, [IMEI_BODY]))
    return out


def record(rid, calling, called, imsi, imei, cause="16"):
    def q(v):
        return '"%s"' % v.replace('"', '""') if any(
            c in v for c in ',"\n') else v
    return ",".join([
        str(rid), "voice", "2026-11-27T10:00:00Z", "2026-11-27T10:01:00Z",
        "60", q(calling), q(called), imsi, q(imei), "234-15-4212-20077",
        "0", "0", cause, "Canary Person", q("1 Canary Road, Leeds ZZ1 1ZZ"),
        "DD-00000000"])


def cmd_records(first):
    rid = int(first)
    lines = []
    msisdn = [c for c in canaries() if c[0].startswith("msisdn")]
    for k, (_, spellings, _) in enumerate(msisdn):
        other = msisdn[(k + 1) % len(msisdn)][1]
        for j, s in enumerate(spellings):
            lines.append(record(rid, s, other[j], IMSI,
                                IMEI_SPELLINGS[j % len(IMEI_SPELLINGS)]))
            rid += 1
    sp = msisdn[0][1]
    # Malformed: each is dead-lettered, with canaries in its fields.
    lines.append(record(rid, sp[0], sp[3], IMSI, IMEI, cause="x16"))
    lines.append(record(rid + 1, sp[3] + " ext 5", sp[2], IMSI, IMEI))
    lines.append(record(rid + 2, sp[2], sp[0], IMSI + "9", IMEI))
    lines.append(record(rid + 3, sp[2], sp[0], IMSI, IMEI + "X"))
    lines.append("%d,voice,%s,%s,%s" % (rid + 4, sp[0], IMSI, IMEISV))
    lines.append('%d,voice,"%s,%s' % (rid + 5, sp[2], IMEI))
    sys.stdout.write("\n".join(lines) + "\n")


def encodings(data):
    """The text forms of a digest."""
    h = data.hex()
    b = base64.b64encode(data).decode()
    u = base64.urlsafe_b64encode(data).decode()
    return [h, h.upper(), b, b.rstrip("="), u, u.rstrip("=")]


def needles():
    """{needle: label/form}"""
    out = {}
    for label, spellings, forms in canaries():
        for base in dict.fromkeys(spellings + forms):
            out.setdefault(base, "%s plain" % label)
            for name in ("md5", "sha1", "sha256"):
                d = hashlib.new(name, base.encode()).digest()
                for e in encodings(d):
                    out.setdefault(e, "%s %s" % (label, name))
    return out


def cmd_needles(path):
    n = needles()
    with open(path, "w") as f:
        for k in n:
            f.write(k + "\n")
    print("%d needles" % len(n))


def grep_matches(needle_file, path):
    r = subprocess.run(["grep", "-a", "-o", "-F", "-f", needle_file, path],
                       stdout=subprocess.PIPE, env=dict(os.environ,
                                                        LC_ALL="C"))
    if r.returncode not in (0, 1):
        sys.exit("leakscan: grep failed on %s" % path)
    return [m.decode("latin-1") for m in r.stdout.splitlines()]


def cmd_scan(needle_file, args):
    expect_all = "--expect-all" in args
    files = [a for a in args if a != "--expect-all"]
    table = needles()
    found = set()
    total_bytes = total_matches = 0
    for path in files:
        size = os.path.getsize(path)
        matches = grep_matches(needle_file, path)
        found.update(matches)
        kinds = sorted({table.get(m, "?") for m in matches})
        total_bytes += size
        total_matches += len(matches)
        print("  %s: %d bytes, %d matches%s" % (
            os.path.basename(path), size, len(matches),
            " (" + ", ".join(kinds) + ")" if kinds else ""))
    print("  scanned %d bytes in %d files: %d matches" % (
        total_bytes, len(files), total_matches))
    if expect_all:
        want = {s for _, sp, _ in canaries() for s in sp}
        missing = want - found
        if missing:
            print("  control: %d of %d spellings not found" % (
                len(missing), len(want)))
            return 1
        print("  control: all %d spellings found" % len(want))
        return 0
    return 1 if total_matches else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "records":
        return cmd_records(sys.argv[2])
    if len(sys.argv) == 3 and sys.argv[1] == "needles":
        return cmd_needles(sys.argv[2])
    if len(sys.argv) >= 4 and sys.argv[1] == "scan":
        return cmd_scan(sys.argv[2], sys.argv[3:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
