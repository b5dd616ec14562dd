#!/usr/bin/env python3
"""Where the bytes of a WebAssembly module go: the size of each function's code, named from
the module's `name` section (build without stripping it), grouped by the Rust path prefix.

    python3 tests/wasm_sizes.py module.wasm [--depth N] [--top K] [--base other.wasm]

With --base, prints what grew from the base module to this one, group by group.
"""
import argparse
import re
import sys
from collections import Counter


def leb(data, at):
    result = shift = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, at


def sections(data):
    at = 8
    while at < len(data):
        kind = data[at]
        size, at = leb(data, at + 1)
        yield kind, data[at:at + size]
        at += size


def function_sizes(path):
    data = open(path, "rb").read()
    imported = 0
    bodies = []
    bodies_data = []
    names = {}
    for kind, body in sections(data):
        if kind == 2:  # imports: functions among them take the first indices
            count, at = leb(body, 0)
            for _ in range(count):
                for _ in range(2):
                    length, at = leb(body, at)
                    at += length
                what = body[at]
                at += 1
                if what == 0:
                    _, at = leb(body, at)
                    imported += 1
                elif what == 1:
                    at += 1
                    flags, at = leb(body, at)
                    _, at = leb(body, at)
                    if flags & 1:
                        _, at = leb(body, at)
                elif what == 2:
                    flags, at = leb(body, at)
                    _, at = leb(body, at)
                    if flags & 1:
                        _, at = leb(body, at)
                elif what == 3:
                    at += 2
        elif kind == 10:
            count, at = leb(body, 0)
            for _ in range(count):
                size, at = leb(body, at)
                bodies.append(size)
                at += size
        elif kind == 11:
            bodies_data.append(len(body))
        elif kind == 0:
            length, at = leb(body, 0)
            if body[at:at + length] != b"name":
                continue
            at += length
            while at < len(body):
                sub = body[at]
                size, at = leb(body, at + 1)
                end = at + size
                if sub == 1:
                    count, inner = leb(body, at)
                    for _ in range(count):
                        index, inner = leb(body, inner)
                        length, inner = leb(body, inner)
                        names[index] = body[inner:inner + length].decode("utf8", "replace")
                        inner += length
                at = end
    if not names:
        sys.exit(f"{path} has no name section: build it without stripping names")
    sizes = {names.get(imported + i, f"func[{imported + i}]"): size for i, size in enumerate(bodies)}
    sizes["(data segments)"] = sum(bodies_data)
    return sizes


def demangle(name):
    """Rust's legacy mangling (`_ZN` + length-prefixed segments) read back into a path; v0
    names (`_R…`) keep the identifiers found in them."""
    if name.startswith("_ZN"):
        segments, at = [], 3
        while at < len(name) and name[at].isdigit():
            digits = re.match(r"\d+", name[at:]).group()
            at += len(digits)
            segments.append(name[at:at + int(digits)])
            at += int(digits)
        segments = [s.replace("$LT$", "<").replace("$GT$", ">").replace("$u20$", " ")
                    .replace("..", "::").replace("$C$", ",").replace("$u7b$", "{").replace("$u7d$", "}")
                    for s in segments if not re.fullmatch(r"h[0-9a-f]{16}", s)]
        return "::".join(segments)
    if name.startswith("_R"):
        return "::".join(re.findall(r"\d+_?([A-Za-z_][A-Za-z0-9_]*)", name)[1:])
    return name


def group(name, depth):
    name = demangle(name)
    name = re.sub(r"^_<|^<", "", name)
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    parts = re.split(r"::| as |<|>", name)
    parts = [part for part in parts if part and part.strip() not in ("impl", "")]
    return "::".join(parts[:depth])


def grouped(path, depth):
    sizes = Counter()
    for name, size in function_sizes(path).items():
        sizes[group(name, depth)] += size
    return sizes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("module")
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--base")
    args = parser.parse_args()
    sizes = grouped(args.module, args.depth)
    if args.base:
        base = grouped(args.base, args.depth)
        sizes = Counter({key: sizes[key] - base.get(key, 0) for key in set(sizes) | set(base)})
    total = sum(sizes.values())
    print(f"{'bytes':>9}  group (code only; total {total})")
    for key, size in sorted(sizes.items(), key=lambda item: -abs(item[1]))[: args.top]:
        print(f"{size:>9}  {key}")


if __name__ == "__main__":
    main()
