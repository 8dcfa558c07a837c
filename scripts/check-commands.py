#!/usr/bin/env python3
"""Every external command and Python module the project's scripts use
comes from a package that scripts/setup.sh installs, or from the base of a
fresh Debian 12 system.

    scripts/check-commands.py [-v]

Reads, statically, every tracked shell script (scripts/, tests/, bench/,
deploy/, .ci/), the Makefile's recipes, the Python scripts, the commands
the C tests run with system(), and the systemd unit's Exec lines (which
`systemd-analyze verify` checks exist).  For each command in command
position (after wrappers such as env, timeout, setsid, sudo, xargs and
inside `bash -c '...'`, `$(...)` and backquotes) it finds the executable
on PATH and the Debian package that owns it (dpkg -S, following symbolic
links and alternatives), and accepts it when that package is

  - in PACKAGES of scripts/setup.sh, or
  - of priority "required" (what a minbase root, `mmdebstrap
    --variant=minbase`, holds: every Essential package is among them), or
  - apt, git or ca-certificates (the rest of a fresh root: git is how the
    project arrives).

A Python module must be in the standard library of the python3 that
PACKAGES installs (a package python3 depends on), or be named by a venv's
pinned list (tests/requirements.txt, bench/peers/setup.sh PY_PACKAGES),
or come with a pinned package of the tests' venv as its dependency (read
from build/pyenv, which scripts/pyenv.sh builds).

A command that is not installed at all fails too: the next command a
script starts to use is caught on the machine that first runs it.  Exit
status 0 when every command and module is accounted for, 1 otherwise;
the failures name the file and line where the command is used.
"""
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BASE_PACKAGES = {"apt", "git", "ca-certificates"}

# Shell words that are not external commands.
KEYWORDS = set("""if then else elif fi case esac for select while until do
done in function time coproc { } ! [[ ]] (( ))""".split())
BUILTINS = set("""alias bg bind break builtin caller cd command compgen
complete compopt continue declare dirs disown echo enable eval exec exit
export false fc fg getopts hash help history jobs kill let local logout
mapfile popd printf pushd pwd read readarray readonly return set shift
shopt source suspend test times trap true type typeset ulimit umask unalias
unset wait . : [""".split())
# Builtins whose name is also a program: used as builtins by bash, but
# `kill` and friends are looked up on PATH by env, timeout, xargs, sudo and
# systemd, so as a wrapper's command they count.
ALSO_PROGRAMS = {"kill", "echo", "printf", "test", "[", "true", "false",
                 "pwd"}

# Wrappers: the command they run follows their options.  For each, the
# options that take an argument, and how many leading operands precede
# the command (timeout's DURATION).
WRAPPERS = {
    "env": ({"-u", "--unset", "-C", "--chdir", "-S"}, 0),
    "exec": ({"-a"}, 0),
    "command": (set(), 0),
    "builtin": (set(), 0),
    "timeout": ({"-s", "--signal", "-k", "--kill-after"}, 1),
    "setsid": (set(), 0),
    "nohup": (set(), 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "ionice": ({"-c", "-n", "-p"}, 0),
    "stdbuf": ({"-i", "-o", "-e"}, 0),
    "sudo": ({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}, 0),
    "runuser": ({"-u", "-g", "-G", "-s", "--user", "--group"}, 0),
    "xargs": ({"-n", "-I", "-P", "-d", "-E", "-L", "-s", "-a"}, 0),
    "unshare": ({"--propagation", "--setgroups", "--map-user"}, 0),
    "flock": ({"-w", "-E", "-c"}, 1),
    "chroot": (set(), 1),
    "time": ({"-f", "-o", "--format", "--output"}, 0),
    "strace": ({"-e", "-o", "-p", "-s", "-u"}, 0),
    "valgrind": (set(), 0),
}
SHELLS = {"bash", "sh"}


class Use:
    """A command a script runs: its name and FILE:LINE."""

    def __init__(self, name, where):
        self.name, self.where = name, where


# ---- a small shell lexer ------------------------------------------------

OPERATORS = ["&&", "||", ";;&", ";;", ";&", "|&", "&>>", "&>", ">>", "<<<",
             "<<-", "<<", ">&", "<&", "<>", ">|", ";", "&", "|", "(", ")",
             "<", ">", "\n"]
SEPARATORS = {"&&", "||", ";;", ";;&", ";&", "|", "|&", ";", "&", "(", ")",
              "\n", "{", "}"}
REDIRECTS = {"&>>", "&>", ">>", "<<<", ">&", "<&", "<>", ">|", "<", ">"}


class Word:
    """A shell word: its text with quotes removed, whether any part was
    quoted, and the command substitutions found inside it."""

    def __init__(self):
        self.text = ""
        self.quoted = False
        self.literal = True  # no expansion at all
        self.subs = []       # (source text, line offset)

    def __repr__(self):
        return f"Word({self.text!r})"


def matching(src, i, open_, close):
    """Index just past the `close` that matches src[i] == open_, skipping
    quotes; len(src) when unbalanced."""
    depth = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = src.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c == '"':
            i = skip_dquote(src, i)
            continue
        if c == "#" and (i == 0 or src[i - 1] in " \t\n;(|&"):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith(open_, i):
            depth += 1
            i += len(open_)
            continue
        if src.startswith(close, i):
            depth -= 1
            i += len(close)
            if depth == 0:
                return i
            continue
        i += 1
    return n


def skip_dquote(src, i):
    i += 1
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif src.startswith("$(", i) and not src.startswith("$((", i):
            i = matching(src, i + 1, "(", ")")
        elif c == "`":
            j = src.find("`", i + 1)
            i = n if j < 0 else j + 1
        else:
            i += 1
    return n


def lex(src):
    """Tokens of src: Word objects and operator strings, and the line of
    each.  Comments are dropped; heredoc bodies come back as ("HEREDOC",
    body, substitutions) tokens after the line that opens them."""
    toks = []
    i, n, line = 0, len(src), 1
    pending = []  # heredocs opened on this line: (delim, strip, expands)
    word = None

    def end_word():
        nonlocal word
        if word is not None:
            toks.append((word, line))
            word = None

    def cur():
        nonlocal word
        if word is None:
            word = Word()
        return word

    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            if src[i + 1] == "\n":
                i += 2
                line += 1
                continue
            w = cur()
            w.text += src[i + 1]
            w.quoted = True
            i += 2
            continue
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "#" and word is None:
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "'":
            j = src.find("'", i + 1)
            j = n if j < 0 else j
            w = cur()
            w.text += src[i + 1:j]
            w.quoted = True
            line += src.count("\n", i, j)
            i = j + 1
            continue
        if c == '"':
            j = skip_dquote(src, i)
            body = src[i + 1:j - 1]
            w = cur()
            w.quoted = True
            scan_expansions(body, w, line)
            w.text += body
            line += src.count("\n", i, j)
            i = j
            continue
        if c == "$" and src.startswith("$((", i):
            j = matching(src, i + 1, "(", ")")
            w = cur()
            w.literal = False
            w.text += "$(())"
            line += src.count("\n", i, j)
            i = j
            continue
        if c == "$" and src.startswith("$(", i):
            j = matching(src, i + 1, "(", ")")
            w = cur()
            w.literal = False
            w.subs.append((src[i + 2:j - 1], line))
            w.text += "$()"
            line += src.count("\n", i, j)
            i = j
            continue
        if c == "`":
            j = src.find("`", i + 1)
            j = n if j < 0 else j
            w = cur()
            w.literal = False
            w.subs.append((src[i + 1:j], line))
            line += src.count("\n", i, j)
            i = j + 1
            continue
        if c == "$" and i + 1 < n and src[i + 1] == "{":
            j = matching(src, i + 1, "{", "}")
            w = cur()
            w.literal = False
            scan_expansions(src[i + 2:j - 1], w, line)
            w.text += "${}"
            i = j
            continue
        if c == "$":
            w = cur()
            w.literal = False
            w.text += "$"
            i += 1
            continue
        if c in "<>" and word is not None and re.fullmatch(r"[0-9]+",
                                                         word.text):
            word = None  # 2>file: the fd number is part of the redirect
        op = next((o for o in OPERATORS if src.startswith(o, i)), None)
        if op == "(" and word is not None and word.text.endswith("="):
            # name=( array ): the elements are words, not commands
            j = matching(src, i, "(", ")")
            w = cur()
            scan_expansions(src[i + 1:j - 1], w, line)
            w.text += "()"
            line += src.count("\n", i, j)
            i = j
            continue
        if op == "(" and word is not None and src.startswith("((", i):
            op = None
        if op is not None and op in "<>" and src.startswith("(", i + 1):
            # <(...) and >(...): process substitution
            j = matching(src, i + 1, "(", ")")
            w = cur()
            w.literal = False
            w.subs.append((src[i + 2:j - 1], line))
            i = j
            continue
        if op is None:
            cur().text += c
            i += 1
            continue
        end_word()
        if op == "(" and src.startswith("((", i):
            j = matching(src, i, "((", "))")
            toks.append(("((", line))
            line += src.count("\n", i, j)
            i = j
            continue
        toks.append((op, line))
        i += len(op)
        if op in ("<<", "<<-"):
            # the delimiter word follows
            m = re.match(r"[ \t]*(['\"]?)([A-Za-z0-9_.-]+)\1", src[i:])
            if m:
                pending.append((m.group(2), op == "<<-", m.group(1) == ""))
                i += m.end()
                toks.append((Word(), line))  # the redirect's target
        if op == "\n":
            line += 1
            for delim, strip, expands in pending:
                body = []
                while i < n:
                    j = src.find("\n", i)
                    j = n if j < 0 else j
                    text = src[i:j]
                    i = j + 1
                    line += 1
                    if (text.lstrip("\t") if strip else text) == delim:
                        break
                    body.append(text)
                body = "\n".join(body)
                w = Word()  # $(...) in an unquoted heredoc runs
                if expands:
                    scan_expansions(body, w, line - body.count("\n") - 1)
                toks.append((("HEREDOC", body, w.subs), line))
            pending = []
    end_word()
    return toks


def scan_expansions(body, word, line):
    """Command substitutions inside a double-quoted string or ${...}."""
    i, n = 0, len(body)
    while i < n:
        if body[i] == "\\":
            i += 2
            continue
        if body.startswith("$((", i):
            i = matching(body, i + 1, "(", ")")
            word.literal = False
            continue
        if body.startswith("$(", i):
            j = matching(body, i + 1, "(", ")")
            word.subs.append((body[i + 2:j - 1], line))
            word.literal = False
            i = j
            continue
        if body[i] == "`":
            j = body.find("`", i + 1)
            j = n if j < 0 else j
            word.subs.append((body[i + 1:j], line))
            word.literal = False
            i = j + 1
            continue
        if body[i] == "$":
            word.literal = False
        i += 1


ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")


ARRAY_PREFIX = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\[@\]\}?$")
VARIABLE = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


def variable_defaults(src):
    """NAME -> WORD for the assignments NAME=${OTHER:-WORD} of a source
    (JAVA=${JAVA:-java}), so that "$JAVA" as a command is checked as java."""
    found = {}
    for m in re.finditer(r"(?<![\w$])([A-Za-z_]\w*)=\$\{\w+:-"
                         r"([A-Za-z][\w.+-]*)\}", src):
        found.setdefault(m.group(1), set()).add(m.group(2))
    out = {k: v.pop() for k, v in found.items() if len(v) == 1}
    # Arrays that always hold a command (KB=("$K" cluster), never KB=()):
    # "${KB[@]}" word runs the array's command with word as an argument.
    empty, full = set(), set()
    for m in re.finditer(r"(?<![\w$])([A-Za-z_]\w*)=\(([^)]*)\)", src):
        (full if m.group(2).strip() else empty).add(m.group(1))
    for name in full - empty:
        out[name + "[@]"] = None
    return out


def shell_commands(src, where, functions, first_line=1, defaults=None):
    """Commands in command position in shell source, as Use objects, and
    ("python", source, file, line) items for Python code given to python3 with
    -c or on standard input.  `functions` holds the names of shell
    functions, which are not commands; `defaults` the variables that name
    a command by default (variable_defaults)."""
    uses = []
    toks = lex(src)
    defaults = variable_defaults(src) if defaults is None else defaults

    def at(k):
        return f"{where}:{toks[k][1] + first_line - 1}"

    def word(k):
        return toks[k][0] if k < len(toks) and \
            isinstance(toks[k][0], Word) else None

    expect = True        # the next word is a command
    in_case = []         # one entry per open case: True while in a pattern
    dbracket = False     # inside [[ ... ]]
    for_words = False    # the word list of a for loop
    redirect = False     # the next word is a redirection's target
    current = None       # the command of the simple command being read
    heredoc_lang = None  # what reads the next heredoc
    k = -1
    while k + 1 < len(toks):
        k += 1
        tok = toks[k][0]
        if isinstance(tok, tuple):  # a heredoc body
            for sub, line in tok[2]:
                uses.extend(shell_commands(sub, where, functions,
                                           line + first_line - 1, defaults))
            if heredoc_lang == "python":
                uses.append(("python", tok[1], where,
                             toks[k][1] + first_line - 3 -
                             tok[1].count("\n")))
            elif heredoc_lang == "shell":
                uses.extend(shell_commands(tok[1], where, functions,
                                           toks[k][1] + first_line,
                                           defaults))
            heredoc_lang = None
            continue
        if isinstance(tok, Word):
            for sub, line in tok.subs:
                uses.extend(shell_commands(sub, where, functions,
                                           line + first_line - 1, defaults))
            if redirect:
                redirect = False
                continue
        else:
            if dbracket:
                continue
            if tok in ("<<", "<<-"):
                if current in ("python3", "python"):
                    heredoc_lang = "python"
                elif current in SHELLS:
                    heredoc_lang = "shell"
                redirect = True
            elif tok in REDIRECTS:
                redirect = True
            elif tok == "((":
                expect = False
            elif tok == ")" and in_case and in_case[-1]:
                in_case[-1] = False
                expect = True
            elif tok in (";;", ";&", ";;&") and in_case:
                in_case[-1] = True
            elif tok in SEPARATORS:
                expect = True
                for_words = False
                current = None
            continue
        text = tok.text
        if dbracket:
            dbracket = text != "]]"
            continue
        if in_case and text == "esac" and not tok.quoted:
            in_case.pop()
            expect = False
            continue
        if in_case and in_case[-1]:
            continue  # a case pattern
        if for_words:
            continue
        if not expect:
            if current == "case" and text == "in":
                in_case.append(True)
                current = None
            continue
        if not tok.quoted and text == "[[":
            dbracket = True
            continue
        if not tok.quoted and text == "case":
            current = "case"
            expect = False
            continue
        if not tok.quoted and text in ("for", "select"):
            for_words = True
            continue
        if not tok.quoted and text in KEYWORDS:
            continue
        if ASSIGNMENT.match(text):
            continue
        # The command word, through the wrappers that run another.
        j = k
        name = None
        while word(j) is not None:
            w = word(j)
            if ARRAY_PREFIX.match(w.text):
                # "${sudo[@]}" cmd: a prefix that may be empty; but
                # "${tool[@]}" --option, or an array never assigned
                # empty: the array holds the command.
                array = re.sub(r"[${}]", "", w.text)
                if word(j + 1) is None or \
                        word(j + 1).text.startswith("-") or \
                        array in defaults:
                    break
                j += 1
                continue
            if not w.literal:
                m = VARIABLE.match(w.text)
                if m and m.group(1) in defaults:
                    name = defaults[m.group(1)]
                break  # "$BIN", "$(...)": not a fixed name
            if w.text == "command" and word(j + 1) is not None and \
                    word(j + 1).text in ("-v", "-V"):
                break  # a lookup, not a run
            if w.text in WRAPPERS:
                if w.text not in BUILTINS and w.text not in KEYWORDS:
                    uses.append(Use(w.text, at(j)))
                opts, operands = WRAPPERS[w.text]
                wrapper = w.text
                j += 1
                while word(j) is not None:
                    t = word(j).text
                    if t == "--":
                        j += 1
                        break
                    if t.startswith("-") and len(t) > 1:
                        j += 2 if t in opts else 1
                    elif wrapper == "env" and ASSIGNMENT.match(t):
                        j += 1
                    else:
                        break
                j += operands
                continue
            if w.text in SHELLS and word(j + 1) is not None and \
                    word(j + 1).text == "-c" and word(j + 2) is not None:
                uses.append(Use(w.text, at(j)))
                uses.extend(shell_commands(word(j + 2).text, where,
                                           functions,
                                           toks[j + 2][1] + first_line - 1,
                                           defaults))
                break
            name = w.text
            break
        if name is not None:
            wrapped = j != k
            if name in KEYWORDS or name in functions and not wrapped:
                pass
            elif name in BUILTINS and not (wrapped and name in ALSO_PROGRAMS):
                pass
            else:
                uses.append(Use(name, at(j)))
            if name in ("python3", "python") and word(j + 1) is not None \
                    and word(j + 1).text == "-c" and word(j + 2) is not None:
                code = word(j + 2).text
                uses.append(("python", code, where, toks[j + 2][1] +
                             first_line - 1 - code.count("\n")))
        current = name
        expect = False
    return uses


def shell_functions(src):
    """Names of the functions a shell source defines."""
    names = set()
    toks = lex(src)
    for k in range(len(toks) - 1):
        a, b = toks[k][0], toks[k + 1][0]
        c = toks[k + 2][0] if k + 2 < len(toks) else None
        if isinstance(a, Word) and b == "(" and c == ")":
            names.add(a.text)
        if isinstance(a, Word) and a.text == "function" and \
                isinstance(b, Word):
            names.add(b.text)
    return names


# ---- sources --------------------------------------------------------------

def tracked_files():
    """The project's files: git's list, or (outside a git checkout) the
    tree without build/."""
    r = subprocess.run(["git", "-C", TOP, "ls-files"], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode == 0:
        names = r.stdout.splitlines()
    else:
        names = []
        for d, dirs, files in os.walk(TOP):
            dirs[:] = [x for x in dirs if not x.startswith(".") and
                       not (d == TOP and x == "build")]
            names += [os.path.relpath(os.path.join(d, f), TOP)
                      for f in files]
        if os.path.exists(os.path.join(TOP, ".ci/run")):
            names.append(".ci/run")
    return [f for f in names
            if not f.startswith(("tests/data/", "tests/fuzz/corpus/",
                                 "bench/results/"))]


def is_shell(path):
    if path.endswith(".sh"):
        return True
    try:
        with open(os.path.join(TOP, path), "rb") as f:
            head = f.readline()
    except OSError:
        return False
    return head.startswith(b"#!") and (b"bash" in head or b"/sh" in head)


def makefile_uses(path, functions):
    """Recipe lines of a Makefile, with make variables of one word
    resolved (CC ?= cc) and the others left as expansions."""
    with open(os.path.join(TOP, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    variables = {"MAKE": "make", "CC": "cc", "SHELL": "sh"}
    for ln in lines:
        m = re.match(r"^([A-Z_]+)\s*(\?=|:=|=)\s*(\S+)\s*$", ln)
        if m:
            variables.setdefault(m.group(1), m.group(3))
            if m.group(2) != "?=":
                variables[m.group(1)] = m.group(3)

    def expand(text):
        def var(m):
            v = variables.get(m.group(1))
            return v if v is not None and re.fullmatch(r"[A-Za-z0-9_.+-]+",
                                                       v) else "$MAKEVAR"
        text = text.replace("$$", "\0")
        text = re.sub(r"\$[({]([A-Za-z_]+)[)}]", var, text)
        text = re.sub(r"\$[({][^)}]*[)}]", "$MAKEVAR", text)
        text = re.sub(r"\$[@<^?*]", "$MAKEVAR", text)
        return text.replace("\0", "$")

    uses = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("\t"):
            start = i
            text = lines[i][1:]
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i].lstrip("\t")
            text = text.lstrip("@-+ ")
            uses.extend(shell_commands(expand(text), path, functions,
                                       start + 1))
        i += 1
    return uses


def unit_uses(path):
    uses = []
    with open(os.path.join(TOP, path), encoding="utf-8") as f:
        for n, ln in enumerate(f, 1):
            m = re.match(r"^Exec[A-Za-z]*=[-@:+!]*(\S+)", ln)
            if m:
                uses.append(Use(m.group(1), f"{path}:{n}"))
    return uses


def c_uses(path, functions):
    """Commands the C tests run with system() or popen()."""
    with open(os.path.join(TOP, path), encoding="utf-8") as f:
        src = f.read()
    if not re.search(r"\b(system|popen)\s*\(", src):
        return []
    uses = []
    lit = r'"((?:[^"\\]|\\.)*)"'
    for m in re.finditer(r"\b(?:system|popen)\s*\(\s*" + lit, src):
        uses.extend(shell_commands(m.group(1), path, functions,
                                   src.count("\n", 0, m.start()) + 1))
    for m in re.finditer(r"\bsnprintf\s*\(\s*(\w+)\s*,[^,]*,\s*" + lit, src):
        if re.search(r"\b(?:system|popen)\s*\(\s*" + m.group(1) + r"\b",
                     src):
            uses.extend(shell_commands(m.group(2), path, functions,
                                       src.count("\n", 0, m.start()) + 1))
    return uses


def python_uses(src, path, first_line=1):
    """Modules a Python source imports and the programs it runs; the
    source starts at line first_line of path."""
    uses, modules = [], []
    for m in re.finditer(r"^[ \t]*(?:import[ \t]+([\w., \t]+)|from[ \t]+"
                         r"(\w+)[\w.]*[ \t]+import\b)", src, re.M):
        names = m.group(1).split(",") if m.group(1) else [m.group(2)]
        line = src.count("\n", 0, m.start())
        for name in names:
            name = name.strip().split(" ")[0].split(".")[0]
            if name and name != "__future__":
                modules.append((name, f"{path}:{first_line + line}"))
    for m in re.finditer(r"subprocess\.\w+\(\s*\[\s*\"([\w.+-]+)\"|"
                         r"shutil\.which\(\s*\"([\w.+-]+)\"", src):
        name = m.group(1) or m.group(2)
        line = src.count("\n", 0, m.start())
        uses.append(Use(name, f"{path}:{first_line + line}"))
    return uses, modules


# ---- packages ---------------------------------------------------------------

def setup_packages():
    with open(os.path.join(TOP, "scripts/setup.sh"), encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"^PACKAGES=\((.*?)^\)", src, re.M | re.S)
    words = []
    for ln in m.group(1).splitlines():
        words += ln.split("#")[0].split()
    return set(words)


def venv_packages():
    names = set()
    req = os.path.join(TOP, "tests/requirements.txt")
    with open(req, encoding="utf-8") as f:
        for ln in f:
            ln = ln.split("#")[0].strip()
            if ln:
                names.add(re.split(r"[<>=!~\[; ]", ln)[0])
    with open(os.path.join(TOP, "bench/peers/setup.sh"),
              encoding="utf-8") as f:
        m = re.search(r"^PY_PACKAGES=\(([^)]*)\)", f.read(), re.M)
    if m:
        for w in m.group(1).split():
            names.add(re.split(r"[<>=!~\[]", w)[0])
    return {re.sub(r"[-_.]+", "_", n).lower() for n in names}


VENV_PYTHON = os.path.join(TOP, "build/pyenv/bin/python")
VENV_DEPENDENCY = r"""
import importlib.metadata as md, re, sys
def norm(n):
    return re.sub(r"[-_.]+", "_", n).lower()
closure, todo = set(), [norm(n) for n in sys.argv[2:]]
while todo:
    n = todo.pop()
    if n in closure:
        continue
    closure.add(n)
    try:
        requires = md.requires(n) or []
    except md.PackageNotFoundError:
        continue
    todo += [norm(re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0])
             for r in requires if "extra ==" not in r]
print(" ".join(d for d in md.packages_distributions().get(sys.argv[1], [])
               if norm(d) in closure))
"""


def venv_dependency(module, pinned):
    """The distribution of the tests' venv (scripts/pyenv.sh) that
    provides module, when pip installed it as a dependency of a pinned
    package (as apt installs Depends); None otherwise, or without the
    venv."""
    if not os.access(VENV_PYTHON, os.X_OK):
        return None
    r = subprocess.run([VENV_PYTHON, "-c", VENV_DEPENDENCY, module] +
                       sorted(pinned), stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    return r.stdout.split()[0] if r.returncode == 0 and r.stdout.split() \
        else None


def dpkg_owner(path):
    """The package that owns path, following symbolic links (the
    alternatives system, merged /usr); None when no package does."""
    seen = set()
    while path and path not in seen:
        seen.add(path)
        candidates = [path]
        for a, b in (("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/"),
                     ("/lib/", "/usr/lib/")):
            if path.startswith(a):
                candidates.append(b + path[len(a):])
            elif path.startswith(b):
                candidates.append(a + path[len(b):])
        for c in candidates:
            r = subprocess.run(["dpkg-query", "-S", c],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
            for ln in r.stdout.splitlines():
                if ln.startswith("diversion by"):
                    continue
                pkgs, _, owned = ln.rpartition(": ")
                if owned == c:
                    return pkgs.split(", ")[0].split(":")[0]
        if not os.path.islink(path):
            return None
        target = os.readlink(path)
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
    return None


_status = {}


def package_info(pkg):
    if pkg not in _status:
        r = subprocess.run(["dpkg-query", "-W", "-f",
                            "${Priority}\t${Essential}\t${Depends}\t"
                            "${Pre-Depends}", pkg],
                           stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        parts = r.stdout.split("\t") if r.returncode == 0 else None
        _status[pkg] = parts
    return _status[pkg]


def depends_closure(roots):
    """Installed packages that roots need for certain: their Depends and
    Pre-Depends without alternatives (apt must install those; of "a | b"
    either may be there, and Recommends are not installed), recursively."""
    todo, done = list(roots), set()
    while todo:
        p = todo.pop()
        if p in done:
            continue
        done.add(p)
        info = package_info(p)
        if info is None:
            continue
        for dep in (info[2] + "," + info[3]).split(","):
            if "|" in dep:
                continue
            name = dep.strip().split(" ")[0].split(":")[0]
            if name and package_info(name) is not None:
                todo.append(name)
    return done


def optional_commands(src):
    """Commands a file declares optional: `# check-commands: optional
    NAME... (why)`, for a command the file runs only when it is
    installed (command -v), never for a check that would be skipped."""
    names = set()
    for m in re.finditer(r"#\s*check-commands:\s*optional\s+([^(\n]*)",
                         src):
        names.update(m.group(1).split())
    return names


# Shapes the scanner must see through, and words it must not take for
# commands; checked on every run, so that a scanner that finds nothing
# cannot pass.  (IMPORT stands for the keyword, so that this file's own
# scan does not take the line for one of its imports.)
SELF_TEST = r'''
a | b && c || d; e & f
x=$(g "$(h)") y=`i`; j <(k) >(l)
if m; then n; elif o; then :; else p; fi; while q; do r; done
for v in notcmd1 notcmd2; do t; done; until s; do :; done
case "$1" in pat1) u ;; pat2|pat3) w ;; esac
env A=1 -u B aa; timeout -s KILL 5 bb; setsid -w cc; sudo -n -u me dd
xargs -0 -n 1 ee; exec ff; command gg; command -v notcmd3; nohup hh
bash -c 'ii; jj' ; "${sudo[@]}" kk -x; "${tool[@]}" --notcmd4
[[ -d notcmd5 && -f notcmd6 ]] && ll; ! mm; { nn; }; ( oo )
echo notcmd7 "pp $(qq)" > notcmd8 2>&1; cat <<END
notcmd9 $(rr)
END
VAR=${X:-ss}; "$VAR"; myfunc() { tt; }; myfunc
python3 - <<'PY'
IMPORT notmodule1
PY
(( notcmd10 > 1 )); zz=(notcmd11 notcmd12); uu 2>notcmd13
'''
SELF_TEST_WANT = set("""a b c d e f g h i j k l m n o p q r s t u w env
aa timeout bb setsid cc sudo dd xargs ee ff gg nohup hh bash ii jj kk ll
mm nn oo qq cat rr ss tt python3 uu""".split())


def self_test():
    """The scanner on SELF_TEST; returns a failure message or None."""
    found = set()
    modules = set()
    for u in shell_commands(SELF_TEST.replace("IMPORT", "import"),
                            "self-test", {"myfunc"}):
        if isinstance(u, tuple):
            modules |= {m for m, _ in python_uses(*u[1:])[1]}
        else:
            found.add(u.name)
    if found != SELF_TEST_WANT or modules != {"notmodule1"}:
        return (f"self-test: missed {sorted(SELF_TEST_WANT - found)}, "
                f"took for commands {sorted(found - SELF_TEST_WANT)}, "
                f"modules {sorted(modules)}")
    return None


def main():
    verbose = "-v" in sys.argv[1:]
    broken = self_test()
    if broken:
        print(f"check-commands: {broken}")
        return 1
    files = [p for p in tracked_files()
             if os.path.isfile(os.path.join(TOP, p))]
    sources = {}
    for path in files:
        try:
            with open(os.path.join(TOP, path), encoding="utf-8") as f:
                sources[path] = f.read()
        except UnicodeDecodeError:
            pass
    shells = [p for p in files if p in sources and p != "Makefile" and
              not p.endswith((".py", ".c", ".service")) and is_shell(p)]
    functions = set()
    for path in shells:
        functions |= shell_functions(sources[path])

    uses, modules, optional = [], [], {}
    for path in files:
        if path not in sources:
            continue
        found = []
        if path == "Makefile":
            found = makefile_uses(path, functions)
        elif path.endswith(".service"):
            found = unit_uses(path)
        elif path.endswith(".c") and path.startswith(("tests/", "bench/")):
            found = c_uses(path, functions)
        elif path.endswith(".py"):
            found, m = python_uses(sources[path], path)
            modules += m
        elif path in shells:
            found = shell_commands(sources[path], path, functions)
        for name in optional_commands(sources[path]):
            optional.setdefault(name, set()).add(path)
        for u in found:
            if isinstance(u, tuple):
                pu, pm = python_uses(*u[1:])
                uses += pu
                modules += pm
            else:
                uses.append(u)

    packages = setup_packages()
    guaranteed = depends_closure(packages)
    venv = venv_packages()
    failures, rows = [], []
    by_name = {}
    for u in uses:
        by_name.setdefault(u.name, []).append(u.where)

    def accept(pkg):
        """Why pkg is sure to be there, or None."""
        if pkg in packages:
            return "PACKAGES"
        info = package_info(pkg)
        if info and info[0] == "required":
            return "required"
        if pkg in BASE_PACKAGES:
            return "base"
        if pkg in guaranteed:
            return "dependency"
        return None

    for name in sorted(by_name):
        where = by_name[name]
        if "/" in name and not name.startswith("/"):
            continue  # ./cdranon, build/...: the project's own programs
        if os.path.basename(name) == "cdranon":
            continue  # the product, as installed by the tests
        files_using = {w.rsplit(":", 1)[0] for w in where}
        if files_using <= optional.get(name, set()):
            rows.append((name, "-", "optional"))
            continue
        path = name if name.startswith("/") else \
            shutil.which(name, path=SEARCH_PATH)
        if path is None or not os.access(path, os.X_OK):
            failures.append(f"{where[0]}: {name}: not installed: add the "
                            f"package that provides it to PACKAGES in "
                            f"scripts/setup.sh")
            continue
        pkg = dpkg_owner(path)
        if pkg is None:
            failures.append(f"{where[0]}: {name} ({path}): not from a "
                            f"Debian package")
            continue
        why = accept(pkg)
        if why is None:
            failures.append(f"{where[0]}: {name} ({path}) is in package "
                            f"{pkg}: add it to PACKAGES in scripts/setup.sh "
                            f"(it is not of priority required, nor a sure "
                            f"dependency of PACKAGES)")
            continue
        rows.append((name, pkg, why))

    seen = set()
    for name, where in modules:
        if name in seen:
            continue
        seen.add(name)
        if re.sub(r"[-_.]+", "_", name).lower() in venv:
            rows.append((f"python:{name}", "(venv)", "pinned"))
            continue
        # A module of the project itself, beside the file that imports it.
        importer = where.rsplit(":", 1)[0]
        if os.path.isfile(os.path.join(os.path.dirname(importer),
                                       name.split(".")[0] + ".py")):
            rows.append((f"python:{name}", "(project)", "beside its user"))
            continue
        r = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import importlib.util, sys\n"
             "n = sys.argv[1]\n"
             "if n in sys.builtin_module_names: print('builtin')\n"
             "else:\n"
             " s = importlib.util.find_spec(n)\n"
             " print(s.origin if s and s.origin else '')", name],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        origin = r.stdout.strip()
        if r.returncode != 0 or not origin:
            dist = venv_dependency(name, venv)
            if dist:
                rows.append((f"python:{name}", f"(venv) {dist}",
                             "dependency"))
                continue
            failures.append(f"{where}: Python module {name}: not importable "
                            f"by /usr/bin/python3, not pinned for a venv, "
                            f"nor a dependency of a pinned package in "
                            f"build/pyenv (scripts/pyenv.sh builds it)")
            continue
        if origin in ("builtin", "frozen"):
            rows.append((f"python:{name}", "python3", "built in"))
            continue
        pkg = dpkg_owner(os.path.realpath(origin))
        why = accept(pkg) if pkg else None
        if why is None:
            failures.append(f"{where}: Python module {name} ({origin}) is "
                            f"in package {pkg}: add it to PACKAGES in "
                            f"scripts/setup.sh")
            continue
        rows.append((f"python:{name}", pkg, why))

    if verbose:
        for name, pkg, why in rows:
            print(f"  {name:24} {pkg:28} {why}")
    for f in failures:
        print(f"check-commands: {f}")
    print(f"check-commands: {len(rows)} commands and Python modules, "
          f"{len(failures)} not accounted for")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
