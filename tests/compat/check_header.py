#!/usr/bin/python3
"""Compare our public zmq.h with Debian's libzmq zmq.h, macro by macro.

Usage: check_header.py --ours <our include dir> [--debian /usr/include/zmq.h]
                       [--cc cc] [--cxx c++ compiler] [-v]

For both modes (plain, and with -DZMQ_BUILD_DRAFT_API) every ZMQ_* macro
that Debian's header defines (plus the error macros EFSM, ENOCOMPATPROTO,
ETERM and EMTHREAD) must be defined by ours with the same value.  Values are
obtained by compiling and running a small C program against each header.
Our header must also compile cleanly on its own as strict C99, C11 and C++.
Prints one line per failure and ends with "N passed, M failed".
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ERROR_MACROS = {"EFSM", "ENOCOMPATPROTO", "ETERM", "EMTHREAD"}
IGNORED = {"__ZMQ_H_INCLUDED__", "ZMQ_EXPORT", "ZMQ_BUILD_DRAFT_API"}

# The only values allowed to differ from Debian's header.  For each one our
# value must equal the libzmq 4.3.5 value given here, so that the exception
# cannot hide a wrong value.
ALLOWED_DIFFERENCES = {
    "ZMQ_VERSION_PATCH": (
        "i:5", "we implement libzmq 4.3.5, Debian ships 4.3.4"),
    "ZMQ_VERSION": (
        "i:40305", "we implement libzmq 4.3.5, Debian ships 4.3.4"),
    "ZMQ_RECONNECT_STOP_AFTER_DISCONNECT": (
        "i:4", "4.3.5 changed it from 0x3 to 0x4: 0x3 collided with "
               "CONN_REFUSED|HANDSHAKE_FAILED"),
}

# Function-like macros whose value is checked by calling them.
FUNCTION_PROBES = {"ZMQ_MAKE_VERSION": "ZMQ_MAKE_VERSION (1, 2, 3)"}

VALUE_PROGRAM_HEAD = r'''
#include "%s"
#include <stdio.h>
static void show_int (const char *n, long long v) { printf ("%%s i:%%lld\n", n, v); }
static void show_str (const char *n, const char *v) { printf ("%%s s:%%s\n", n, v); }
#define SHOW(n, x) _Generic ((x), char *: show_str, const char *: show_str, \
                              default: show_int) (n, (x))
int main (void)
{
'''


class Report:
    def __init__(self, verbose):
        self.passed = self.failed = 0
        self.verbose = verbose

    def ok(self, what):
        self.passed += 1
        if self.verbose:
            print("PASS: " + what)

    def fail(self, what):
        self.failed += 1
        print("FAIL: " + what)

    def check(self, cond, what):
        (self.ok if cond else self.fail)(what)
        return cond


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def first_lines(text, n=8):
    lines = text.strip().splitlines()
    more = ["    ... (%d more lines)" % (len(lines) - n)] if len(lines) > n else []
    return "\n".join(["    " + l for l in lines[:n]] + more)


def macros(cc, header, draft, tmp):
    """name -> (params or None, body) for the macros of interest."""
    src = os.path.join(tmp, "dm.c")
    with open(src, "w") as f:
        f.write('#include "%s"\n' % header)
    cmd = [cc, "-dM", "-E", src] + (["-DZMQ_BUILD_DRAFT_API"] if draft else [])
    res = run(cmd)
    if res.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), first_lines(res.stderr)))
    found = {}
    for line in res.stdout.splitlines():
        m = re.match(r"#define (\w+)(\([^)]*\))?(?: (.*))?$", line)
        if not m:
            continue
        name, params, body = m.group(1), m.group(2), (m.group(3) or "").strip()
        if name in IGNORED:
            continue
        if name.startswith("ZMQ_") or name in ERROR_MACROS:
            found[name] = (params, body)
    return found


def values(cc, header, draft, exprs, tmp, tag):
    """Compile and run a program printing each (label, expression) pair."""
    src = os.path.join(tmp, "values_%s.c" % tag)
    exe = os.path.join(tmp, "values_%s" % tag)
    with open(src, "w") as f:
        f.write(VALUE_PROGRAM_HEAD % header)
        for label, expr in exprs:
            f.write('    SHOW ("%s", %s);\n' % (label, expr))
        f.write("    return 0;\n}\n")
    cmd = [cc, "-std=c11", "-o", exe, src] + (["-DZMQ_BUILD_DRAFT_API"] if draft else [])
    res = run(cmd)
    if res.returncode != 0:
        raise RuntimeError("value program for %s does not compile:\n%s"
                           % (header, first_lines(res.stderr, 15)))
    res = run([exe])
    if res.returncode != 0:
        raise RuntimeError("value program for %s failed to run" % header)
    out = {}
    for line in res.stdout.splitlines():
        label, _, value = line.partition(" ")
        out[label] = value
    return out


def compare_mode(rep, args, ours_h, draft, tmp):
    mode = "draft" if draft else "stable"
    try:
        deb = macros(args.cc, args.debian, draft, tmp)
        our = macros(args.cc, ours_h, draft, tmp)
    except RuntimeError as e:
        rep.fail("[%s] preprocessing: %s" % (mode, e))
        return
    exprs = []
    for name in sorted(deb):
        params, body = deb[name]
        if name not in our:
            rep.fail("[%s] %s: missing from our header (Debian: %s)"
                     % (mode, name, body or "<empty>"))
            continue
        oparams, obody = our[name]
        if (params is None) != (oparams is None):
            rep.fail("[%s] %s: function-like in one header, object-like in "
                     "the other (ours %s%s, Debian %s%s)"
                     % (mode, name, name, oparams or "", name, params or ""))
        elif params is not None:
            if name in FUNCTION_PROBES:
                exprs.append((name, FUNCTION_PROBES[name]))
            else:
                rep.ok("[%s] %s: function-like macro present" % (mode, name))
        elif body == "" or obody == "":
            rep.ok("[%s] %s: present (empty body, presence only)" % (mode, name))
        else:
            exprs.append((name, name))
    if not exprs:
        return
    try:
        dv = values(args.cc, args.debian, draft, exprs, tmp, "debian")
        ov = values(args.cc, ours_h, draft, exprs, tmp, "ours")
    except RuntimeError as e:
        rep.fail("[%s] %s" % (mode, e))
        return
    for label, _ in exprs:
        d, o = dv.get(label), ov.get(label)
        if label in ALLOWED_DIFFERENCES:
            want, reason = ALLOWED_DIFFERENCES[label]
            if rep.check(o == want, "[%s] %s: ours %s, must be the 4.3.5 value %s "
                         "(allowed to differ from Debian's %s: %s)"
                         % (mode, label, o, want, d, reason)) and o != d:
                print("NOTE: [%s] %s differs from Debian as allowed (ours %s, "
                      "Debian %s): %s" % (mode, label, o, d, reason))
        else:
            rep.check(o == d, "[%s] %s: ours %s, Debian %s" % (mode, label, o, d))
    extra = sorted(n for n in our if n not in deb)
    if extra and args.verbose:
        print("INFO: [%s] %d macros only in our header: %s"
              % (mode, len(extra), " ".join(extra)))


def compile_alone(rep, args, ours_h, tmp):
    src = os.path.join(tmp, "alone.c")
    with open(src, "w") as f:
        f.write('#include "%s"\n'
                "int zmq_header_probe (void);\n"
                "int zmq_header_probe (void) { return ZMQ_VERSION; }\n" % ours_h)
    strict = ["-Wall", "-Wextra", "-pedantic", "-Werror"]
    configs = [
        ("C99", [args.cc, "-std=c99"] + strict),
        ("C11", [args.cc, "-std=c11"] + strict),
        ("C++", [args.cxx, "-x", "c++"] + strict),
    ]
    for label, cmd in configs:
        for draft in (False, True):
            full = cmd + (["-DZMQ_BUILD_DRAFT_API"] if draft else []) + \
                ["-c", "-o", os.path.join(tmp, "alone.o"), src]
            what = "our zmq.h compiles alone as %s%s: %s" % (
                label, " with ZMQ_BUILD_DRAFT_API" if draft else "", " ".join(full))
            try:
                res = run(full)
            except OSError as e:
                rep.fail(what + " (%s)" % e)
                continue
            if res.returncode == 0:
                rep.passed += 1
                print("PASS: " + what)
            else:
                rep.fail(what + "\n" + first_lines(res.stderr))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="directory holding our zmq.h")
    ap.add_argument("--debian", default="/usr/include/zmq.h")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="g++")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passes too")
    args = ap.parse_args()

    ours_h = os.path.abspath(os.path.join(args.ours, "zmq.h"))
    args.debian = os.path.abspath(args.debian)
    if not os.path.isfile(args.debian):
        print("Debian's zmq.h not found at %s (install libzmq3-dev); "
              "cannot compare" % args.debian)
        print("0 passed, 1 failed")
        return 1
    rep = Report(args.verbose)
    if not os.path.isfile(ours_h):
        rep.fail("our header %s does not exist" % ours_h)
    else:
        with tempfile.TemporaryDirectory(prefix="zmq-check-header.") as tmp:
            for draft in (False, True):
                compare_mode(rep, args, ours_h, draft, tmp)
            compile_alone(rep, args, ours_h, tmp)
    print("%d passed, %d failed" % (rep.passed, rep.failed))
    return 0 if rep.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
