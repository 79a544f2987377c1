#!/usr/bin/env python3
"""Writes golden.jsonl.gz for pkg/pickle's tests (run from this directory).

dumps cases: JSON text and the bytes of pickle.dumps(json.loads(text), protocol=5).
loads cases: pickles of JSON-like values at every protocol, with the JSON text
LoadsJSON must return, or the kind of error it must give.
"""
import base64
import gzip
import hashlib
import json
import math
import pickle
import sys

assert pickle.Pickler.__module__ == "_pickle", "the C pickler is the reference"
cases = []


def dumps_case(name, text):
    data = pickle.dumps(json.loads(text), protocol=5)
    case = {"kind": "dumps", "name": name, "json": text}
    if len(data) > 16384:  # keep the file small: big pickles by digest
        case.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    else:
        case["pickle"] = data.hex()
    cases.append(case)


def norm(v):
    """What LoadsJSON returns, as a Python value for json.dumps."""
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    if isinstance(v, (list, tuple, set, frozenset)):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if isinstance(k, float) and not math.isfinite(k):
                k = "NaN" if math.isnan(k) else ("Infinity" if k > 0 else "-Infinity")
            out[next(iter(json.loads(json.dumps({k: 0}))))] = norm(x)  # json.dumps' key rules
        return out
    return v


def loads_case(name, value):
    for proto in range(6):
        data = pickle.dumps(value, protocol=proto)
        want = json.dumps(norm(value), ensure_ascii=False)
        cases.append({"kind": "loads", "name": f"{name}/p{proto}", "pickle": data.hex(), "json": want})


def error_case(name, data, kind):
    cases.append({"kind": "loads", "name": name, "pickle": data.hex(), "error": kind})


# --- dumps ---------------------------------------------------------------
dumps_case("airflow reference", '{"a": 1, "nested": {"b": [1, 2]}}')
dumps_case("empty dict", "{}")
dumps_case("empty list", "[]")
for t in ["null", "true", "false", "0", "1", "-1", "255", "256", "65535", "65536", "-256",
          "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
          "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "-128", "-129",
          "-32768", "-32769", "-8388608", "-0", "340282366920938463463374607431768211456",
          str(2**2100), str(-2**2047), str(-2**2048), str(-2**2048 - 1),
          "0.0", "-0.0", "1.0", "1.5", "0.1", "1e16", "1E-5", "2.5e+300", "1e400", "-1e400",
          "1e-320", "1e-400", "NaN", "Infinity", "-Infinity", "123456789012345678901234567890.5",
          '""', '"a"', '"ab"', '"\\u00ff"', '"\\u0100"', '"\\u00e9t\\u00e9"', '"\\ud83d\\ude00"',
          '"\\ud800"', '"\\udfff x"', '"\\ud83dx"', '"line\\nbreak\\t\\"q\\"\\\\ \\/"', '"😀"']:
    dumps_case("scalar " + t[:40], t)
for n in [3, 4, 5, 6, 254, 255, 256, 257, 1000, 65535, 65536, 65537, 70000, 200000]:
    dumps_case(f"string {n}", json.dumps("x" * n))
dumps_case("string 65536 multibyte", json.dumps("é" * 32768))
dumps_case("list of big strings", json.dumps(["a" * 70000, "b", "c" * 70000, {"k": "d" * 65536}]))
dumps_case("big string key", json.dumps({"k" * 70000: 1, "x": "k" * 70000}))
for n in [1, 2, 999, 1000, 1001, 1999, 2000, 2001, 3000]:
    dumps_case(f"list {n}", json.dumps(list(range(n))))
    dumps_case(f"dict {n}", json.dumps({f"k{i}": i for i in range(n)}))
dumps_case("shared keys", '[{"ab": 1, "cd": 2}, {"cd": 3, "ab": 4}, {"ab": {"ab": "ab"}}]')
dumps_case("singletons", '["a", "a", "", "", {"a": "a", "": ""}, "\\u00e9", "\\u00e9", "\\u0101", "\\u0101"]')
dumps_case("key equals value", '{"abc": "abc", "x": ["abc", "abc"]}')
dumps_case("duplicate keys", '{"a": 1, "b": 2, "a": 3}')
dumps_case("duplicate key single", '{"a": 1, "a": {"a": 2}}')
dumps_case("memo past 256", json.dumps([{"key%d" % (i % 300): i} for i in range(600)]))
dumps_case("memo past 65536", json.dumps([[[]] * 70000, {"kk": 1}, {"kk": 2}]))
dumps_case("nested", json.dumps({"a": [[[[{"b": [[]]}]]]], "c": {}}))
dumps_case("deep", "[" * 200 + "]" * 200)
dumps_case("whitespace", ' \t\n{ "a" : [ 1 , 2.0 , "x" ] }\r\n')
dumps_case("airflow conf", json.dumps({
    "date": "2024-01-01", "tables": ["a", "b", "c"], "retries": 3, "ratio": 0.25, "dry_run": False,
    "owner": None, "params": {"region": "eu-west-1", "limit": 1000000000000, "tags": {"x": "y"}},
}))
big = {f"field_{i}": {"name": f"n{i}", "values": list(range(i % 50)), "score": i / 8, "ok": i % 2 == 0}
       for i in range(3000)}
dumps_case("large conf crossing frames", json.dumps(big))

# --- loads ---------------------------------------------------------------
loads_case("reference", {"a": 1, "nested": {"b": [1, 2]}})
loads_case("scalars", [None, True, False, 0, 1, -1, 255, 256, 65536, -2**31, 2**31, 2**63, -2**64, 2**2100,
                       0.0, -0.0, 1.0, 0.1, 1e16, 1e-5, 1e15, 123.456, float("inf"), float("-inf"), float("nan"),
                       "", "a", "é", "😀", "back\\slash\nnew\rline\x00nul\x1a\x7f", "\b\f\u2028"])
loads_case("tuples", {"t": (1, 2), "t0": (), "t1": ("x",), "t3": (1, 2, 3), "t4": (1, 2, 3, 4)})
loads_case("sets", {"s": {3}, "fs": frozenset([7]), "empty": set()})
loads_case("bytes", {"b": b"\x00\xffabc", "e": b"", "ba": bytearray(b"xyz"), "big": b"z" * 300})
loads_case("non-str keys", {1: "i", 2.5: "f", True: "t", None: "n", 10**20: "big", 1e16: "e"})
loads_case("shared", [[1], [2]] * 3)
shared = {"x": [1, 2]}
loads_case("shared objects", [shared, shared, {"y": shared}])
loads_case("order", {"z": 1, "a": 2, "m": {"b": 1, "a": 2}})
loads_case("many items", {f"k{i}": list(range(i % 5)) for i in range(1200)})
loads_case("long strings", ["x" * 300, "y" * 70000])
loads_case("py2-style str keys", {"plain": "ascii only"})

error_case("datetime", pickle.dumps(__import__("datetime").datetime(2024, 1, 1), protocol=5), "unsupported")
error_case("datetime p0", pickle.dumps(__import__("datetime").datetime(2024, 1, 1), protocol=0), "unsupported")
error_case("decimal p2", pickle.dumps(__import__("decimal").Decimal("1.5"), protocol=2), "unsupported")
error_case("os.system", b"cos\nsystem\n(S'echo hi'\ntR.", "unsupported")
error_case("complex", pickle.dumps(1j, protocol=4), "unsupported")
error_case("empty", b"", "malformed")
error_case("truncated", pickle.dumps({"a": [1, 2, 3]}, protocol=5)[:-3], "malformed")
error_case("no stop", pickle.dumps([1], protocol=2)[:-1], "malformed")
error_case("bad opcode", b"\x80\x05\xff.", "malformed")
error_case("bad memo", b"\x80\x05h\x05.", "malformed")
error_case("empty stack", b"\x80\x05.", "malformed")
error_case("unhashable key", b"\x80\x05}](s.", "malformed")

raw = "".join(json.dumps(c, ensure_ascii=True) + "\n" for c in cases).encode()
with open("golden.jsonl.gz", "wb") as out:
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as g:
        g.write(raw)
print(f"{len(cases)} cases, python {sys.version.split()[0]}", file=sys.stderr)
