/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of core/pipe, single-threaded.  Both ends are attached
 * to test sinks with real mailboxes; the test plays the owner threads:
 * after each step it drains the mailboxes (zmq__mailbox_recv with
 * timeout 0) and dispatches every command, recording what the sinks are
 * told.  Covers write/flush/read of single and multipart messages, the
 * wake-up rules (ACTIVATE_READ only to a sleeping reader), the HWM/LWM
 * credit flow, rollback, and every path of the termination handshake.
 *
 * Conflating pipes (ZMQ_CONFLATE) get the same treatment: only the last
 * message is read, multipart messages stay whole, wake-ups, identity,
 * termination, no HWM.
 *
 * Messages with zero-copy bodies and a counting free function show
 * which messages were released; AddressSanitizer shows that the ends,
 * their queues and the commands are all freed.
 */
#include <stdint.h>

#include "core/mailbox.h"
#include "core/msg.h"
#include "core/pipe.h"
#include "testutil.h"

#define NCMD (ZMQ__CMD_THREAD_STOP + 1)

struct sink {
    struct zmq__mailbox mb;
    struct zmq__pipe *pipe; /* NULL once terminated (freed) */
    int read_activated, write_activated, terminated;
    int cmds[NCMD]; /* commands delivered to this sink's end, by type */
};

static void on_read_activated(void *arg, struct zmq__pipe *p)
{
    struct sink *s = arg;
    CHECK(p == s->pipe);
    s->read_activated++;
}

static void on_write_activated(void *arg, struct zmq__pipe *p)
{
    struct sink *s = arg;
    CHECK(p == s->pipe);
    s->write_activated++;
}

static void on_terminated(void *arg, struct zmq__pipe *p)
{
    struct sink *s = arg;
    CHECK(p == s->pipe);
    s->terminated++;
    s->pipe = NULL;
}

static const struct zmq__pipe_sink_ops sink_ops = {
    .read_activated = on_read_activated,
    .write_activated = on_write_activated,
    .terminated = on_terminated,
};

struct fixture {
    struct sink a, b; /* a owns ends[0], b owns ends[1] */
};

/* ends[0] (a) writes to ends[1] (b) with hwm_ab, b to a with hwm_ba;
 * conflate_ab / conflate_ba make those directions conflate. */
static int setup_conflate(struct fixture *f, int hwm_ab, int hwm_ba,
                          bool conflate_ab, bool conflate_ba)
{
    memset(f, 0, sizeof *f);
    if (zmq__mailbox_init(&f->a.mb, NULL) != 0)
        return -1;
    if (zmq__mailbox_init(&f->b.mb, NULL) != 0) {
        zmq__mailbox_fini(&f->a.mb);
        return -1;
    }
    struct zmq__pipe *ends[2];
    const int hwm[2] = {hwm_ab, hwm_ba};
    const bool conflate[2] = {conflate_ab, conflate_ba};
    int rc = conflate_ab || conflate_ba
                 ? zmq__pipe_pair_conflate(NULL, ends, hwm, conflate)
                 : zmq__pipe_pair(NULL, ends, hwm);
    if (rc != 0) {
        zmq__mailbox_fini(&f->a.mb);
        zmq__mailbox_fini(&f->b.mb);
        return -1;
    }
    f->a.pipe = ends[0];
    f->b.pipe = ends[1];
    zmq__pipe_attach(ends[0], &f->a.mb, &sink_ops, &f->a);
    zmq__pipe_attach(ends[1], &f->b.mb, &sink_ops, &f->b);
    return 0;
}

static int setup(struct fixture *f, int hwm_ab, int hwm_ba)
{
    return setup_conflate(f, hwm_ab, hwm_ba, false, false);
}

/* Processes every command queued for s; returns how many. */
static int deliver(struct sink *s)
{
    int n = 0;
    struct zmq__command cmd;
    while (zmq__mailbox_recv(&s->mb, &cmd, 0) == 0) {
        CHECK(cmd.type < NCMD);
        if (cmd.type < NCMD)
            s->cmds[cmd.type]++;
        n++;
        /* Every command goes to the end this sink owns, and none comes
         * after that end was freed. */
        bool ours = s->pipe != NULL && cmd.dest == &s->pipe->obj;
        CHECK(ours);
        if (ours)
            zmq__object_dispatch(&cmd);
    }
    return n;
}

/* Delivers until both mailboxes stay empty; returns the total. */
static int deliver_all(struct fixture *f)
{
    int total = 0, n;
    do {
        n = deliver(&f->a) + deliver(&f->b);
        total += n;
    } while (n > 0);
    return total;
}

/* Ends whatever is left of the pair and frees the mailboxes. */
static void teardown(struct fixture *f)
{
    if (f->a.pipe != NULL)
        zmq__pipe_terminate(f->a.pipe, false);
    else if (f->b.pipe != NULL)
        zmq__pipe_terminate(f->b.pipe, false);
    deliver_all(f);
    CHECK_EQ(f->a.terminated, 1);
    CHECK_EQ(f->b.terminated, 1);
    CHECK(f->a.pipe == NULL && f->b.pipe == NULL);
    zmq__mailbox_fini(&f->a.mb);
    zmq__mailbox_fini(&f->b.mb);
}

/* --- messages ----------------------------------------------------------- */

static void make_msg(struct zmq__msg *m, const char *text, bool more)
{
    int rc = zmq__msg_init_buffer(m, text, strlen(text));
    CHECK_EQ(rc, 0);
    if (more)
        m->flags |= ZMQ__MSG_MORE;
}

static int frees; /* zero-copy bodies released */

static void count_free(void *data, void *hint)
{
    (void)data;
    (*(int *)hint)++;
}

/* A message whose body is text itself, released through count_free. */
static void make_zc(struct zmq__msg *m, const char *text, bool more)
{
    int rc = zmq__msg_init_data(m, (void *)(uintptr_t)text, strlen(text),
                                count_free, &frees);
    CHECK_EQ(rc, 0);
    if (more)
        m->flags |= ZMQ__MSG_MORE;
}

static int write_text(struct zmq__pipe *p, const char *text, bool more)
{
    struct zmq__msg m;
    make_msg(&m, text, more);
    int rc = zmq__pipe_write(p, &m);
    if (rc != 0)
        zmq__msg_close(&m);
    return rc;
}

static int write_zc(struct zmq__pipe *p, const char *text, bool more)
{
    struct zmq__msg m;
    make_zc(&m, text, more);
    int rc = zmq__pipe_write(p, &m);
    if (rc != 0)
        zmq__msg_close(&m);
    return rc;
}

/* Reads one message and checks its body and MORE flag; false when the
 * read failed. */
static bool read_expect(struct zmq__pipe *p, const char *text, bool more)
{
    struct zmq__msg m;
    int rc = zmq__pipe_read(p, &m);
    CHECK_EQ(rc, 0);
    if (rc != 0)
        return false;
    size_t len = strlen(text);
    bool ok = zmq__msg_size(&m) == len &&
              memcmp(zmq__msg_data(&m), text, len) == 0 &&
              zmq__msg_more(&m) == more;
    if (!ok)
        fprintf(stderr, "read '%.*s' more=%d, wanted '%s' more=%d\n",
                (int)zmq__msg_size(&m), (const char *)zmq__msg_data(&m),
                zmq__msg_more(&m), text, more);
    CHECK(ok);
    zmq__msg_close(&m);
    return ok;
}

static int read_fails(struct zmq__pipe *p)
{
    struct zmq__msg m;
    int rc = zmq__pipe_read(p, &m);
    if (rc == 0)
        zmq__msg_close(&m);
    return rc;
}

/* --- data path ---------------------------------------------------------- */

static void test_single_messages(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;

    struct zmq__msg m;
    make_msg(&m, "hello", false);
    CHECK(zmq__pipe_check_write(a));
    CHECK_EQ(zmq__pipe_write(a, &m), 0);
    /* The pipe took it: the caller's message is empty. */
    CHECK(zmq__msg_is_valid(&m));
    CHECK_EQ(zmq__msg_size(&m), 0);
    zmq__msg_close(&m);
    /* Not visible before the flush; b now sleeps, so the flush wakes
     * it and it can read once told. */
    CHECK(!zmq__pipe_check_read(b));
    zmq__pipe_flush(a);
    CHECK_EQ(deliver(&f.b), 1);
    CHECK_EQ(f.b.read_activated, 1);
    CHECK(zmq__pipe_check_read(b));
    CHECK(read_expect(b, "hello", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(zmq__pipe_pending(a), 1); /* credit comes every lwm reads */

    /* The other direction. */
    CHECK_EQ(write_text(b, "world", false), 0);
    CHECK_EQ(write_text(b, "again", false), 0);
    zmq__pipe_flush(b);
    CHECK(read_expect(a, "world", false));
    CHECK(read_expect(a, "again", false));
    CHECK_EQ(read_fails(a), -EAGAIN);

    deliver_all(&f);
    /* Two reads on b's side ran dry after the flush that woke them. */
    CHECK_EQ(f.a.cmds[ZMQ__CMD_ACTIVATE_WRITE], 0);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_ACTIVATE_WRITE], 0);
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);

    /* Many messages, across ypipe chunks, in order. */
    char buf[32];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 600; i++) {
            if (!zmq__pipe_check_write(a)) {
                /* wait for credit the way a socket would */
                deliver_all(&f);
            }
            snprintf(buf, sizeof buf, "m%d", i);
            CHECK_EQ(write_text(a, buf, false), 0);
            zmq__pipe_flush(a);
            if (i % 5 == 4) {
                deliver_all(&f); /* wake-up and credit */
                for (int k = i - 4; k <= i; k++) {
                    snprintf(buf, sizeof buf, "m%d", k);
                    CHECK(read_expect(b, buf, false));
                }
            }
        }
        CHECK_EQ(read_fails(b), -EAGAIN);
        deliver_all(&f);
    }
    teardown(&f);
}

static void test_multipart(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;

    CHECK_EQ(write_text(a, "one", true), 0);
    CHECK_EQ(write_text(a, "two", true), 0);
    zmq__pipe_flush(a);
    /* An unfinished message is not published. */
    CHECK(!zmq__pipe_check_read(b));
    CHECK_EQ(zmq__pipe_pending(a), 0);
    CHECK_EQ(write_text(a, "three", false), 0);
    CHECK_EQ(zmq__pipe_pending(a), 1);
    zmq__pipe_flush(a);
    /* b found nothing before, so it sleeps: the flush woke it. */
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_ACTIVATE_READ], 1);
    CHECK_EQ(f.b.read_activated, 1);
    CHECK(read_expect(b, "one", true));
    CHECK(read_expect(b, "two", true));
    CHECK(read_expect(b, "three", false));
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* Two multipart messages back to back, and a single one. */
    CHECK_EQ(write_text(a, "x1", true), 0);
    CHECK_EQ(write_text(a, "x2", false), 0);
    CHECK_EQ(write_text(a, "y1", true), 0);
    CHECK_EQ(write_text(a, "y2", true), 0);
    CHECK_EQ(write_text(a, "y3", false), 0);
    CHECK_EQ(write_text(a, "z", false), 0);
    CHECK_EQ(zmq__pipe_pending(a), 4);
    zmq__pipe_flush(a);
    deliver_all(&f);
    CHECK_EQ(f.b.read_activated, 2);
    CHECK(read_expect(b, "x1", true));
    CHECK(read_expect(b, "x2", false));
    CHECK(read_expect(b, "y1", true));
    CHECK(read_expect(b, "y2", true));
    CHECK(read_expect(b, "y3", false));
    CHECK(read_expect(b, "z", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    teardown(&f);
}

/* ACTIVATE_READ goes only to a reader that found the pipe empty. */
static void test_reader_asleep(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 0, 0) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;

    /* A new pipe's reader counts as awake: no command. */
    CHECK_EQ(write_text(a, "m1", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 0);
    CHECK(read_expect(b, "m1", false));

    /* The reader runs dry: the next flush wakes it, once. */
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK(!zmq__pipe_check_read(b));
    CHECK_EQ(write_text(a, "m2", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(write_text(a, "m3", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver(&f.b), 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_ACTIVATE_READ], 1);
    CHECK_EQ(f.b.read_activated, 1);
    /* The reader is awake (it has not read yet): no more commands. */
    CHECK_EQ(write_text(a, "m4", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 0);
    CHECK(read_expect(b, "m2", false));
    CHECK(read_expect(b, "m3", false));
    CHECK(read_expect(b, "m4", false));
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* And again. */
    CHECK_EQ(write_text(a, "m5", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.b.read_activated, 2);
    CHECK(read_expect(b, "m5", false));

    /* A flush with nothing new sends nothing. */
    CHECK_EQ(read_fails(b), -EAGAIN);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 0);
    CHECK_EQ(f.b.read_activated, 2);
    teardown(&f);
}

/* --- flow control -------------------------------------------------------- */

static void test_hwm(void)
{
    enum { H = 10, L = 5 }; /* lwm = (hwm + 1) / 2 */
    struct fixture f;
    REQUIRE(setup(&f, H, 3) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    char buf[16];

    /* Exactly H messages; the second one has three parts. */
    int written = 0;
    while (zmq__pipe_check_write(a) && written < 100) {
        snprintf(buf, sizeof buf, "m%d", written);
        if (written == 1) {
            CHECK_EQ(write_text(a, "p1", true), 0);
            CHECK_EQ(write_text(a, "p2", true), 0);
        }
        CHECK_EQ(write_text(a, buf, false), 0);
        written++;
    }
    CHECK_EQ(written, H);
    CHECK_EQ(zmq__pipe_pending(a), H);
    /* Full: write refuses and leaves the message with the caller. */
    struct zmq__msg m;
    make_msg(&m, "refused", false);
    CHECK_EQ(zmq__pipe_write(a, &m), -EAGAIN);
    CHECK(zmq__msg_is_valid(&m));
    CHECK_EQ(zmq__msg_size(&m), 7);
    CHECK(memcmp(zmq__msg_data(&m), "refused", 7) == 0);
    zmq__msg_close(&m);
    CHECK(!zmq__pipe_check_write(a));
    zmq__pipe_flush(a);

    /* Reading fewer than lwm returns no credit. */
    CHECK(read_expect(b, "m0", false));
    CHECK(read_expect(b, "p1", true));
    CHECK(read_expect(b, "p2", true));
    CHECK(read_expect(b, "m1", false));
    for (int i = 2; i < L - 1; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        CHECK(read_expect(b, buf, false));
    }
    CHECK_EQ(deliver_all(&f), 0);
    CHECK_EQ(f.a.write_activated, 0);
    CHECK(!zmq__pipe_check_write(a));

    /* The lwm-th read sends ACTIVATE_WRITE; the writer is reactivated. */
    snprintf(buf, sizeof buf, "m%d", L - 1);
    CHECK(read_expect(b, buf, false));
    CHECK_EQ(deliver(&f.a), 1);
    CHECK_EQ(f.a.cmds[ZMQ__CMD_ACTIVATE_WRITE], 1);
    CHECK_EQ(f.a.write_activated, 1);
    CHECK_EQ(zmq__pipe_pending(a), H - L);

    /* Now exactly L more fit. */
    int more = 0;
    while (zmq__pipe_check_write(a) && more < 100) {
        snprintf(buf, sizeof buf, "m%d", written + more);
        CHECK_EQ(write_text(a, buf, false), 0);
        more++;
    }
    CHECK_EQ(more, L);
    CHECK_EQ(zmq__pipe_pending(a), H);
    zmq__pipe_flush(a);

    /* Read everything: credit at 2L and 3L; the writer, inactive, is
     * activated once. */
    for (int i = L; i < written + more; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        CHECK(read_expect(b, buf, false));
    }
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    CHECK_EQ(f.a.cmds[ZMQ__CMD_ACTIVATE_WRITE], 3);
    CHECK_EQ(f.a.write_activated, 2);
    CHECK_EQ(zmq__pipe_pending(a), 0);
    CHECK(zmq__pipe_check_write(a));

    /* The other direction has its own mark (3). */
    for (int i = 0; i < 3; i++) {
        CHECK(zmq__pipe_check_write(b));
        CHECK_EQ(write_text(b, "r", false), 0);
    }
    CHECK(!zmq__pipe_check_write(b));
    CHECK_EQ(write_text(b, "r", false), -EAGAIN);
    zmq__pipe_flush(b);
    teardown(&f);
}

/* A multipart message begun below the mark is always finished; the
 * next one then waits. */
static void test_hwm_multipart_at_limit(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 2, 0) == 0);
    struct zmq__pipe *a = f.a.pipe;
    CHECK_EQ(write_text(a, "m0", false), 0);
    CHECK_EQ(write_text(a, "m1a", true), 0);
    for (int i = 0; i < 20; i++)
        CHECK_EQ(write_text(a, "m1x", true), 0);
    CHECK_EQ(write_text(a, "m1z", false), 0);
    CHECK_EQ(zmq__pipe_pending(a), 2);
    CHECK(!zmq__pipe_check_write(a));
    CHECK_EQ(write_text(a, "m2", true), -EAGAIN);
    zmq__pipe_flush(a);
    teardown(&f);
}

static void test_unlimited(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 0, 0) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    for (int i = 0; i < 5000; i++) {
        CHECK(zmq__pipe_check_write(a));
        CHECK_EQ(write_text(a, "x", false), 0);
    }
    zmq__pipe_flush(a);
    CHECK_EQ(zmq__pipe_pending(a), 5000);
    int n = 0;
    while (read_fails(b) == 0)
        n++;
    CHECK_EQ(n, 5000);
    CHECK_EQ(deliver_all(&f), 0); /* lwm 0: no credit commands */
    teardown(&f);
}

static void test_set_hwms(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 0, 0) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    /* a: inbound 4, outbound 2.  The peer learns the mirror image. */
    zmq__pipe_set_hwms(a, 4, 2);
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_PIPE_HWM], 1);
    int n = 0;
    while (zmq__pipe_check_write(a) && n < 100) {
        CHECK_EQ(write_text(a, "a", false), 0);
        n++;
    }
    CHECK_EQ(n, 2);
    n = 0;
    while (zmq__pipe_check_write(b) && n < 100) {
        CHECK_EQ(write_text(b, "b", false), 0);
        n++;
    }
    CHECK_EQ(n, 4);
    zmq__pipe_flush(a);
    zmq__pipe_flush(b);
    /* b returns credit every (2 + 1) / 2 = 1 message. */
    CHECK(read_expect(b, "a", false));
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.a.write_activated, 1);
    teardown(&f);
}

/* --- rollback ------------------------------------------------------------ */

static void test_rollback(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;

    /* An unfinished message is taken back and freed. */
    CHECK_EQ(write_zc(a, "part1", true), 0);
    CHECK_EQ(write_zc(a, "part2", true), 0);
    zmq__pipe_flush(a); /* publishes nothing: the message is unfinished */
    zmq__pipe_rollback(a);
    CHECK_EQ(frees, 2);
    CHECK(zmq__pipe_check_write(a));
    CHECK_EQ(zmq__pipe_pending(a), 0);
    CHECK_EQ(write_text(a, "whole", false), 0);
    zmq__pipe_flush(a);
    CHECK(read_expect(b, "whole", false)); /* not a leftover part */
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* Flushed messages are not touched by a rollback. */
    CHECK_EQ(write_zc(a, "kept", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1); /* b slept: ACTIVATE_READ */
    CHECK_EQ(write_zc(a, "gone1", true), 0);
    zmq__pipe_rollback(a);
    CHECK_EQ(frees, 3);
    zmq__pipe_flush(a);
    CHECK(read_expect(b, "kept", false));
    CHECK_EQ(frees, 4);
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* Rolling back with nothing unfinished does nothing. */
    zmq__pipe_rollback(a);
    CHECK_EQ(frees, 4);
    deliver_all(&f);
    teardown(&f);
    CHECK_EQ(frees, 4);
}

/* pipe.h: rollback "drops the parts of an unfinished multipart message
 * not yet flushed" -- a complete message written before it, even if not
 * yet flushed, is not one of those parts and must survive. */
static void test_rollback_keeps_complete_unflushed(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;

    CHECK_EQ(write_zc(a, "complete", false), 0);
    CHECK_EQ(write_zc(a, "partial", true), 0);
    zmq__pipe_rollback(a);
    CHECK_EQ(frees, 1); /* only "partial" */
    CHECK_EQ(zmq__pipe_pending(a), 1);
    zmq__pipe_flush(a);
    bool got = zmq__pipe_check_read(b);
    CHECK(got);
    if (got)
        CHECK(read_expect(b, "complete", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    teardown(&f);
    CHECK_EQ(frees, 2);
}

/* --- termination --------------------------------------------------------- */

/* (a) one end terminates without delay: both sinks are told once, what
 * was never read is released. */
static void test_term_no_delay(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;

    CHECK_EQ(write_zc(a, "a1", false), 0);
    CHECK_EQ(write_zc(a, "a2", false), 0);
    CHECK_EQ(write_zc(a, "a3", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(write_zc(b, "b1", false), 0);
    CHECK_EQ(write_zc(b, "b2", false), 0);
    zmq__pipe_flush(b);
    CHECK(read_expect(b, "a1", false));
    CHECK_EQ(frees, 1);

    zmq__pipe_terminate(a, false);
    zmq__pipe_terminate(a, false); /* idempotent */
    /* A terminating end writes no more. */
    CHECK(!zmq__pipe_check_write(a));
    CHECK_EQ(write_text(a, "late", false), -EAGAIN);
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);

    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(f.a.read_activated + f.b.read_activated, 0);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_PIPE_TERM], 1);
    CHECK_EQ(f.a.cmds[ZMQ__CMD_PIPE_TERM_ACK], 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_PIPE_TERM_ACK], 1);
    CHECK_EQ(frees, 5); /* a2, a3, b1, b2 dropped */
    CHECK_EQ(deliver_all(&f), 0);
    teardown(&f);
}

/* (a') the peer stops reading once it got PIPE_TERM without delay. */
static void test_term_no_delay_peer_reads_nothing_more(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "a1", false), 0);
    zmq__pipe_flush(a);
    zmq__pipe_terminate(a, false);
    CHECK_EQ(deliver(&f.b), 1); /* PIPE_TERM: b acknowledges */
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK(!zmq__pipe_check_write(b));
    CHECK_EQ(f.b.terminated, 0);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 1);
    teardown(&f);
}

/* (b) terminate with delay: the peer reads everything, then the
 * delimiter, then the handshake completes. */
static void test_term_delay(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    static const char *const text[] = {"d0", "d1", "d2", "d3", "d4"};

    for (int i = 0; i < 5; i++)
        CHECK_EQ(write_zc(a, text[i], i == 2), 0); /* d2+d3: one message */
    zmq__pipe_flush(a);
    zmq__pipe_terminate(a, true);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);
    CHECK_EQ(frees, 0);

    for (int i = 0; i < 5; i++) {
        CHECK(read_expect(b, text[i], i == 2));
        CHECK_EQ(f.a.terminated + f.b.terminated, 0);
    }
    CHECK_EQ(frees, 5);
    /* The delimiter: nothing to read, and b acknowledges. */
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 5);
    teardown(&f);
}

/* (b') the reader was asleep: PIPE_TERM itself wakes it to drain. */
static void test_term_delay_wakes_sleeping_reader(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;

    CHECK_EQ(read_fails(b), -EAGAIN); /* b sleeps */
    CHECK_EQ(write_zc(a, "x", false), 0);
    CHECK_EQ(write_zc(a, "y", false), 0);
    zmq__pipe_flush(a);
    zmq__pipe_terminate(a, true);
    deliver_all(&f);
    /* Woken once, by the flush's ACTIVATE_READ; PIPE_TERM finds it
     * awake already. */
    CHECK_EQ(f.b.read_activated, 1);
    CHECK(read_expect(b, "x", false));
    CHECK(read_expect(b, "y", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 2);
    teardown(&f);

    /* Nothing written at all: the sleeping reader is woken and finds
     * only the delimiter. */
    REQUIRE(setup(&f, 10, 10) == 0);
    a = f.a.pipe;
    b = f.b.pipe;
    CHECK_EQ(read_fails(b), -EAGAIN);
    zmq__pipe_terminate(a, true);
    deliver_all(&f);
    CHECK_EQ(f.b.read_activated, 1);
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    teardown(&f);
}

/* (b+) pipe.h: "with delay, the messages already written are delivered
 * first" -- also complete messages written but not yet flushed. */
static void test_term_delay_delivers_unflushed(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "x", false), 0);
    CHECK_EQ(write_zc(a, "y", false), 0);
    zmq__pipe_terminate(a, true); /* no flush before */
    CHECK_EQ(frees, 0);
    deliver_all(&f);
    bool got = zmq__pipe_check_read(b);
    CHECK(got);
    if (got) {
        CHECK(read_expect(b, "x", false));
        CHECK(read_expect(b, "y", false));
    }
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 2);
    teardown(&f);
}

/* (b'') the reader reaches the delimiter before PIPE_TERM arrives. */
static void test_term_delimiter_before_term(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "x", false), 0);
    zmq__pipe_flush(a);
    zmq__pipe_terminate(a, true);
    CHECK(read_expect(b, "x", false));
    CHECK_EQ(read_fails(b), -EAGAIN); /* the delimiter */
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 1);
    teardown(&f);
}

/* (b''') the draining side's sink gives up: it terminates too. */
static void test_term_delay_reader_gives_up(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "x", false), 0);
    CHECK_EQ(write_zc(a, "y", false), 0);
    CHECK_EQ(write_zc(a, "z", false), 0);
    zmq__pipe_flush(a);
    zmq__pipe_terminate(a, true);
    deliver_all(&f);
    CHECK(read_expect(b, "x", false));
    zmq__pipe_terminate(b, false);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 3);
    teardown(&f);
}

/* (c) both ends terminate before either hears from the other. */
static void run_term_both(bool delay_a, bool delay_b)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "a1", false), 0);
    CHECK_EQ(write_zc(a, "a2", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(write_zc(b, "b1", false), 0);
    CHECK_EQ(write_zc(b, "b2", true), 0); /* unfinished: rolled back */
    zmq__pipe_flush(b);
    zmq__pipe_terminate(a, delay_a);
    zmq__pipe_terminate(b, delay_b);
    CHECK_EQ(frees, 1); /* b2 */
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(f.a.cmds[ZMQ__CMD_PIPE_TERM], 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_PIPE_TERM], 1);
    CHECK_EQ(f.a.cmds[ZMQ__CMD_PIPE_TERM_ACK], 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_PIPE_TERM_ACK], 1);
    CHECK_EQ(frees, 4);
    teardown(&f);
}

static void test_term_both(void)
{
    run_term_both(false, false);
    run_term_both(true, true);
    run_term_both(true, false);
    run_term_both(false, true);
}

/* (c') crossing in other orders: b terminates after processing a's
 * PIPE_TERM (already acknowledged), or after reading the delimiter. */
static void test_term_crossing(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    zmq__pipe_terminate(f.a.pipe, false);
    CHECK_EQ(deliver(&f.b), 1);
    zmq__pipe_terminate(f.b.pipe, true); /* already acknowledged: no-op */
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    teardown(&f);

    REQUIRE(setup(&f, 10, 10) == 0);
    frees = 0;
    CHECK_EQ(write_zc(f.b.pipe, "from-b", false), 0);
    zmq__pipe_flush(f.b.pipe);
    zmq__pipe_terminate(f.a.pipe, true);
    CHECK_EQ(read_fails(f.b.pipe), -EAGAIN); /* delimiter first */
    zmq__pipe_terminate(f.b.pipe, true);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 1);
    teardown(&f);
}

/* (d) hurry: the peer never reads; the terminating end stops waiting. */
static void test_term_hurry(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    frees = 0;
    for (int i = 0; i < 4; i++)
        CHECK_EQ(write_zc(f.a.pipe, "q", false), 0);
    zmq__pipe_flush(f.a.pipe);
    zmq__pipe_terminate(f.a.pipe, true);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);
    CHECK_EQ(deliver_all(&f), 0); /* b waits for its sink to read */
    CHECK_EQ(frees, 0);
    zmq__pipe_hurry(f.a.pipe);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 4);
    teardown(&f);

    /* Hurry before the first PIPE_TERM was even processed. */
    REQUIRE(setup(&f, 10, 10) == 0);
    frees = 0;
    CHECK_EQ(write_zc(f.a.pipe, "q", false), 0);
    zmq__pipe_flush(f.a.pipe);
    zmq__pipe_terminate(f.a.pipe, true);
    zmq__pipe_hurry(f.a.pipe);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 1);
    teardown(&f);

    /* Hurry that crosses the peer's acknowledgement (the peer already
     * read to the delimiter). */
    REQUIRE(setup(&f, 10, 10) == 0);
    zmq__pipe_terminate(f.a.pipe, true);
    CHECK_EQ(deliver(&f.b), 1);              /* PIPE_TERM(delay) */
    CHECK_EQ(read_fails(f.b.pipe), -EAGAIN); /* delimiter: ack sent */
    zmq__pipe_hurry(f.a.pipe);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    teardown(&f);

    /* Hurry on an active end, or one terminated without delay, is a
     * no-op. */
    REQUIRE(setup(&f, 10, 10) == 0);
    zmq__pipe_hurry(f.a.pipe);
    CHECK_EQ(deliver_all(&f), 0);
    CHECK_EQ(write_text(f.a.pipe, "still", false), 0);
    zmq__pipe_flush(f.a.pipe);
    CHECK(read_expect(f.b.pipe, "still", false));
    teardown(&f);
}

/* (e) terminate with an unfinished multipart message: its parts are
 * rolled back and the peer never sees them. */
static void test_term_rolls_back_partial(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 10, 10) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "done", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(write_zc(a, "half1", true), 0);
    CHECK_EQ(write_zc(a, "half2", true), 0);
    zmq__pipe_terminate(a, true);
    CHECK_EQ(frees, 2);
    deliver_all(&f);
    CHECK(read_expect(b, "done", false));
    CHECK_EQ(read_fails(b), -EAGAIN); /* straight to the delimiter */
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 3);
    teardown(&f);
}

/* Credit and wake-up commands still in flight when termination starts
 * are handled (or ignored) without harm. */
static void test_term_with_commands_in_flight(void)
{
    struct fixture f;
    REQUIRE(setup(&f, 3, 3) == 0); /* lwm 2 */
    frees = 0;
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(write_zc(a, "1", false), 0);
    CHECK_EQ(write_zc(a, "2", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver(&f.b), 1);
    CHECK(read_expect(b, "1", false));
    CHECK(read_expect(b, "2", false)); /* ACTIVATE_WRITE queued for a */
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(write_zc(a, "3", false), 0);
    zmq__pipe_flush(a);            /* ACTIVATE_READ queued for b */
    zmq__pipe_terminate(b, false); /* PIPE_TERM queued for a */
    zmq__pipe_terminate(a, true);  /* PIPE_TERM queued for b */
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(f.a.cmds[ZMQ__CMD_ACTIVATE_WRITE], 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_ACTIVATE_READ], 2);
    CHECK_EQ(f.b.read_activated, 1); /* the second came too late */
    CHECK_EQ(f.a.write_activated, 0);
    CHECK_EQ(frees, 3);
    teardown(&f);
}

/* --- conflating pipes --------------------------------------------------- */

/* Five messages written, only the last is read; the others are released
 * as soon as a newer one replaces them. */
static void test_conflate_last_wins(void)
{
    static const char *const text[] = {"c0", "c1", "c2", "c3", "c4"};
    struct fixture f;
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;

    for (int i = 0; i < 5; i++)
        CHECK_EQ(write_zc(a, text[i], false), 0);
    CHECK_EQ(frees, 4);              /* replaced before the flush */
    CHECK(!zmq__pipe_check_read(b)); /* nothing flushed yet: b sleeps */
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.b.read_activated, 1);
    CHECK(read_expect(b, "c4", false));
    CHECK_EQ(frees, 5);
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* Flushed one by one while the reader does not read: the same. */
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(write_zc(a, text[i], false), 0);
        zmq__pipe_flush(a);
    }
    CHECK_EQ(frees, 9);
    deliver_all(&f);
    CHECK(read_expect(b, "c4", false));
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* Writing after the reader drained works, and wakes it. */
    CHECK_EQ(write_text(a, "after", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.b.read_activated, 3);
    CHECK(read_expect(b, "after", false));
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* The other direction conflates too. */
    CHECK_EQ(write_text(b, "b1", false), 0);
    CHECK_EQ(write_text(b, "b2", false), 0);
    zmq__pipe_flush(b);
    CHECK(read_expect(a, "b2", false));
    CHECK_EQ(read_fails(a), -EAGAIN);
    deliver_all(&f);
    teardown(&f);
    CHECK_EQ(frees, 10);
}

/* A message the reader has looked at (check_read) but not started is
 * still replaced by a newer one, as libzmq reads the newest at read. */
static void test_conflate_newer_after_peek(void)
{
    struct fixture f;
    REQUIRE(setup_conflate(&f, 10, 10, true, false) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "old", false), 0);
    zmq__pipe_flush(a);
    CHECK(zmq__pipe_check_read(b));
    CHECK_EQ(write_zc(a, "new", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(frees, 0); /* "old" is the reader's now */
    CHECK(read_expect(b, "new", false));
    CHECK_EQ(frees, 2);
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    teardown(&f);
}

/* ACTIVATE_READ goes only to a reader that found the pipe empty. */
static void test_conflate_reader_asleep(void)
{
    struct fixture f;
    REQUIRE(setup_conflate(&f, 0, 0, true, true) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;

    /* A new pipe's reader counts as awake. */
    CHECK_EQ(write_text(a, "m1", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 0);
    CHECK(read_expect(b, "m1", false));

    /* The reader runs dry: the next flush wakes it, once. */
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK(!zmq__pipe_check_read(b));
    CHECK_EQ(write_text(a, "m2", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(write_text(a, "m3", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver(&f.b), 1);
    CHECK_EQ(f.b.cmds[ZMQ__CMD_ACTIVATE_READ], 1);
    CHECK_EQ(f.b.read_activated, 1);
    CHECK_EQ(write_text(a, "m4", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 0);
    CHECK(read_expect(b, "m4", false));
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* A flush with nothing new sends nothing. */
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 0);
    /* An unfinished message is not published and wakes nobody. */
    CHECK_EQ(write_text(a, "p1", true), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 0);
    CHECK_EQ(write_text(a, "p2", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.b.read_activated, 2);
    CHECK(read_expect(b, "p1", true));
    CHECK(read_expect(b, "p2", false));
    teardown(&f);
}

/* Multipart: the last complete message wins, whole; one whose reading
 * began is read to its end; an unfinished one is never seen. */
static void test_conflate_multipart(void)
{
    struct fixture f;
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;

    CHECK_EQ(write_zc(a, "a1", true), 0);
    CHECK_EQ(write_zc(a, "a2", true), 0);
    CHECK_EQ(write_zc(a, "a3", false), 0);
    CHECK_EQ(write_zc(a, "b1", true), 0);
    CHECK_EQ(write_zc(a, "b2", false), 0);
    CHECK_EQ(frees, 3);                   /* a1..a3 */
    CHECK_EQ(write_zc(a, "c1", true), 0); /* unfinished */
    zmq__pipe_flush(a);
    CHECK(read_expect(b, "b1", true));
    CHECK(read_expect(b, "b2", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(frees, 5);

    /* c is finished now; while it is read, d and e come: c is read to
     * its end, then e, whole. */
    CHECK_EQ(write_zc(a, "c2", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1); /* b ran dry: woken */
    CHECK(read_expect(b, "c1", true));
    CHECK_EQ(write_zc(a, "d", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(write_zc(a, "e1", true), 0);
    CHECK_EQ(write_zc(a, "e2", false), 0);
    zmq__pipe_flush(a);
    CHECK_EQ(frees, 7); /* c1, d */
    CHECK(read_expect(b, "c2", false));
    CHECK(read_expect(b, "e1", true));
    CHECK(read_expect(b, "e2", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(frees, 10);

    /* A message whose parts outgrow the first buffer. */
    char buf[16];
    for (int i = 0; i < 40; i++) {
        snprintf(buf, sizeof buf, "g%d", i);
        CHECK_EQ(write_text(a, buf, i < 39), 0);
    }
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1);
    for (int i = 0; i < 40; i++) {
        snprintf(buf, sizeof buf, "g%d", i);
        CHECK(read_expect(b, buf, i < 39));
    }
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* Rollback drops the unfinished parts only, and keeps the complete
     * message before them. */
    CHECK_EQ(write_zc(a, "kept", false), 0);
    CHECK_EQ(write_zc(a, "h1", true), 0);
    CHECK_EQ(write_zc(a, "h2", true), 0);
    zmq__pipe_rollback(a);
    CHECK_EQ(frees, 12);
    zmq__pipe_flush(a);
    CHECK_EQ(deliver_all(&f), 1);
    CHECK(read_expect(b, "kept", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(frees, 13);
    deliver_all(&f);
    teardown(&f);
    CHECK_EQ(frees, 13);
}

/* No HWM: a conflating writer never waits, and set_hwms keeps it so;
 * the non-conflating direction of the same pair keeps its mark. */
static void test_conflate_no_hwm(void)
{
    struct fixture f;
    REQUIRE(setup_conflate(&f, 1, 2, true, false) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    char buf[16];
    for (int i = 0; i < 10000; i++) {
        CHECK(zmq__pipe_check_write(a));
        snprintf(buf, sizeof buf, "x%d", i);
        CHECK_EQ(write_text(a, buf, false), 0);
        zmq__pipe_flush(a);
    }
    CHECK(read_expect(b, "x9999", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    CHECK_EQ(write_text(b, "r1", false), 0);
    CHECK_EQ(write_text(b, "r2", false), 0);
    zmq__pipe_flush(b);

    /* a: inbound 4, outbound 1 -- the outbound direction conflates. */
    zmq__pipe_set_hwms(a, 4, 1);
    deliver_all(&f);
    for (int i = 0; i < 100; i++) {
        CHECK(zmq__pipe_check_write(a));
        CHECK_EQ(write_text(a, "y", false), 0);
    }
    zmq__pipe_flush(a);
    deliver_all(&f);
    CHECK(read_expect(b, "y", false));
    /* b -> a now allows 4. */
    CHECK(zmq__pipe_check_write(b));
    CHECK_EQ(write_text(b, "r3", false), 0);
    CHECK_EQ(write_text(b, "r4", false), 0);
    CHECK(!zmq__pipe_check_write(b));
    zmq__pipe_flush(b);
    CHECK(read_expect(a, "r1", false));
    CHECK(read_expect(a, "r2", false));
    CHECK(read_expect(a, "r3", false));
    CHECK(read_expect(a, "r4", false));
    deliver_all(&f);
    teardown(&f);
}

/* The identity is never conflated away and comes first. */
static void test_conflate_identity(void)
{
    struct fixture f;
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    b->identity_first = true;
    CHECK_EQ(zmq__pipe_send_identity(a, "ID-A", 4), 0);
    CHECK_EQ(write_text(a, "m1", false), 0);
    CHECK_EQ(write_text(a, "m2", false), 0);
    zmq__pipe_flush(a);
    CHECK(zmq__pipe_check_read(b));
    CHECK_EQ(b->identity_size, 4);
    CHECK(memcmp(b->identity, "ID-A", 4) == 0);
    CHECK(read_expect(b, "m2", false));
    CHECK_EQ(read_fails(b), -EAGAIN);

    /* Identity alone on a sleeping reader wakes it. */
    a->identity_first = true;
    CHECK_EQ(read_fails(a), -EAGAIN);
    CHECK_EQ(zmq__pipe_send_identity(b, "ID-B", 4), 0);
    CHECK_EQ(deliver_all(&f), 1);
    CHECK_EQ(f.a.read_activated, 1);
    CHECK_EQ(read_fails(a), -EAGAIN);
    CHECK_EQ(a->identity_size, 4);
    CHECK(memcmp(a->identity, "ID-B", 4) == 0);
    teardown(&f);

    /* Identities never read (one flushed, one replacing it) are released
     * with the pipe; long enough to be allocated, for ASan to see. */
    static const char long_id[] = "an identity too long to live inline, 48 b";
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    CHECK_EQ(zmq__pipe_send_identity(f.a.pipe, long_id, sizeof long_id), 0);
    CHECK_EQ(zmq__pipe_send_identity(f.a.pipe, long_id, sizeof long_id), 0);
    teardown(&f);
}

/* Termination with delay delivers the newest message, then ends; the
 * reader asleep is woken for it. */
static void test_conflate_term_delay(void)
{
    struct fixture f;
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(read_fails(b), -EAGAIN); /* b sleeps */
    static const char *const text[] = {"t0", "t1", "t2", "t3", "t4"};
    for (int i = 0; i < 5; i++)
        CHECK_EQ(write_zc(a, text[i], false), 0);
    zmq__pipe_flush(a);
    zmq__pipe_terminate(a, true);
    deliver_all(&f);
    CHECK_EQ(f.b.read_activated, 1);
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);
    CHECK(read_expect(b, "t4", false));
    CHECK_EQ(f.a.terminated + f.b.terminated, 0);
    CHECK_EQ(read_fails(b), -EAGAIN); /* the delimiter: b acknowledges */
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 5);
    teardown(&f);

    /* Unflushed and partly read: the message being read is finished,
     * the newest complete one follows, an unfinished one is dropped. */
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    a = f.a.pipe;
    b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "r1", true), 0);
    CHECK_EQ(write_zc(a, "r2", false), 0);
    zmq__pipe_flush(a);
    CHECK(read_expect(b, "r1", true));
    CHECK_EQ(write_zc(a, "x", false), 0);
    CHECK_EQ(write_zc(a, "y", false), 0);
    CHECK_EQ(write_zc(a, "half", true), 0);
    zmq__pipe_terminate(a, true); /* no flush before */
    CHECK_EQ(frees, 3);           /* r1, x, half */
    deliver_all(&f);
    CHECK(read_expect(b, "r2", false));
    CHECK(read_expect(b, "y", false));
    CHECK_EQ(read_fails(b), -EAGAIN);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 5);
    teardown(&f);

    /* Nothing written: the delimiter alone ends it. */
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    CHECK_EQ(read_fails(f.b.pipe), -EAGAIN);
    zmq__pipe_terminate(f.a.pipe, true);
    deliver_all(&f);
    CHECK_EQ(f.b.read_activated, 1);
    CHECK_EQ(read_fails(f.b.pipe), -EAGAIN);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    teardown(&f);
}

/* Termination without delay, both at once, and hurry release every
 * message held anywhere in the pair. */
static void test_conflate_term_releases(void)
{
    struct fixture f;
    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    struct zmq__pipe *a = f.a.pipe, *b = f.b.pipe;
    frees = 0;
    CHECK_EQ(write_zc(a, "s1", true), 0); /* being read */
    CHECK_EQ(write_zc(a, "s2", false), 0);
    zmq__pipe_flush(a);
    CHECK(read_expect(b, "s1", true));
    CHECK_EQ(write_zc(a, "pub", false), 0); /* published */
    zmq__pipe_flush(a);
    CHECK_EQ(write_zc(a, "ready", false), 0); /* written, not flushed */
    CHECK_EQ(write_zc(a, "part", true), 0);   /* unfinished */
    CHECK_EQ(write_zc(b, "back", false), 0);
    zmq__pipe_flush(b);
    zmq__pipe_terminate(a, false);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 6);
    teardown(&f);

    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    frees = 0;
    CHECK_EQ(write_zc(f.a.pipe, "q1", false), 0);
    zmq__pipe_flush(f.a.pipe);
    CHECK_EQ(write_zc(f.b.pipe, "q2", false), 0);
    zmq__pipe_flush(f.b.pipe);
    zmq__pipe_terminate(f.a.pipe, true);
    zmq__pipe_terminate(f.b.pipe, true);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 2);
    teardown(&f);

    REQUIRE(setup_conflate(&f, 10, 10, true, true) == 0);
    frees = 0;
    CHECK_EQ(write_zc(f.a.pipe, "q", false), 0);
    zmq__pipe_flush(f.a.pipe);
    zmq__pipe_terminate(f.a.pipe, true);
    deliver_all(&f);
    CHECK_EQ(deliver_all(&f), 0); /* b waits for its sink to read */
    zmq__pipe_hurry(f.a.pipe);
    deliver_all(&f);
    CHECK_EQ(f.a.terminated, 1);
    CHECK_EQ(f.b.terminated, 1);
    CHECK_EQ(frees, 1);
    teardown(&f);
}

/* A pair whose second end never got an owner is freed whole. */
static void test_conflate_free_pair(void)
{
    struct zmq__pipe *ends[2];
    const int hwm[2] = {5, 5};
    const bool conflate[2] = {true, false};
    REQUIRE(zmq__pipe_pair_conflate(NULL, ends, hwm, conflate) == 0);
    frees = 0;
    CHECK_EQ(write_zc(ends[0], "one", false), 0);
    CHECK_EQ(write_zc(ends[1], "two", false), 0);
    CHECK_EQ(write_zc(ends[0], "three", true), 0);
    zmq__pipe_free_pair(ends[0]);
    CHECK_EQ(frees, 3);
}

TEST_MAIN(TEST(test_single_messages), TEST(test_multipart),
          TEST(test_reader_asleep), TEST(test_hwm),
          TEST(test_hwm_multipart_at_limit), TEST(test_unlimited),
          TEST(test_set_hwms), TEST(test_rollback),
          TEST(test_rollback_keeps_complete_unflushed),
          TEST(test_term_no_delay),
          TEST(test_term_no_delay_peer_reads_nothing_more),
          TEST(test_term_delay), TEST(test_term_delay_wakes_sleeping_reader),
          TEST(test_term_delay_delivers_unflushed),
          TEST(test_term_delimiter_before_term),
          TEST(test_term_delay_reader_gives_up), TEST(test_term_both),
          TEST(test_term_crossing), TEST(test_term_hurry),
          TEST(test_term_rolls_back_partial),
          TEST(test_term_with_commands_in_flight),
          TEST(test_conflate_last_wins), TEST(test_conflate_newer_after_peek),
          TEST(test_conflate_reader_asleep), TEST(test_conflate_multipart),
          TEST(test_conflate_no_hwm), TEST(test_conflate_identity),
          TEST(test_conflate_term_delay), TEST(test_conflate_term_releases),
          TEST(test_conflate_free_pair))
