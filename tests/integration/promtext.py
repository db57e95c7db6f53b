"""A strict parser of the Prometheus text exposition format (version 0.0.4).

Stricter than Prometheus itself where the format leaves room: every family must have
HELP and TYPE before its samples, families must be contiguous, no series may repeat,
and the file must end with a newline. Raises ValueError naming the line.
"""
import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _parse_labels(text, lineno):
    labels = {}
    i = 0
    while i < len(text):
        m = re.match(LABEL, text[i:])
        if not m:
            raise ValueError("line %d: bad label name at %r" % (lineno, text[i:]))
        name = m.group(0)
        i += len(name)
        if text[i:i + 2] != '="':
            raise ValueError("line %d: expected =\" after label %s" % (lineno, name))
        i += 2
        value = []
        while True:
            if i >= len(text):
                raise ValueError("line %d: unterminated label value" % lineno)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError("line %d: bad escape \\%s" % (lineno, nxt))
                value.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError("line %d: newline in label value" % lineno)
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ValueError("line %d: label %s twice" % (lineno, name))
        labels[name] = "".join(value)
        if i < len(text):
            if text[i] != ",":
                raise ValueError("line %d: expected , between labels" % lineno)
            i += 1
    return labels


def _parse_value(text, lineno):
    if text in ("NaN", "+Inf", "-Inf"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError("line %d: bad value %r" % (lineno, text))
    return float(text)


def parse(text):
    """{family: {"type": t, "help": h, "samples": [(name, labels, value)]}}"""
    if not text.endswith("\n"):
        raise ValueError("the file does not end with a newline")
    families = {}
    current = None
    finished = set()
    seen_series = set()
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            raise ValueError("line %d: empty line" % lineno)
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
            if not m:
                raise ValueError("line %d: bad comment line %r" % (lineno, line))
            kind, name, rest = m.groups()
            if name != current:
                if current is not None:
                    finished.add(current)
                if name in finished:
                    raise ValueError("line %d: family %s is not contiguous" % (lineno, name))
                current = name
            fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
            if fam["samples"]:
                raise ValueError("line %d: %s after samples of %s" % (lineno, kind, name))
            key = kind.lower()
            if fam[key] is not None:
                raise ValueError("line %d: second %s for %s" % (lineno, kind, name))
            if kind == "TYPE" and rest not in TYPES:
                raise ValueError("line %d: unknown type %r" % (lineno, rest))
            fam[key] = rest
            continue
        m = re.fullmatch(r"(%s)(\{(.*)\})? (\S+)( -?\d+)?" % NAME, line)
        if not m:
            raise ValueError("line %d: bad sample line %r" % (lineno, line))
        name, _, label_text, value_text, _ = m.groups()
        if name != current or name not in families:
            raise ValueError("line %d: sample of %s without its HELP/TYPE block" % (lineno, name))
        fam = families[name]
        if fam["type"] is None or fam["help"] is None:
            raise ValueError("line %d: %s lacks HELP or TYPE" % (lineno, name))
        labels = _parse_labels(label_text or "", lineno)
        series = (name, tuple(sorted(labels.items())))
        if series in seen_series:
            raise ValueError("line %d: duplicate series %s%s" % (lineno, name, labels))
        seen_series.add(series)
        value = _parse_value(value_text, lineno)
        if math.isnan(value):
            raise ValueError("line %d: NaN is not a useful drill metric" % lineno)
        fam["samples"].append((name, labels, value))
    for name, fam in families.items():
        if not fam["samples"]:
            raise ValueError("family %s has no samples" % name)
    return families


def value(families, name, **labels):
    for _, got, v in families[name]["samples"]:
        if all(got.get(k) == str(val) for k, val in labels.items()):
            return v
    raise KeyError("%s%s not found" % (name, labels))
