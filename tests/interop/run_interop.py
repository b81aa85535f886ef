#!/usr/bin/python3
# SPDX-License-Identifier: MPL-2.0
"""Interoperability driver: runs every scenario between two ZeroMQ peers.

Usage:
  run_interop.py [--ours PEER] [--libzmq PEER] [--pyzmq PEER.PY]
                 [--pairs X:Y[,X:Y...] | --pairs none] [--zmtp2 X[,X...]]
                 [--transports tcp,ipc] [--scenarios s1,s2,...]
                 [--jobs N] [--timeout SECONDS] [-v]
  run_interop.py --raw-zmtp2 <scenario> a <bind|connect> <endpoint>

Peers are named ours, libzmq and pyzmq: ours and libzmq are interop_peer
executables (peer_ours, peer_libzmq), pyzmq is peer.py run by
--python (default /usr/bin/python3).  Each --pairs entry X:Y runs every
scenario over every transport four ways: X binds or Y binds, and X plays
role a or role b.  --zmtp2 X runs the zmtp2_* scenarios between X and the
raw ZMTP/2.0 peer built into this script (no zmq library), X binding or
connecting.  To check the harness itself without our library, pass the
libzmq peer as --ours, or use pairs such as libzmq:libzmq and libzmq:pyzmq.

For each run the binder starts first; the connecter starts once the binder
printed "ready".  Both must exit 0 within --timeout seconds; when one
fails, the other is stopped after a short grace period.  Prints a table of
results per pairing and the diagnostics of every failure, and exits 1 if
anything failed.
"""
import argparse
import concurrent.futures
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SCENARIOS = ["pair", "pushpull", "reqrep", "dealer_router", "pubsub",
             "xpubsub", "multipart", "sizes", "heartbeat", "stream"]
ZMTP2_SCENARIOS = ["zmtp2_pull", "zmtp2_push", "zmtp2_dealer",
                   "zmtp2_router", "zmtp2_xpub", "zmtp2_sub"]
TRANSPORTS = ["tcp", "ipc"]

# (scenario, transport) -> reason, for combinations no implementation can
# run.  Empty: libzmq 4.3.4 runs every scenario, STREAM included, over ipc.
SKIP = {}


# ---------------------------------------------------------------------------
# The raw ZMTP/2.0 peer (RFC 15), role a of the zmtp2_* scenarios
# ---------------------------------------------------------------------------

PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB = range(11)
TYPE_NAMES = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL",
              "PUSH", "XPUB", "XSUB"]

# scenario -> (our socket type, the peer's socket type, our identity).
# libzmq puts its own socket type in the ZMTP/2.0 greeting, so an XPUB says
# XPUB (9), not PUB as RFC 15 would have it.
RAW_SPEC = {
    "zmtp2_pull": (PUSH, PULL, b""),
    "zmtp2_push": (PULL, PUSH, b""),
    "zmtp2_dealer": (DEALER, DEALER, b""),
    "zmtp2_router": (DEALER, ROUTER, b"zmtp2-peer"),
    "zmtp2_xpub": (SUB, XPUB, b""),
    "zmtp2_sub": (PUB, SUB, b""),
}


class RawFailure(Exception):
    pass


def pattern(n, seed):
    base = bytes((j ^ seed) & 0xFF for j in range(251))
    return (base * (n // 251 + 1))[:n]


def zmtp2_messages():
    """The sequence of scenarios.c zmtp2_msg() and peer.py."""
    msgs = [[b"v2-%d" % i] for i in range(50)]
    msgs.append([pattern(300, 1)])
    msgs.append([b"part1", b"", b"part3"])
    msgs.append([b""])
    msgs.append([pattern(70000, 2)])
    msgs.append([b"v2-end"])
    return msgs


def show(data):
    out = "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b
                  for b in data[:48])
    return out + ("..." if len(data) > 48 else "")


class Zmtp2:
    """One ZMTP/2.0 connection over a connected stream socket."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(10)

    def recv_exact(self, n, what):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise RawFailure("timed out (10 s) reading %s" % what)
            if not chunk:
                raise RawFailure("connection closed reading %s (got %d of "
                                 "%d bytes: %s)" % (what, len(buf), n,
                                                    show(buf)))
            buf += chunk
        return buf

    @staticmethod
    def frame(body, more):
        if len(body) > 255:
            return bytes([0x02 | more]) + struct.pack(">Q", len(body)) + body
        return bytes([more, len(body)]) + body

    def handshake(self, my_type, peer_type, identity):
        """Greets as a ZMTP/2.0 peer and checks the answer byte for byte
        against what libzmq 4.3 sends a ZMTP/2.0 peer: its signature
        (%xFF, 8-byte length = routing id size + 1, %x7F), then 3 (its own
        major version, which a 2.0 peer reads as the revision), then its
        socket type, then its routing id as a short frame.  Our zmq side
        sets no routing id, so the length is 1 and the id frame empty."""
        # signature = %xFF 8%x00 %x7F, revision = %x01, socket type, and
        # the identity as a final short frame, all in one write.
        self.sock.sendall(b"\xff" + b"\x00" * 8 + b"\x7f" +
                          bytes([0x01, my_type]) + self.frame(identity, 0))
        sig = self.recv_exact(10, "the peer's signature")
        if sig[0] != 0xFF or not sig[9] & 0x01:
            raise RawFailure("bad signature %s" % show(sig))
        head = sig + self.recv_exact(2, "the peer's revision and type")
        want = b"\xff" + struct.pack(">Q", 1) + b"\x7f\x03" + \
            bytes([peer_type])
        if head != want:
            raise RawFailure(
                "greeting %s, wanted %s (revision 3, socket type %s)"
                % (head.hex(" "), want.hex(" "), TYPE_NAMES[peer_type]))
        flags, body = self.read_frame("the peer's identity frame")
        if flags != 0 or body:
            raise RawFailure("identity frame: flags 0x%02x, %d bytes \"%s\"; "
                             "wanted an empty final short frame"
                             % (flags, len(body), show(body)))

    def read_frame(self, what):
        flags = self.recv_exact(1, what)[0]
        if flags & ~0x03:
            raise RawFailure("%s: reserved flag bits set (0x%02x)"
                             % (what, flags))
        if flags & 0x02:
            size = struct.unpack(">Q", self.recv_exact(8, what))[0]
            if size > 64 * 1024 * 1024:
                raise RawFailure("%s: absurd length %d" % (what, size))
        else:
            size = self.recv_exact(1, what)[0]
        return flags, self.recv_exact(size, what)

    def send_msg(self, parts):
        self.sock.sendall(b"".join(
            self.frame(p, 1 if i + 1 < len(parts) else 0)
            for i, p in enumerate(parts)))

    def recv_msg(self, what):
        parts = []
        while True:
            flags, body = self.read_frame(what)
            parts.append(body)
            if not flags & 0x01:
                return parts

    def expect(self, parts, what):
        got = self.recv_msg(what)
        if got != parts:
            raise RawFailure("%s: got [%s], wanted [%s]" % (
                what, ", ".join('"%s"' % show(p) for p in got),
                ", ".join('"%s"' % show(p) for p in parts)))

    def finish(self):
        """Half-closes and waits for the peer to close, so nothing we sent
        is cut off by a reset."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.sock.close()


def raw_script(scenario, c):
    msgs = zmtp2_messages()
    if scenario == "zmtp2_pull":
        for m in msgs:
            c.send_msg(m)
    elif scenario == "zmtp2_push":
        for i, m in enumerate(msgs):
            c.expect(m, "message %d" % i)
    elif scenario == "zmtp2_dealer":
        for m in msgs:
            c.send_msg(m)
        for i, m in enumerate(msgs):
            c.expect(m, "echo of message %d" % i)
        c.send_msg([b"bye"])
    elif scenario == "zmtp2_router":
        c.send_msg([b"hello"])
        c.expect([b"world", b""], "reply routed by our identity")
        c.send_msg([b"bye"])
    elif scenario == "zmtp2_xpub":
        c.send_msg([b"\x01ab"])
        c.expect([b"ab-1"], "first matching message")
        c.send_msg([b"\x00ab"])
        c.send_msg([b"\x01end"])
        c.expect([b"end-x"], "message after unsubscribing")
    elif scenario == "zmtp2_sub":
        c.expect([b"\x01ab"], "subscription message")
        c.send_msg([b"zz-no"])
        c.send_msg([b"ab-1"])
    c.finish()


def parse_endpoint(endpoint):
    if endpoint.startswith("tcp://"):
        host, _, port = endpoint[6:].rpartition(":")
        return socket.AF_INET, (host, int(port))
    if endpoint.startswith("ipc://"):
        return socket.AF_UNIX, endpoint[6:]
    raise RawFailure("unsupported endpoint %s" % endpoint)


def raw_main(scenario, mode, endpoint):
    try:
        if scenario not in RAW_SPEC:
            raise RawFailure("unknown scenario")
        family, addr = parse_endpoint(endpoint)
        if mode == "bind":
            listener = socket.socket(family, socket.SOCK_STREAM)
            if family == socket.AF_INET:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(addr)
            listener.listen(1)
            listener.settimeout(10)
            print("ready", flush=True)
            try:
                sock, _ = listener.accept()
            except socket.timeout:
                raise RawFailure("nobody connected within 10 s")
            listener.close()
        else:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(10)
            sock.connect(addr)
        my_type, peer_type, identity = RAW_SPEC[scenario]
        c = Zmtp2(sock)
        c.handshake(my_type, peer_type, identity)
        raw_script(scenario, c)
    except (RawFailure, OSError) as e:
        sys.stderr.write("interop %s/a (raw ZMTP/2.0 peer): %s\n"
                         % (scenario, e))
        return 1
    return 0


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------

_ports_lock = threading.Lock()
_ports_used = set()


def free_tcp_port():
    """A free port below the usual ephemeral range (32768-60999), so that
    the client side of another run's connection cannot take it."""
    with _ports_lock:
        for _ in range(1000):
            port = random.randrange(20000, 32000)
            if port in _ports_used:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                s.close()
            _ports_used.add(port)
            return port
    raise RuntimeError("no free tcp port")


class Case:
    def __init__(self, scenario, transport, a, b, binder, label):
        self.scenario, self.transport = scenario, transport
        self.a, self.b, self.binder = a, b, binder
        self.label = label  # (pairing, column)
        self.ok = None
        self.detail = ""
        self.seconds = 0.0

    def describe(self):
        return "%s over %s: a=%s b=%s, %s (role %s) binds" % (
            self.scenario, self.transport, self.a, self.b,
            self.a if self.binder == "a" else self.b, self.binder)


def read_ready(proc, deadline):
    """Waits for the line "ready" on proc's stdout."""
    fd = proc.stdout.fileno()
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            chunk = os.read(fd, 256)
            if not chunk:
                return False
            buf += chunk
            if b"ready\n" in buf:
                return True
        elif proc.poll() is not None:
            return False
    return False


def exit_text(code):
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "signal %d" % -code
        return "killed by %s" % name
    return "exit %s" % code


def tail(path, lines=15):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    out = text.strip().splitlines()
    if len(out) > lines:
        out = ["... (%d lines)" % (len(out) - lines)] + out[-lines:]
    return "\n".join(out)


def run_once(case, cmds, timeout, workdir):
    roles = {"a": case.a, "b": case.b}
    bind_role = case.binder
    conn_role = "b" if bind_role == "a" else "a"
    if case.transport == "tcp":
        endpoint = "tcp://127.0.0.1:%d" % free_tcp_port()
    else:
        endpoint = "ipc://%s/s" % workdir
    err = {r: os.path.join(workdir, "stderr-%s" % r) for r in "ab"}
    start = time.monotonic()
    deadline = start + timeout
    procs = {}
    notes = []
    with open(err[bind_role], "wb") as eb:
        procs[bind_role] = subprocess.Popen(
            cmds[roles[bind_role]] + [case.scenario, bind_role, "bind",
                                      endpoint],
            stdout=subprocess.PIPE, stderr=eb, stdin=subprocess.DEVNULL)
    ready = read_ready(procs[bind_role], start + min(timeout, 15))
    if ready:
        with open(err[conn_role], "wb") as ec:
            procs[conn_role] = subprocess.Popen(
                cmds[roles[conn_role]] + [case.scenario, conn_role,
                                          "connect", endpoint],
                stdout=subprocess.DEVNULL, stderr=ec,
                stdin=subprocess.DEVNULL)
    else:
        notes.append("%s (role %s) never printed \"ready\" after binding %s"
                     % (roles[bind_role], bind_role, endpoint))
    failed_at = None
    while True:
        codes = {r: p.poll() for r, p in procs.items()}
        if all(c is not None for c in codes.values()):
            break
        now = time.monotonic()
        if any(c not in (None, 0) for c in codes.values()) or not ready:
            failed_at = failed_at or now
            if now - failed_at > 0.5:  # grace for the partner's diagnostic
                break
        if now > deadline:
            notes.append("timed out after %d s" % timeout)
            break
        time.sleep(0.01)
    for r, p in procs.items():
        if p.poll() is None:
            p.kill()
            notes.append("%s (role %s) stopped by the driver" % (roles[r], r))
        p.wait()
        if p.stdout:
            p.stdout.close()
    case.seconds = time.monotonic() - start
    codes = {r: p.returncode for r, p in procs.items()}
    case.ok = ready and len(codes) == 2 and all(c == 0 for c in codes.values())
    lines = []
    for r in "ab":
        if r in codes:
            lines.append("  %s (role %s, %s): %s" % (
                roles[r], r, "bind" if r == bind_role else "connect",
                exit_text(codes[r])))
            t = tail(err[r])
            if t:
                lines.extend("    " + x for x in t.splitlines())
    lines.extend("  " + n for n in notes)
    case.detail = "\n".join(lines)
    address_in_use = any("ddress already in use" in tail(err[r]) for r in "ab")
    return address_in_use


def run_case(case, cmds, timeout):
    for attempt in range(3):
        workdir = tempfile.mkdtemp(prefix="zi-", dir="/tmp")
        try:
            retry = run_once(case, cmds, timeout, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if case.ok or not retry:
            break
    return case


def pair_cases(x, y, scenarios, transports):
    """X:Y -> four runs per scenario and transport (fewer when X == Y)."""
    cases, seen = [], set()
    for sc in scenarios:
        for tr in transports:
            for binder_is_x in (True, False):
                for x_is_a in (True, False):
                    a, b = (x, y) if x_is_a else (y, x)
                    binder = "a" if binder_is_x == x_is_a else "b"
                    key = (sc, tr, a, b, binder)
                    if key in seen:
                        continue
                    seen.add(key)
                    if x == y:
                        col = "role %s binds" % binder
                    else:
                        col = "%s binds, %s=a" % (x if binder_is_x else y,
                                                  x if x_is_a else y)
                    cases.append(Case(sc, tr, a, b, binder,
                                      ("%s <-> %s" % (x, y), col)))
    return cases


def zmtp2_cases(x, transports):
    cases = []
    for sc in ZMTP2_SCENARIOS:
        for tr in transports:
            for binder in ("a", "b"):
                col = "%s binds" % ("raw" if binder == "a" else x)
                cases.append(Case(sc, tr, "zmtp2", x, binder,
                                  ("raw ZMTP/2.0 <-> %s" % x, col)))
    return cases


def print_tables(cases):
    groups = {}
    for c in cases:
        groups.setdefault(c.label[0], []).append(c)
    for title, group in groups.items():
        cols = []
        for c in group:
            if c.label[1] not in cols:
                cols.append(c.label[1])
        rows = []
        for c in group:
            if (c.scenario, c.transport) not in rows:
                rows.append((c.scenario, c.transport))
        cell = {(c.scenario, c.transport, c.label[1]): c for c in group}
        width = max(len(x) for x in cols + ["ok"]) + 2
        npass = sum(1 for c in group if c.ok)
        nskip = sum(1 for c in group if c.ok is None)
        print("\n%s: %d passed, %d failed%s" % (
            title, npass, len(group) - npass - nskip,
            ", %d skipped" % nskip if nskip else ""))
        print("%-14s %-4s" % ("scenario", "") +
              "".join(x.ljust(width) for x in cols))
        for sc, tr in rows:
            line = "%-14s %-4s" % (sc, tr)
            for col in cols:
                c = cell.get((sc, tr, col))
                if c is None:
                    mark = "-"
                elif c.ok is None:
                    mark = "skip"
                else:
                    mark = ("ok %.1fs" if c.ok else "FAIL %.1fs") % c.seconds
                line += mark.ljust(width)
            print(line)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--raw-zmtp2":
        if len(sys.argv) != 6 or sys.argv[3] != "a" or \
                sys.argv[4] not in ("bind", "connect"):
            sys.stderr.write("usage: run_interop.py --raw-zmtp2 <scenario> a "
                             "<bind|connect> <endpoint>\n")
            return 1
        return raw_main(sys.argv[2], sys.argv[4], sys.argv[5])

    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", help="our interop peer (peer_ours)")
    ap.add_argument("--libzmq", help="Debian libzmq interop peer "
                    "(peer_libzmq)")
    ap.add_argument("--pyzmq", default=os.path.join(HERE, "peer.py"),
                    help="pyzmq peer script (default: peer.py next to this)")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="Python with pyzmq, also runs the raw ZMTP/2.0 "
                    "peer (default /usr/bin/python3)")
    ap.add_argument("--pairs", default="ours:libzmq,ours:pyzmq",
                    help="comma list of X:Y pairings, or none")
    ap.add_argument("--zmtp2", default="",
                    help="comma list of peers to test against the raw "
                    "ZMTP/2.0 peer")
    ap.add_argument("--transports", "--only-transports",
                    default=",".join(TRANSPORTS))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--jobs", type=int, default=4,
                    help="runs in parallel (default 4)")
    ap.add_argument("--timeout", type=float, default=30,
                    help="seconds per run (default 30)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every run as it finishes")
    args = ap.parse_args()

    cmds = {"pyzmq": [args.python, args.pyzmq],
            "zmtp2": [args.python, os.path.abspath(__file__), "--raw-zmtp2"]}
    if args.ours:
        cmds["ours"] = [args.ours]
    if args.libzmq:
        cmds["libzmq"] = [args.libzmq]
    transports = [t for t in args.transports.split(",") if t]
    scenarios = [s for s in args.scenarios.split(",") if s]
    for t in transports:
        if t not in TRANSPORTS:
            ap.error("unknown transport %s" % t)
    for s in scenarios:
        if s not in SCENARIOS:
            ap.error("unknown scenario %s" % s)

    cases = []
    pairs = [] if args.pairs in ("", "none") else args.pairs.split(",")
    for p in pairs:
        x, _, y = p.partition(":")
        for name in (x, y):
            if name not in cmds:
                ap.error("pairing %s needs a %s peer (--%s)" % (p, name, name))
        cases += pair_cases(x, y, scenarios, transports)
    for x in [x for x in args.zmtp2.split(",") if x]:
        if x not in cmds or x == "zmtp2":
            ap.error("--zmtp2 %s: no such peer" % x)
        cases += zmtp2_cases(x, transports)
    if not cases:
        ap.error("nothing to run")

    for name, cmd in sorted(cmds.items()):
        if name == "zmtp2":
            continue
        try:
            v = subprocess.run(cmd + ["--version"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
            print("%-7s %s: %s" % (name, " ".join(cmd),
                                   v.stdout.decode().strip()))
        except (OSError, subprocess.SubprocessError) as e:
            print("%-7s %s: cannot run (%s)" % (name, " ".join(cmd), e))

    start = time.monotonic()
    todo = []
    for c in cases:
        if (c.scenario, c.transport) in SKIP:
            c.detail = SKIP[(c.scenario, c.transport)]
        else:
            todo.append(c)
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, c, cmds, args.timeout) for c in todo]
        for f in concurrent.futures.as_completed(futures):
            c = f.result()
            if args.verbose or not c.ok:
                print("%s %s (%.1f s)" % ("ok  " if c.ok else "FAIL",
                                          c.describe(), c.seconds),
                      flush=True)
    elapsed = time.monotonic() - start

    print_tables(cases)
    failed = [c for c in todo if not c.ok]
    if failed:
        print("\nFailures:")
        for c in failed:
            print("- %s\n%s" % (c.describe(), c.detail))
    print("\n%d runs, %d failed, %.1f s" % (len(todo), len(failed), elapsed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
