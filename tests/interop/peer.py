#!/usr/bin/python3
# SPDX-License-Identifier: MPL-2.0
"""pyzmq side of the interoperability scenarios.

Usage: peer.py <scenario> <a|b> <bind|connect> <endpoint>
       peer.py --version | --list

Mirrors tests/interop/scenarios.c scenario by scenario and byte by byte
(see scenarios.h for the roles); run it with Debian's /usr/bin/python3 and
python3-zmq.  Exits 0 on success, 1 after printing a diagnostic starting
with "interop <scenario>/<role> (pyzmq ...)" on stderr.  The binding side
prints "ready" on stdout once its main endpoint is bound.
"""
import struct
import sys
import time

import zmq

TIMEOUT_MS = 10000
LINGER_MS = 10000


class Failure(Exception):
    pass


def show(data):
    out = ""
    for b in data[:48]:
        out += chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b
    return out + ("..." if len(data) > 48 else "")


def pattern(n, seed):
    """Byte i is (i % 251) ^ seed, as in scenarios.c."""
    base = bytes((j ^ seed) & 0xFF for j in range(251))
    return (base * (n // 251 + 1))[:n]


class Env:
    def __init__(self):
        self.ctx = zmq.Context()
        self.socks = []

    def socket(self, kind):
        s = self.ctx.socket(kind)
        self.socks.append(s)
        s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
        s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
        # Subscribers need no linger: see env_socket() in scenarios.c.
        s.setsockopt(zmq.LINGER, 0 if kind in (zmq.SUB, zmq.XSUB)
                     else LINGER_MS)
        return s

    def fini(self, ok):
        for s in reversed(self.socks):
            s.close(linger=None if ok else 0)
        self.ctx.term()


def attach(s, endpoint, do_bind, announce=True):
    try:
        if do_bind:
            s.bind(endpoint)
            if announce:
                print("ready", flush=True)
        else:
            s.connect(endpoint)
    except zmq.ZMQError as e:
        raise Failure("%s(%s): %s" % ("zmq_bind" if do_bind else "zmq_connect",
                                      endpoint, e))


def bind_side(s, endpoint, suffix):
    if endpoint.startswith("tcp://"):
        attach(s, "tcp://127.0.0.1:*", True, False)
    else:
        attach(s, endpoint + suffix, True, False)
    return s.getsockopt(zmq.LAST_ENDPOINT)


def err_text(e):
    return "timed out (10 s)" if e.errno == zmq.EAGAIN else str(e)


def send(s, data, more=False):
    if isinstance(data, str):
        data = data.encode()
    try:
        s.send(data, zmq.SNDMORE if more else 0)
    except zmq.ZMQError as e:
        raise Failure('send of %d bytes "%s"%s: %s'
                      % (len(data), show(data), " (more)" if more else "",
                         err_text(e)))


def send_parts(s, parts):
    for i, p in enumerate(parts):
        send(s, p, i + 1 < len(parts))


def recv_part(s, what, flags=0):
    try:
        frame = s.recv(flags, copy=False)
    except zmq.ZMQError as e:
        raise Failure("receive of %s: %s" % (what, err_text(e)))
    return frame.bytes, bool(frame.more)


def expect(s, want, more=False, what=None):
    if isinstance(want, str):
        want = want.encode()
    what = what or '"%s"' % show(want)
    got, got_more = recv_part(s, what)
    if got != want:
        if len(got) != len(want):
            raise Failure('%s: got %d bytes "%s", wanted %d bytes "%s"'
                          % (what, len(got), show(got), len(want), show(want)))
        i = next(i for i in range(len(got)) if got[i] != want[i])
        raise Failure("%s: %d bytes, first difference at offset %d: got "
                      "0x%02x, wanted 0x%02x" % (what, len(got), i, got[i],
                                                 want[i]))
    if got_more != more:
        raise Failure("%s: more flag is %d, wanted %d"
                      % (what, got_more, more))


def expect_parts(s, parts, what):
    for i, p in enumerate(parts):
        expect(s, p, i + 1 < len(parts),
               "%s, part %d of %d" % (what, i + 1, len(parts)))


# ---------------------------------------------------------------------------


def scenario_pair(env, is_a, endpoint, do_bind):
    s = env.socket(zmq.PAIR)
    attach(s, endpoint, do_bind)
    for p in range(2):
        sending = (p == 0) == is_a
        for i in range(5):
            msg = "%s #%d" % ("b->a" if p else "a->b", i)
            send(s, msg) if sending else expect(s, msg)


def pushpull_body(i):
    return b"msg-%04d" % i + bytes([ord("a") + i % 26]) * (i % 64)


def scenario_pushpull(env, is_a, endpoint, do_bind):
    s = env.socket(zmq.PUSH if is_a else zmq.PULL)
    attach(s, endpoint, do_bind)
    for i in range(1000):
        body = pushpull_body(i)
        send(s, body) if is_a else expect(s, body, what="message %d" % i)


def scenario_reqrep(env, is_a, endpoint, do_bind):
    s = env.socket(zmq.REQ if is_a else zmq.REP)
    attach(s, endpoint, do_bind)
    for i in range(100):
        req, rep = "request %d" % i, "reply %d" % i
        if is_a:
            send(s, req)
            expect(s, rep)
        else:
            expect(s, req)
            send(s, rep)


def scenario_dealer_router(env, is_a, endpoint, do_bind):
    if is_a:
        s = env.socket(zmq.ROUTER)
        s.setsockopt(zmq.ROUTER_MANDATORY, 1)
        attach(s, endpoint, do_bind)
        anon_id = None
        got7 = False
        for _ in range(2):
            rid, more = recv_part(s, "routing id frame")
            if not more:
                raise Failure('routing id frame "%s" has no more flag'
                              % show(rid))
            body, more = recv_part(s, "hello body")
            if body == b"hello-7" and not got7:
                got7 = True
                if rid != b"client-7":
                    raise Failure('DEALER with ZMQ_ROUTING_ID "client-7" '
                                  'arrived with routing id "%s" (%d bytes)'
                                  % (show(rid), len(rid)))
                if not more:
                    raise Failure('"hello-7" has no second part')
                ep, more = recv_part(s, "second endpoint part")
                if more:
                    raise Failure("bad second endpoint part")
                if ep:
                    attach(s, ep.decode(), False, False)
            elif body == b"hello-anon" and anon_id is None and not more:
                if len(rid) != 5 or rid[0] != 0:
                    raise Failure('DEALER without routing id got generated '
                                  'id "%s" (%d bytes); libzmq generates 5 '
                                  'bytes starting 0x00' % (show(rid),
                                                           len(rid)))
                anon_id = rid
            else:
                raise Failure('unexpected message "%s" from "%s"'
                              % (show(body), show(rid)))
        send_parts(s, [b"client-7", b"reply-7"])
        send_parts(s, [anon_id, b"reply-anon"])
        for _ in range(2):
            recv_part(s, 'routing id of "done"')
            expect(s, "done")
        return
    d7 = env.socket(zmq.DEALER)
    anon = env.socket(zmq.DEALER)
    d7.setsockopt(zmq.ROUTING_ID, b"client-7")
    attach(d7, endpoint, do_bind)
    ep2 = b""
    if do_bind:
        ep2 = bind_side(anon, endpoint, ".2")
    else:
        attach(anon, endpoint, False, False)
    send_parts(d7, [b"hello-7", ep2])
    send(anon, "hello-anon")
    expect(d7, "reply-7")
    expect(anon, "reply-anon")
    send(d7, "done")
    send(anon, "done")


def pub_sync(pub, back, tag, backep, reply):
    msg = tag.encode() + b"|" + backep
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        send(pub, msg)
        if back.poll(20, zmq.POLLIN):
            expect(back, reply)
            return
    raise Failure('subscriber never confirmed "%s" within 10 s' % tag)


def sub_sync(sub, back, tag, reply, state):
    got, _ = recv_part(sub, tag)
    prefix = tag.encode() + b"|"
    if not got.startswith(prefix) or len(got) == len(prefix):
        raise Failure('wanted "%s|...", got "%s"' % (tag, show(got)))
    if not state.get("connected"):
        attach(back, got[len(prefix):].decode(), False, False)
        state["connected"] = True
    send(back, reply)


def sub_expect(sub, skip, want):
    skip = skip.encode()
    i = 0
    while i < len(want):
        got, more = recv_part(sub, want[i])
        if got.startswith(skip) and len(got) > len(skip):
            continue
        if got != want[i].encode() or more:
            raise Failure('wanted "%s", got "%s"%s'
                          % (want[i], show(got), " (more)" if more else ""))
        i += 1


def scenario_pubsub(env, is_a, endpoint, do_bind):
    if is_a:
        s = env.socket(zmq.PUB)
        attach(s, endpoint, do_bind)
        back = env.socket(zmq.PULL)
        backep = bind_side(back, endpoint, ".back")
        pub_sync(s, back, "sync1", backep, "synced1")
        for m in ("A.1", "C.1", "B.1", "Ax", "A.2", "end1"):
            send(s, m)
        pub_sync(s, back, "sync2", backep, "synced2")
        for m in ("B.2", "A.3", "end2"):
            send(s, m)
        return
    s = env.socket(zmq.SUB)
    back = env.socket(zmq.PUSH)
    for t in ("A.", "B.", "sync1", "end"):
        s.setsockopt(zmq.SUBSCRIBE, t.encode())
    attach(s, endpoint, do_bind)
    state = {}
    sub_sync(s, back, "sync1", "synced1", state)
    sub_expect(s, "sync1|", ["A.1", "B.1", "A.2", "end1"])
    s.setsockopt(zmq.UNSUBSCRIBE, b"B.")
    s.setsockopt(zmq.SUBSCRIBE, b"sync2")
    sub_sync(s, back, "sync2", "synced2", state)
    sub_expect(s, "sync2|", ["A.3", "end2"])


def scenario_xpubsub(env, is_a, endpoint, do_bind):
    if is_a:
        s = env.socket(zmq.XPUB)
        attach(s, endpoint, do_bind)
        expect(s, b"\x01topic", what="subscription \\x01topic")
        send(s, "other-0")
        send(s, "topic-1")
        expect(s, b"\x00topic", what="unsubscription \\x00topic")
        expect(s, b"\x01end", what="subscription \\x01end")
        send(s, "topic-2")
        send(s, "end-3")
    else:
        s = env.socket(zmq.XSUB)
        attach(s, endpoint, do_bind)
        send(s, b"\x01topic")
        expect(s, "topic-1")
        send(s, b"\x00topic")
        send(s, b"\x01end")
        expect(s, "end-3")


MULTIPART_MSGS = ["head||tail", "|", "x|y|", "", "only",
                  "1|2|3|4|5|6|7|8|9|10", "||||"]


def scenario_multipart(env, is_a, endpoint, do_bind):
    s = env.socket(zmq.PAIR)
    attach(s, endpoint, do_bind)
    for p in range(2):
        sending = (p == 0) == is_a
        for i, spec in enumerate(MULTIPART_MSGS):
            parts = [x.encode() for x in spec.split("|")]
            if sending:
                send_parts(s, parts)
            else:
                expect_parts(s, parts, "message %d%s"
                             % (i, " (echo)" if p else ""))


BODY_SIZES = [0, 1, 255, 256, 65535, 65536, 10 * 1024 * 1024]


def scenario_sizes(env, is_a, endpoint, do_bind):
    s = env.socket(zmq.PAIR)
    attach(s, endpoint, do_bind)
    for i, n in enumerate(BODY_SIZES):
        ab, ba = pattern(n, i), pattern(n, 100 + i)
        what = "%d-byte body" % n
        if is_a:
            send(s, ab)
            expect(s, ba, what=what)
        else:
            expect(s, ab, what=what)
            send(s, ba)


def check_monitor(mon):
    connects = disconnects = 0
    while True:
        try:
            ev = mon.recv(zmq.DONTWAIT)
        except zmq.Again:
            break
        if len(ev) != 6 or not mon.getsockopt(zmq.RCVMORE):
            raise Failure("monitor event frame of %d bytes" % len(ev))
        event, _value = struct.unpack("=HI", ev)
        recv_part(mon, "monitor address frame")
        if event in (zmq.EVENT_CONNECTED, zmq.EVENT_ACCEPTED):
            connects += 1
        if event == zmq.EVENT_DISCONNECTED:
            disconnects += 1
    if disconnects or connects != 1:
        raise Failure("connection dropped while idle with heartbeats on: "
                      "%d connection(s), %d disconnection(s)"
                      % (connects, disconnects))


def scenario_heartbeat(env, is_a, endpoint, do_bind):
    s = env.socket(zmq.PAIR)
    s.setsockopt(zmq.HEARTBEAT_IVL, 100)
    s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 1000)
    s.setsockopt(zmq.HEARTBEAT_TTL, 1000)
    monep = "inproc://heartbeat-monitor-%s" % ("a" if is_a else "b")
    s.monitor(monep, zmq.EVENT_ALL)
    mon = env.socket(zmq.PAIR)
    attach(mon, monep, False, False)
    attach(s, endpoint, do_bind)
    try:
        if is_a:
            send(s, "ping-1")
            expect(s, "pong-1")
            time.sleep(1.5)  # idle: only PING/PONG keep the link up
            send(s, "ping-2")
            expect(s, "pong-2")
            check_monitor(mon)
            send(s, "bye")
        else:
            expect(s, "ping-1")
            send(s, "pong-1")
            expect(s, "ping-2")
            check_monitor(mon)
            send(s, "pong-2")
            expect(s, "bye")
    finally:
        s.disable_monitor()


def stream_recv(s, state, what):
    rid, more = recv_part(s, what)
    if not more or not rid or len(rid) > 255:
        raise Failure("%s: bad routing id frame (%d bytes, more %d)"
                      % (what, len(rid), more))
    if state.get("id") is None:
        state["id"] = rid
    elif rid != state["id"]:
        raise Failure('%s: message from unknown routing id "%s"'
                      % (what, show(rid)))
    data, more = recv_part(s, what)
    if more:
        raise Failure("%s: data frame has the more flag" % what)
    return data


def stream_expect(s, state, want):
    want = want.encode()
    got = b""
    while len(got) < len(want):
        data = stream_recv(s, state, '"%s"' % want.decode())
        if not data or len(got) + len(data) > len(want):
            raise Failure('wanted "%s", got %d more bytes "%s" after %d'
                          % (want.decode(), len(data), show(data), len(got)))
        got += data
    if got != want:
        raise Failure('wanted "%s", got "%s"' % (want.decode(), show(got)))


def stream_notification(s, state, what):
    data = stream_recv(s, state, what)
    if data:
        raise Failure('wanted the %s (empty frame), got "%s"'
                      % (what, show(data)))


def scenario_stream(env, is_a, endpoint, do_bind):
    s = env.socket(zmq.STREAM)
    attach(s, endpoint, do_bind)
    state = {}
    stream_notification(s, state, "connect notification")
    rid = state["id"]
    if is_a:
        send_parts(s, [rid, b"hello from a"])
        stream_expect(s, state, "hello from b, a bit longer")
        send_parts(s, [rid, b"ACK"])
        stream_notification(s, state, "disconnect notification")
    else:
        stream_expect(s, state, "hello from a")
        send_parts(s, [rid, b"hello from b, a bit longer"])
        stream_expect(s, state, "ACK")
        send_parts(s, [rid, b""])


# ZMTP/2.0 counterparts: role b only, role a is the raw peer in
# run_interop.py.

def zmtp2_messages():
    msgs = [[b"v2-%d" % i] for i in range(50)]
    msgs.append([pattern(300, 1)])
    msgs.append([b"part1", b"", b"part3"])
    msgs.append([b""])
    msgs.append([pattern(70000, 2)])
    msgs.append([b"v2-end"])
    return msgs


def zmtp2_sequence(s, sending, echo):
    for i, m in enumerate(zmtp2_messages()):
        if sending:
            send_parts(s, m)
        else:
            expect_parts(s, m, "ZMTP/2.0 message %d" % i)
        if echo:
            send_parts(s, m)


def zmtp2_socket(env, kind, endpoint, do_bind):
    s = env.socket(kind)
    if kind == zmq.ROUTER:
        s.setsockopt(zmq.ROUTER_MANDATORY, 1)
    if kind == zmq.SUB:
        s.setsockopt(zmq.SUBSCRIBE, b"ab")
    attach(s, endpoint, do_bind)
    return s


def scenario_zmtp2_pull(env, is_a, endpoint, do_bind):
    zmtp2_sequence(zmtp2_socket(env, zmq.PULL, endpoint, do_bind), False,
                   False)


def scenario_zmtp2_push(env, is_a, endpoint, do_bind):
    zmtp2_sequence(zmtp2_socket(env, zmq.PUSH, endpoint, do_bind), True,
                   False)


def scenario_zmtp2_dealer(env, is_a, endpoint, do_bind):
    s = zmtp2_socket(env, zmq.DEALER, endpoint, do_bind)
    zmtp2_sequence(s, False, True)
    expect(s, "bye")


def scenario_zmtp2_router(env, is_a, endpoint, do_bind):
    s = zmtp2_socket(env, zmq.ROUTER, endpoint, do_bind)
    expect(s, "zmtp2-peer", True, 'routing id "zmtp2-peer"')
    expect(s, "hello")
    send_parts(s, [b"zmtp2-peer", b"world", b""])
    expect(s, "zmtp2-peer", True, "routing id")
    expect(s, "bye")


def scenario_zmtp2_xpub(env, is_a, endpoint, do_bind):
    s = zmtp2_socket(env, zmq.XPUB, endpoint, do_bind)
    expect(s, b"\x01ab", what="subscription \\x01ab")
    send(s, "zz-no")
    send(s, "ab-1")
    expect(s, b"\x00ab", what="unsubscription \\x00ab")
    expect(s, b"\x01end", what="subscription \\x01end")
    send(s, "ab-2")
    send(s, "end-x")


def scenario_zmtp2_sub(env, is_a, endpoint, do_bind):
    expect(zmtp2_socket(env, zmq.SUB, endpoint, do_bind), "ab-1")


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in globals().items()
             if name.startswith("scenario_")}


def main(argv):
    if len(argv) == 2 and argv[1] == "--version":
        print("pyzmq %s library %s" % (zmq.pyzmq_version(),
                                       zmq.zmq_version()))
        return 0
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(SCENARIOS))
        return 0
    if len(argv) != 5 or argv[3] not in ("bind", "connect") \
            or argv[1] not in SCENARIOS:
        sys.stderr.write(__doc__)
        return 1
    name, role, mode, endpoint = argv[1:]
    b_only = name.startswith("zmtp2_")
    env = None
    try:
        if role not in (("b",) if b_only else ("a", "b")):
            raise Failure('unknown role "%s"%s' % (
                role, " (role a is the raw ZMTP/2.0 peer in run_interop.py)"
                if b_only else ""))
        env = Env()
        SCENARIOS[name](env, role == "a", endpoint, mode == "bind")
    except (Failure, zmq.ZMQError) as e:
        sys.stderr.write("interop %s/%s (pyzmq %s, zmq %s): %s\n"
                         % (name, role, zmq.pyzmq_version(),
                            zmq.zmq_version(), e))
        if env:
            env.fini(False)
        return 1
    env.fini(True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
