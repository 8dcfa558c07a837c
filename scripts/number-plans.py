#!/usr/bin/env python3
"""Prints src/number_plans.h: for every country calling code that
libphonenumber describes, the facts about its numbering plan that
src/number.c needs to read a number written after its country code.

    py=$(bash scripts/pyenv.sh)
    "$py" scripts/number-plans.py > src/number_plans.h

The source is libphonenumber's metadata (PhoneNumberMetadata.xml, as
shipped in the `phonenumbers` package pinned in tests/requirements.txt),
read for the main region of each country code, which is the metadata
libphonenumber itself uses to parse a number given with that code:

  trunk    the national (trunk) prefix, <nationalPrefix>, and the other
           strings of one or two digits that <nationalPrefixForParsing>
           matches whole when it has no transform rule (Lithuania's 8
           beside 0, Belarus' 0 and 80 beside 8, Colombia's 03 to 09);
           for a rule that only drops a literal before the rest of the
           number (Gabon's 0 before an 8-digit number), that literal,
           with the lengths of the rest it may come before ("rest").
           Longer codes of the parsing rules (carrier selection, caller
           id blocking) and the rules that rewrite a number (Argentina's
           15, Brazil's carrier codes) are not taken: they are dialled,
           not written after a country code.
  lengths  the possible lengths of a national significant number
           (<generalDesc><possibleLengths national=...>), local-only
           lengths excluded: of the main region, as libphonenumber uses
           them to decide on a trunk prefix.
  all      the same, for all the regions of the country code (Canada's
           7-digit numbers under +1): the shortest national number.
  first    for each digit, the lengths of the NSNs that begin with it
           and match <generalDesc>'s nationalNumberPattern.
  led      the exact prefixes (with their lengths) of the NSNs matching
           that pattern that begin with the first digit of a trunk
           prefix, for the lengths where dropping a trunk prefix asks
           whether they are numbers: Russia's 8-800 numbers, India's
           000800 numbers.

With `first` and `led`, src/number.c answers libphonenumber's question
"does this digit string match the general pattern?" exactly for the
digits that begin with a trunk digit and by first digit and length for
the others, which is what its trunk-prefix rule asks.

The e2e test tests/e2e/test_numbers.sh checks that the committed file is
this script's output for the pinned metadata.
"""
import re
import re._constants as C
import re._parser as P
import sys

import phonenumbers
from phonenumbers import PhoneMetadata

DIGITS = "0123456789"
MAX_LEN = 17  # libphonenumber's longest NSN
MAX_PREFIX = 7  # bytes of a led prefix in the C table, NUL excluded
MAX_TRUNKS = 5  # trunk prefixes of a country code in the C table


# A small NFA over digits, built from Python's parse of a
# libphonenumber pattern (which uses only literals, classes, \d,
# groups, alternation and bounded repetition).
class Nfa:
    def __init__(self):
        self.eps = []  # state -> states
        self.edges = []  # state -> [(charset, state)]

    def state(self):
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1

    def build(self, items):
        start = cur = self.state()
        for op, av in items:
            s, e = self.item(op, av)
            self.eps[cur].append(s)
            cur = e
        return start, cur

    def charset(self, av):
        out = set()
        for o, a in av:
            if o is C.LITERAL:
                out.add(chr(a))
            elif o is C.RANGE:
                out |= {chr(c) for c in range(a[0], a[1] + 1)}
            elif o is C.CATEGORY and a is C.CATEGORY_DIGIT:
                out |= set(DIGITS)
            else:
                raise ValueError("unsupported class item %r" % ((o, a),))
        return frozenset(out & set(DIGITS))

    def item(self, op, av):
        if op is C.LITERAL:
            s, e = self.state(), self.state()
            self.edges[s].append((frozenset(chr(av)), e))
            return s, e
        if op is C.IN:
            s, e = self.state(), self.state()
            self.edges[s].append((self.charset(av), e))
            return s, e
        if op is C.CATEGORY and av is C.CATEGORY_DIGIT:
            s, e = self.state(), self.state()
            self.edges[s].append((frozenset(DIGITS), e))
            return s, e
        if op is C.BRANCH:
            s, e = self.state(), self.state()
            for seq in av[1]:
                bs, be = self.build(seq)
                self.eps[s].append(bs)
                self.eps[be].append(e)
            return s, e
        if op is C.SUBPATTERN:
            return self.build(av[3])
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, seq = av
            if hi is C.MAXREPEAT:
                hi = lo + MAX_LEN
            s = cur = self.state()
            ends = []
            for i in range(hi):
                if i >= lo:
                    ends.append(cur)
                bs, be = self.build(seq)
                self.eps[cur].append(bs)
                cur = be
            ends.append(cur)
            e = self.state()
            for x in ends:
                self.eps[x].append(e)
            return s, e
        raise ValueError("unsupported pattern item %r" % ((op, av),))


class Pattern:
    """A full-match pattern as an NFA, with the questions asked of it."""

    def __init__(self, pattern):
        self.nfa = Nfa()
        self.start, self.accept = self.nfa.build(P.parse(pattern))
        self.memo = {}

    def closure(self, states):
        todo, seen = list(states), set(states)
        while todo:
            for t in self.nfa.eps[todo.pop()]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return frozenset(seen)

    def step(self, states, ch):
        nxt = set()
        for s in states:
            for cs, t in self.nfa.edges[s]:
                if ch in cs:
                    nxt.add(t)
        return self.closure(nxt)

    def after(self, prefix):
        states = self.closure([self.start])
        for ch in prefix:
            states = self.step(states, ch)
        return states

    def count(self, states, k, mode):
        """mode 'any': some k-digit continuation matches; 'all': every
        one does."""
        key = (states, k, mode)
        if key not in self.memo:
            if k == 0:
                r = self.accept in states
            elif not states:
                r = False
            else:
                rs = (self.count(self.step(states, d), k - 1, mode)
                      for d in DIGITS)
                r = any(rs) if mode == "any" else all(rs)
            self.memo[key] = r
        return self.memo[key]

    def lengths_after(self, prefix):
        """The lengths of the matches that begin with prefix."""
        st = self.after(prefix)
        return {n for n in range(len(prefix), MAX_LEN + 1)
                if self.count(st, n - len(prefix), "any")}

    def exact_prefixes(self, lead, n):
        """The shortest prefixes, beginning with digit `lead`, that
        together describe exactly the valid n-digit strings beginning
        with it: every n-digit string under a prefix is valid, none
        outside them is."""
        out, todo = [], [lead]
        while todo:
            p = todo.pop(0)
            st = self.after(p)
            k = n - len(p)
            if not self.count(st, k, "any"):
                continue
            if self.count(st, k, "all"):
                out.append(p)
                continue
            if len(p) == MAX_PREFIX:
                raise ValueError("pattern too irregular for %d-digit "
                                 "prefixes" % MAX_PREFIX)
            todo.extend(p + d for d in DIGITS)
        return out


def metadata(cc, region):
    if region == "001":
        return PhoneMetadata.metadata_for_nongeo_region(cc)
    return PhoneMetadata.metadata_for_region(region)


def trunk_prefixes(md):
    """{trunk prefix: lengths of the rest it may come before, [] for
    any}."""
    out = {}
    if md.national_prefix:
        out[md.national_prefix] = []
    npp = md.national_prefix_for_parsing
    rule = md.national_prefix_transform_rule
    if npp and not rule:
        short = list(DIGITS) + [a + b for a in DIGITS for b in DIGITS]
        for t in short:
            if re.fullmatch(npp, t):
                out.setdefault(t, [])
    elif npp and rule in ("\\1", "$1"):
        m = re.fullmatch(r"([0-9]+)\((?!\?)(.*)\)", npp)
        if m and m.group(1) not in out:
            out[m.group(1)] = sorted(Pattern(m.group(2)).lengths_after(""))
    return out


def plan(cc):
    region = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc][0]
    md = metadata(cc, region)
    gd = md.general_desc
    pattern = Pattern(gd.national_number_pattern)
    lengths = sorted(set(gd.possible_length) - {-1})
    every = set()
    for r in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]:
        every |= set(metadata(cc, r).general_desc.possible_length) - {-1}
    rests = trunk_prefixes(md)
    trunks = sorted(rests, key=lambda t: (-len(t), t))
    if len(trunks) > MAX_TRUNKS or any(len(t) > 2 for t in trunks):
        raise ValueError("+%d: trunk prefixes %r do not fit" % (cc, trunks))
    first = [sorted(pattern.lengths_after(d)) for d in DIGITS]
    # Lengths of the strings the trunk rule may ask about: a number as
    # written (n) when the rest has a possible length, or the rest
    # (n) when the number as written (n + len(t)) matches.
    matching = set().union(*map(set, first))
    led = {}
    for lead in sorted({t[0] for t in trunks}):
        for n in sorted(set(first[int(lead)])):
            if not any(n - len(t) in lengths or n + len(t) in matching
                       for t in trunks):
                continue
            for p in pattern.exact_prefixes(lead, n):
                led.setdefault(p, []).append(n)
    return {
        "cc": cc,
        "regions": phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc],
        "trunks": trunks,
        "rests": [rests[t] for t in trunks],
        "lengths": lengths,
        "all": sorted(every),
        "first": first,
        "led": sorted(led.items()),
    }


def mask(ns):
    return " | ".join("L(%d)" % n for n in ns) if ns else "0"


def hexmask(ns):
    return "0x%x" % sum(1 << n for n in ns)


def main():
    plans = [plan(cc)
             for cc in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)]
    w = sys.stdout.write
    w("/*\n"
      " * Generated by scripts/number-plans.py from libphonenumber %s\n"
      " * (PhoneNumberMetadata.xml, the main region of each country code):\n"
      " * trunk prefixes, possible lengths of national numbers, lengths by\n"
      " * first digit, and the exact prefixes of the national numbers that\n"
      " * begin with a trunk digit.  Do not edit: rerun the script.\n"
      " * Included by src/number.c only.\n"
      " */\n" % phonenumbers.__version__)
    w("/* clang-format off */\n")
    w("static const cc_led_t cc_led[] = {\n")
    start = {}
    n = 0
    for p in plans:
        start[p["cc"]] = n
        for prefix, ns in p["led"]:
            w('    {"%s", %s}, /* +%d */\n' % (prefix, mask(ns), p["cc"]))
            n += 1
    w("};\n\n")
    w("static const cc_plan_t cc_plan_list[] = {\n")
    for p in plans:
        trunks = ", ".join('"%s"' % t for t in p["trunks"]) or '""'
        first = ", ".join(hexmask(ns) for ns in p["first"])
        rests = ""
        if any(p["rests"]):
            rests = ", ".join(mask(r) for r in p["rests"])
        w("    {%d, {%s}, {%s}, %s,\n     %s,\n     {%s},\n     %d, %d},"
          " /* %s */\n" % (
              p["cc"], trunks, rests or "0", mask(p["lengths"]),
              mask(p["all"]), first, start[p["cc"]], len(p["led"]),
              " ".join(p["regions"])))
    w("};\n\n")
    w("/* cc_plan_list's entry for each country code, plus one; 0: none. */\n")
    w("static const unsigned char cc_plan_index[1000] = {\n")
    for i, p in enumerate(plans):
        w("    [%d] = %d,\n" % (p["cc"], i + 1))
    w("};\n")
    w("/* clang-format on */\n")


if __name__ == "__main__":
    main()
