#!/usr/bin/env python3
"""Compare the options of a --help text with those of a manual page.

    man_options.py PAGE SECTION < HELP
    man_options.py PAGE --sections

With SECTION (a .SH or .SS heading of PAGE, such as "OPTIONS" or
"cdranon run"), reads a command's --help from standard input and compares
its option lines ("-c, --config FILE", "--header, --no-header") with the
tags of the .TP items of that section that start with "-", written as
text.  Exits 0 when both sets are equal; otherwise prints what is missing
on each side and exits 1.  With --sections, prints the section headings.
"""
import re
import sys

ARG_RE = re.compile(r'"((?:[^"]|"")*)"|(\S+)')
OPTION_RE = re.compile(r"^--?[A-Za-z0-9][-A-Za-z0-9]*,?$")
PLACEHOLDER_RE = re.compile(r"^([A-Z][A-Z0-9_]*|[A-Za-z_]+=[A-Za-z_]+)$")


def unescape(text):
    text = re.sub(r"\\f(\[[A-Z]*\]|[A-Z])", "", text)
    for esc, char in (("\\-", "-"), ("\\(aq", "'"), ("\\~", " "),
                      ("\\&", ""), ("\\%", ""), ("\\e", "\\")):
        text = text.replace(esc, char)
    return text


def macro_text(line):
    """The text a font macro line (.B, .BR, ...) or a plain line prints."""
    if not line.startswith("."):
        return unescape(line)
    name, _, rest = line[1:].partition(" ")
    args = [q.replace('""', '"') if q else a
            for q, a in ARG_RE.findall(rest)]
    sep = " " if name in ("B", "I", "SM", "SB") else ""
    return unescape(sep.join(args))


def sections(page):
    """{heading: [tag text of each .TP item]} for every .SH and .SS."""
    result, current, lines = {}, None, page.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r'^\.(SH|SS)\s+"?(.*?)"?\s*$', line)
        if m:
            current = unescape(m.group(2))
            result.setdefault(current, [])
        elif line.startswith(".TP") and current is not None:
            if i + 1 < len(lines):
                result[current].append(
                    " ".join(macro_text(lines[i + 1]).split()))
    return result


def help_options(text):
    """The option specs of a --help text, one per option line."""
    specs = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if not stripped.startswith("-") or not 1 <= indent <= 8:
            continue
        # The description starts after the first gap of two spaces, or,
        # where the option is too long for that, after the option's
        # argument.
        head = re.split(r"\s{2,}", stripped, maxsplit=1)[0]
        spec, prev = [], None  # prev: "opt", "opt,", "arg" or "arg,"
        for token in head.split():
            if OPTION_RE.match(token) and prev in (None, "opt,", "arg,"):
                prev = "opt," if token.endswith(",") else "opt"
            elif prev == "opt" and PLACEHOLDER_RE.match(token.rstrip(",")):
                prev = "arg," if token.endswith(",") else "arg"
            else:
                break
            spec.append(token)
        if spec:
            specs.append(" ".join(spec))
    return specs


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    page = open(argv[1], encoding="utf-8").read()
    found = sections(page)
    if argv[2] == "--sections":
        print("\n".join(found))
        return 0
    if argv[2] not in found:
        print(f"{argv[1]}: no section '{argv[2]}'", file=sys.stderr)
        return 1
    in_help = set(help_options(sys.stdin.read()))
    in_page = {t for t in found[argv[2]] if t.startswith("-")}
    if not in_help:
        print("no option lines in the --help text", file=sys.stderr)
        return 1
    for spec in sorted(in_help - in_page):
        print(f"{argv[2]}: --help has '{spec}', the page does not",
              file=sys.stderr)
    for spec in sorted(in_page - in_help):
        print(f"{argv[2]}: the page has '{spec}', --help does not",
              file=sys.stderr)
    return 0 if in_help == in_page else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
