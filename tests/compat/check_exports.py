#!/usr/bin/python3
"""Check the symbols our shared and static libzmq export.

Usage: check_exports.py --shared <path/libzmq.so> --static <path/libzmq.a>
                        --ours <our include dir> [--debian /usr/include/zmq.h]
                        [--cc cc] [-v]

a) every function declared by Debian's zmq.h or by ours (draft API
   included) is a defined dynamic symbol of the shared library;
b) the shared library exports nothing else;
c) every global symbol the static library defines is a public function or
   starts with the internal prefix zmq__ (and every public function is in it);
d) the shared library's SONAME is libzmq.so.5.
Prints one line per failure and ends with "N passed, M failed".
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

SONAME = "libzmq.so.5"
INTERNAL_PREFIX = "zmq__"
FUNCTION_TYPES = {"T", "i"}  # text symbol, or GNU indirect function
MAX_SHOWN = 40  # failure lines printed per check without -v


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n    %s" % (
            " ".join(cmd), res.returncode,
            "\n    ".join(res.stderr.strip().splitlines()[:10])))
    return res.stdout


def declared_functions(cc, header, tmp):
    """Names of the zmq_* functions a header declares (draft API included)."""
    src = os.path.join(tmp, "decls.c")
    with open(src, "w") as f:
        f.write('#include "%s"\n' % header)
    text = run([cc, "-E", "-P", "-DZMQ_BUILD_DRAFT_API", src])
    names = set()
    # One declaration per ';'.  Typedefs (zmq_free_fn, zmq_timer_fn,
    # zmq_thread_fn, the structs) are skipped; in a prototype the first
    # zmq_* identifier followed by '(' is the function's name.
    for decl in " ".join(text.split()).split(";"):
        decl = decl.strip().lstrip("}").strip()
        if decl.startswith("typedef"):
            continue
        m = re.search(r"\b(zmq_\w+)\s*\(", decl)
        if m:
            names.add(m.group(1))
    return names


def nm_symbols(cmd):
    """Yield (object file or None, type, name) for each symbol nm lists."""
    obj = None
    for line in run(cmd).splitlines():
        if not line.strip():
            continue
        if line.endswith(":") and " " not in line.strip():
            obj = line[:-1]
            continue
        fields = line.split()
        if len(fields) < 2:
            continue
        typ, name = fields[-2], fields[-1]
        yield obj, typ, re.sub(r"@.*$", "", name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", required=True, help="path to our libzmq.so")
    ap.add_argument("--static", required=True, help="path to our libzmq.a")
    ap.add_argument("--ours", required=True, help="directory holding our zmq.h")
    ap.add_argument("--debian", default="/usr/include/zmq.h")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passes too")
    args = ap.parse_args()

    passed = failed = 0
    shown = {}  # failures printed per check letter, to keep output readable

    def check(cond, what):
        nonlocal passed, failed
        if cond:
            passed += 1
            if args.verbose:
                print("PASS: " + what)
        else:
            failed += 1
            key = what[:2]
            shown[key] = shown.get(key, 0) + 1
            if args.verbose or shown[key] <= MAX_SHOWN:
                print("FAIL: " + what)
            elif shown[key] == MAX_SHOWN + 1:
                print("FAIL: %s ... further failures of this kind counted but "
                      "not shown (use -v)" % key)
        return cond

    def finish():
        print("%d passed, %d failed" % (passed, failed))
        return 0 if failed == 0 else 1

    debian_h = os.path.abspath(args.debian)
    ours_h = os.path.abspath(os.path.join(args.ours, "zmq.h"))
    if not os.path.isfile(debian_h):
        print("Debian's zmq.h not found at %s (install libzmq3-dev)" % debian_h)
        print("0 passed, 1 failed")
        return 1
    for path in (ours_h, args.shared, args.static):
        if not check(os.path.isfile(path), "%s exists" % path):
            return finish()

    try:
        with tempfile.TemporaryDirectory(prefix="zmq-check-exports.") as tmp:
            debian_fns = declared_functions(args.cc, debian_h, tmp)
            ours_fns = declared_functions(args.cc, ours_h, tmp)
        dynamic = [(t, n) for _, t, n in
                   nm_symbols(["nm", "-D", "--defined-only", args.shared])]
        static = list(nm_symbols(["nm", "-g", "--defined-only", args.static]))
        dynamic_section = run(["readelf", "-d", "--wide", args.shared])
    except (RuntimeError, OSError) as e:
        check(False, str(e))
        return finish()

    print("INFO: Debian's header declares %d functions, ours %d; "
          "only in ours: %s" % (len(debian_fns), len(ours_fns),
                                " ".join(sorted(ours_fns - debian_fns)) or "-"))
    for name in sorted(debian_fns - ours_fns):
        check(False, "%s is declared by Debian's zmq.h but not by ours" % name)
    public = debian_fns | ours_fns

    # a) every public function is exported as a function.
    exported = {}
    for typ, name in dynamic:
        if typ != "A":  # version nodes, if the library is versioned
            exported[name] = typ
    for name in sorted(public):
        where = "both headers" if name in debian_fns and name in ours_fns else \
            ("Debian's header" if name in debian_fns else "our header")
        typ = exported.get(name)
        if typ is None:
            check(False, "a) %s (declared in %s) is not exported by %s"
                  % (name, where, args.shared))
        else:
            check(typ in FUNCTION_TYPES, "a) %s is exported as a function "
                  "(nm type %s)" % (name, typ))

    # b) nothing but the public functions is exported.
    extra = sorted(n for n in exported if n not in public)
    for name in extra:
        check(False, "b) shared library exports non-public symbol %s (type %s)"
              % (name, exported[name]))
    if not extra:
        check(True, "b) shared library exports only the %d public functions"
              % len(exported))

    # c) static library: public functions or zmq__ internals only.
    bad = [(o, t, n) for o, t, n in static
           if n not in public and not n.startswith(INTERNAL_PREFIX)]
    for obj, typ, name in bad:
        check(False, "c) static library member %s defines global %s (type %s): "
              "neither public nor prefixed %s" % (obj, name, typ, INTERNAL_PREFIX))
    if not bad:
        check(True, "c) all %d global symbols of the static library are public "
              "or %s-prefixed" % (len(static), INTERNAL_PREFIX))
    in_static = {n for _, t, n in static if t in FUNCTION_TYPES}
    missing = sorted(public - in_static)
    for name in missing:
        check(False, "c) public function %s is not defined in %s"
              % (name, args.static))
    if not missing:
        check(True, "c) the static library defines all %d public functions"
              % len(public))

    # d) SONAME.
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]*)\]", dynamic_section)
    soname = m.group(1) if m else None
    check(soname == SONAME, "d) SONAME of %s is %s (expected %s)"
          % (args.shared, soname, SONAME))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
