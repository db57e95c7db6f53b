#!/usr/bin/python3
"""Comments, tests and documents cite only what is in the repository.

A reader must be able to follow every citation without access to anything but this source
tree: a fact number (F19) is one docs/design.md defines, a file named like config.h is one
the tree holds, a pgd_* name is one the code declares, and nothing refers to an issue, a
ticket or a "design card" that lives elsewhere. docs/design.md itself is where facts about
PostgreSQL, pgBackRest and Patroni are written down with their own sources, so its names of
their files are not checked.

Usage: citations.py SOURCE_DIR   (exit 1 with FILE:LINE: reason for each bad citation)
"""
import os
import re
import sys

# What is read: everything a contributor writes, not build output or fetched packages.
DIRS = ["common", "bootstrap", "verify", "fleet", "man", "tests", "scripts", "patroni-examples",
        "packaging", "docs"]
TOP_FILES = ["README.md", "CMakeLists.txt"]
SKIP_DIRS = {"__pycache__", "node_modules", "corpus", ".git", ".deps"}
TEXT_ENDINGS = (".c", ".h", ".py", ".sh", ".md", ".txt", ".yml", ".yaml", ".cmake", ".mjs",
                ".json", "")

FACT = re.compile(r"(?<![\w.-])F(\d{1,3})(?!\w)")
FACT_DEFINED = re.compile(r"^\*\*F(\d+)\.", re.M)
FILE_NAME = re.compile(r"(?<![\w/.$-])([A-Za-z_][\w-]*\.[ch])(?![\w])")
PGD_NAME = re.compile(r"\bpgd_[a-z0-9_]+\b")
ELSEWHERE = [
    (re.compile(r"\bissues?\s*#?\d+", re.I), "cites an issue the repository does not hold"),
    (re.compile(r"\bthe issue\b", re.I), "cites an issue the repository does not hold"),
    (re.compile(r"\bdesign card\b", re.I), "cites a design card the repository does not hold"),
    (re.compile(r"\b(ticket|jira)\b", re.I), "cites a ticket the repository does not hold"),
]
# Lines of this very file that name the patterns above are not citations.
SELF = os.path.join("tests", "lint", "citations.py")


def files_under(src):
    found = [name for name in TOP_FILES if os.path.isfile(os.path.join(src, name))]
    for top in DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(src, top)):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if os.path.splitext(name)[1] in TEXT_ENDINGS:
                    found.append(os.path.relpath(os.path.join(dirpath, name), src))
    return found


def read(src, rel):
    try:
        with open(os.path.join(src, rel), encoding="utf-8") as f:
            return f.read()
    except (UnicodeDecodeError, OSError):
        return None


def without_comments(c_text):
    """C text without its comments and string literals: what the code itself declares."""
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\])*"', " ", c_text, flags=re.S)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    src = sys.argv[1]
    design = read(src, os.path.join("docs", "design.md")) or ""
    facts = set(FACT_DEFINED.findall(design))
    all_files = set()
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build")]
        all_files.update(filenames)
    texts = {rel: read(src, rel) for rel in files_under(src)}
    texts = {rel: text for rel, text in texts.items() if text is not None}
    declared = set()
    for rel, text in texts.items():
        if rel.endswith((".c", ".h")) and not rel.startswith("tests" + os.sep):
            declared.update(PGD_NAME.findall(without_comments(text)))

    problems = []
    for rel, text in sorted(texts.items()):
        is_design = rel == os.path.join("docs", "design.md")
        for number, line in enumerate(text.splitlines(), 1):
            where = "%s:%d" % (rel, number)
            if rel == SELF:
                continue
            for m in FACT.finditer(line):
                if m.group(1) not in facts:
                    problems.append("%s: F%s is not defined in docs/design.md" % (where, m.group(1)))
            for pattern, why in ELSEWHERE:
                if pattern.search(line):
                    problems.append("%s: %s" % (where, why))
            if is_design or line.lstrip().startswith("#include"):
                continue
            # A C string is data (a program's output quoted by a test), not a citation.
            code = re.sub(r'"(?:\\.|[^"\\])*"', '""', line) if rel.endswith((".c", ".h")) else line
            for m in FILE_NAME.finditer(code):
                if m.group(1) not in all_files:
                    problems.append("%s: %s is no file of the repository" % (where, m.group(1)))
            if rel.endswith((".c", ".h", ".md")):
                for name in PGD_NAME.findall(line):
                    if name not in declared:
                        problems.append("%s: %s is declared nowhere in the code" % (where, name))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
