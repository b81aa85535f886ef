#!/usr/bin/python3
"""Compare the ABI layout of the public structures of our zmq.h and Debian's.

Usage: check_layout.py --ours <our include dir> [--debian /usr/include/zmq.h]
                       [--cc cc] [-v]

The same C program is compiled once against each header (included by
absolute path, with -DZMQ_BUILD_DRAFT_API); it prints the size and alignment
of zmq_msg_t, zmq_pollitem_t and zmq_poller_event_t and the offset and size
of every member of the last two.  The outputs must match line by line, and
our zmq_msg_t must be 64 bytes aligned like a pointer.
Prints one line per failure and ends with "N passed, M failed".
"""
import argparse
import os
import subprocess
import sys
import tempfile

STRUCTS = {
    "zmq_msg_t": [],
    "zmq_pollitem_t": ["socket", "fd", "events", "revents"],
    "zmq_poller_event_t": ["socket", "fd", "user_data", "events"],
}


def program(header):
    lines = [
        '#include "%s"' % header,
        "#include <stddef.h>",
        "#include <stdio.h>",
        "#define MEMBER(t, m) sizeof (((t *) 0)->m)",
        "int main (void)",
        "{",
    ]
    for struct, members in STRUCTS.items():
        lines.append('    printf ("sizeof(%s) %%zu\\n", sizeof (%s));' % (struct, struct))
        lines.append('    printf ("_Alignof(%s) %%zu\\n", _Alignof (%s));' % (struct, struct))
        for m in members:
            lines.append('    printf ("offsetof(%s, %s) %%zu\\n", offsetof (%s, %s));'
                         % (struct, m, struct, m))
            lines.append('    printf ("sizeof(%s.%s) %%zu\\n", MEMBER (%s, %s));'
                         % (struct, m, struct, m))
    lines.append('    printf ("sizeof(zmq_fd_t) %zu\\n", sizeof (zmq_fd_t));')
    lines.append('    printf ("sizeof(void *) %zu\\n", sizeof (void *));')
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines)


def layout(cc, header, tmp, tag):
    """Return the list of 'label value' lines, or raise RuntimeError."""
    src = os.path.join(tmp, "layout_%s.c" % tag)
    exe = os.path.join(tmp, "layout_%s" % tag)
    with open(src, "w") as f:
        f.write(program(header))
    cmd = [cc, "-std=c11", "-DZMQ_BUILD_DRAFT_API", "-o", exe, src]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("%s failed:\n    %s" % (" ".join(cmd),
                           "\n    ".join(res.stderr.strip().splitlines()[:10])))
    res = subprocess.run([exe], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("layout program for %s failed to run" % header)
    return res.stdout.splitlines()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="directory holding our zmq.h")
    ap.add_argument("--debian", default="/usr/include/zmq.h")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passes too")
    args = ap.parse_args()

    ours_h = os.path.abspath(os.path.join(args.ours, "zmq.h"))
    debian_h = os.path.abspath(args.debian)
    if not os.path.isfile(debian_h):
        print("Debian's zmq.h not found at %s (install libzmq3-dev); "
              "cannot compare" % debian_h)
        print("0 passed, 1 failed")
        return 1

    passed = failed = 0

    def check(cond, what):
        nonlocal passed, failed
        if cond:
            passed += 1
            if args.verbose:
                print("PASS: " + what)
        else:
            failed += 1
            print("FAIL: " + what)

    with tempfile.TemporaryDirectory(prefix="zmq-check-layout.") as tmp:
        try:
            deb = layout(args.cc, debian_h, tmp, "debian")
            ours = layout(args.cc, ours_h, tmp, "ours")
        except RuntimeError as e:
            check(False, str(e))
            print("%d passed, %d failed" % (passed, failed))
            return 1

    check(len(deb) == len(ours), "both programs print the same number of "
          "lines (ours %d, Debian %d)" % (len(ours), len(deb)))
    for d, o in zip(deb, ours):
        label = d.rsplit(" ", 1)[0]
        check(d == o, "%s: ours %s, Debian %s"
              % (label, o.rsplit(" ", 1)[-1], d.rsplit(" ", 1)[-1]))

    values = dict(line.rsplit(" ", 1) for line in ours)
    check(values.get("sizeof(zmq_msg_t)") == "64",
          "our sizeof(zmq_msg_t) is 64 (got %s)" % values.get("sizeof(zmq_msg_t)"))
    check(values.get("_Alignof(zmq_msg_t)") == values.get("sizeof(void *)"),
          "our _Alignof(zmq_msg_t) equals sizeof(void *) (got %s, pointer %s)"
          % (values.get("_Alignof(zmq_msg_t)"), values.get("sizeof(void *)")))

    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
