/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The public API.  Every zmq_* function lives here: it checks handles and
 * arguments, calls the module that does the work, and turns that
 * module's negative errno into errno and the documented return value.
 * Nothing else in the library sets errno.
 *
 * Features not built yet fail with ENOTSUP from the module that would
 * provide them (socket types, transports).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "zmq.h"

#include "core/atomic_counter.h"
#include "core/clock.h"
#include "core/ctx.h"
#include "core/err.h"
#include "core/msg.h"
#include "core/thread.h"
#include "core/timers.h"
#include "core/z85.h"
#include "mechanism/curve_keys.h"
#include "poll/socket_poll.h"
#include "socket/proxy.h"
#include "socket/socket.h"

/* Sets errno from a negative error code and returns -1. */
static int fail(int neg_errno)
{
    errno = -neg_errno;
    return -1;
}

/* Passes a 0 / negative-errno result through the API convention. */
static int result(int rc)
{
    return rc < 0 ? fail(rc) : rc;
}

static void *fail_null(int neg_errno)
{
    errno = -neg_errno;
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Errors, version, capabilities                                             */
/* ------------------------------------------------------------------------ */

int zmq_errno(void)
{
    return errno;
}

const char *zmq_strerror(int errnum_)
{
    return zmq__err_str(errnum_);
}

void zmq_version(int *major_, int *minor_, int *patch_)
{
    if (major_ != NULL)
        *major_ = ZMQ_VERSION_MAJOR;
    if (minor_ != NULL)
        *minor_ = ZMQ_VERSION_MINOR;
    if (patch_ != NULL)
        *patch_ = ZMQ_VERSION_PATCH;
}

/* What zmq_has reports.  A capability is listed as 1 only once the
 * library really provides it: "curve", "WS" and "WSS" turn on
 * with the issues that build their transport or mechanism. */
static const struct {
    const char *name;
    int present;
} capabilities[] = {
    {"draft", 1},  {"ipc", 1},  {"curve", 0}, {"WS", 0},
    {"WSS", 0},    {"pgm", 0},  {"tipc", 0},  {"norm", 0},
    {"gssapi", 0}, {"vmci", 0}, {"vsock", 0},
};

int zmq_has(const char *capability_)
{
    if (capability_ == NULL)
        return 0;
    for (size_t i = 0; i < sizeof capabilities / sizeof capabilities[0]; i++)
        if (strcmp(capabilities[i].name, capability_) == 0)
            return capabilities[i].present;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */
/* ------------------------------------------------------------------------ */

/* The internal message behind msg_, or NULL when it is not initialised. */
static struct zmq__msg *valid_msg(const zmq_msg_t *msg_)
{
    struct zmq__msg *m = zmq__msg_from((zmq_msg_t *)msg_);
    return msg_ != NULL && zmq__msg_is_valid(m) ? m : NULL;
}

int zmq_msg_init(zmq_msg_t *msg_)
{
    if (msg_ == NULL)
        return fail(-EFAULT);
    zmq__msg_init(zmq__msg_from(msg_));
    return 0;
}

int zmq_msg_init_size(zmq_msg_t *msg_, size_t size_)
{
    if (msg_ == NULL)
        return fail(-EFAULT);
    return result(zmq__msg_init_size(zmq__msg_from(msg_), size_));
}

int zmq_msg_init_data(zmq_msg_t *msg_, void *data_, size_t size_,
                      zmq_free_fn *ffn_, void *hint_)
{
    if (msg_ == NULL)
        return fail(-EFAULT);
    return result(
        zmq__msg_init_data(zmq__msg_from(msg_), data_, size_, ffn_, hint_));
}

int zmq_msg_init_buffer(zmq_msg_t *msg_, const void *buf_, size_t size_)
{
    if (msg_ == NULL)
        return fail(-EFAULT);
    return result(zmq__msg_init_buffer(zmq__msg_from(msg_), buf_, size_));
}

int zmq_msg_close(zmq_msg_t *msg_)
{
    if (msg_ == NULL)
        return fail(-EFAULT);
    return result(zmq__msg_close(zmq__msg_from(msg_)));
}

int zmq_msg_move(zmq_msg_t *dest_, zmq_msg_t *src_)
{
    if (dest_ == NULL || src_ == NULL)
        return fail(-EFAULT);
    return result(zmq__msg_move(zmq__msg_from(dest_), zmq__msg_from(src_)));
}

int zmq_msg_copy(zmq_msg_t *dest_, zmq_msg_t *src_)
{
    if (dest_ == NULL || src_ == NULL)
        return fail(-EFAULT);
    return result(zmq__msg_copy(zmq__msg_from(dest_), zmq__msg_from(src_)));
}

void *zmq_msg_data(zmq_msg_t *msg_)
{
    struct zmq__msg *m = valid_msg(msg_);
    return m != NULL ? zmq__msg_data(m) : fail_null(-EFAULT);
}

size_t zmq_msg_size(const zmq_msg_t *msg_)
{
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL) {
        errno = EFAULT;
        return 0;
    }
    return zmq__msg_size(m);
}

int zmq_msg_more(const zmq_msg_t *msg_)
{
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL) {
        errno = EFAULT;
        return 0;
    }
    return zmq__msg_more(m);
}

int zmq_msg_get(const zmq_msg_t *msg_, int property_)
{
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL)
        return fail(-EFAULT);
    switch (property_) {
    case ZMQ_MORE:
        return zmq__msg_more(m);
    case ZMQ_SHARED:
        return zmq__msg_is_shared(m);
    case ZMQ_SRCFD: {
        /* The connection's descriptor travels as the "__fd" property. */
        const char *fd = zmq__msg_gets(m, "__fd");
        return fd != NULL ? atoi(fd) : fail(-EINVAL);
    }
    default:
        return fail(-EINVAL);
    }
}

int zmq_msg_set(zmq_msg_t *msg_, int property_, int optval_)
{
    (void)msg_;
    (void)property_;
    (void)optval_;
    return fail(-EINVAL);
}

const char *zmq_msg_gets(const zmq_msg_t *msg_, const char *property_)
{
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL)
        return fail_null(-EFAULT);
    if (property_ == NULL)
        return fail_null(-EINVAL);
    const char *value = zmq__msg_gets(m, property_);
    return value != NULL ? value : fail_null(-EINVAL);
}

int zmq_msg_set_routing_id(zmq_msg_t *msg_, uint32_t routing_id_)
{
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL)
        return fail(-EFAULT);
    if (routing_id_ == 0)
        return fail(-EINVAL);
    m->routing_id = routing_id_;
    return 0;
}

uint32_t zmq_msg_routing_id(zmq_msg_t *msg_)
{
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL) {
        errno = EFAULT;
        return 0;
    }
    return m->routing_id;
}

int zmq_msg_set_group(zmq_msg_t *msg_, const char *group_)
{
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL)
        return fail(-EFAULT);
    return result(zmq__msg_set_group(m, group_));
}

const char *zmq_msg_group(zmq_msg_t *msg_)
{
    struct zmq__msg *m = valid_msg(msg_);
    return m != NULL ? zmq__msg_group(m) : fail_null(-EFAULT);
}

/* ------------------------------------------------------------------------ */
/* Z85 and CURVE keys                                                        */
/* ------------------------------------------------------------------------ */

char *zmq_z85_encode(char *dest_, const uint8_t *data_, size_t size_)
{
    if (dest_ == NULL || (data_ == NULL && size_ > 0))
        return fail_null(-EINVAL);
    int rc = zmq__z85_encode(dest_, data_, size_);
    return rc == 0 ? dest_ : fail_null(rc);
}

uint8_t *zmq_z85_decode(uint8_t *dest_, const char *string_)
{
    if (dest_ == NULL || string_ == NULL)
        return fail_null(-EINVAL);
    int rc = zmq__z85_decode(dest_, string_, strlen(string_));
    return rc == 0 ? dest_ : fail_null(rc);
}

/* A Z85 key is 40 characters for 32 bytes, plus the NUL. */
#define Z85_KEY_LEN 40

int zmq_curve_keypair(char *z85_public_key_, char *z85_secret_key_)
{
    if (z85_public_key_ == NULL || z85_secret_key_ == NULL)
        return fail(-EINVAL);
    uint8_t pub[ZMQ__CURVE_KEY_SIZE], sec[ZMQ__CURVE_KEY_SIZE];
    int rc = zmq__curve_keys_generate(pub, sec);
    if (rc == 0) {
        zmq__z85_encode(z85_public_key_, pub, sizeof pub);
        zmq__z85_encode(z85_secret_key_, sec, sizeof sec);
    }
    memset(sec, 0, sizeof sec);
    return result(rc);
}

int zmq_curve_public(char *z85_public_key_, const char *z85_secret_key_)
{
    if (z85_public_key_ == NULL || z85_secret_key_ == NULL)
        return fail(-EINVAL);
    uint8_t pub[ZMQ__CURVE_KEY_SIZE], sec[ZMQ__CURVE_KEY_SIZE];
    if (strnlen(z85_secret_key_, Z85_KEY_LEN + 1) != Z85_KEY_LEN ||
        zmq__z85_decode(sec, z85_secret_key_, Z85_KEY_LEN) != 0)
        return fail(-EINVAL);
    int rc = zmq__curve_keys_public(pub, sec);
    if (rc == 0)
        zmq__z85_encode(z85_public_key_, pub, sizeof pub);
    memset(sec, 0, sizeof sec);
    return result(rc);
}

/* ------------------------------------------------------------------------ */
/* Atomic counters                                                           */
/* ------------------------------------------------------------------------ */

void *zmq_atomic_counter_new(void)
{
    void *c = zmq__atomic_counter_new();
    return c != NULL ? c : fail_null(-ENOMEM);
}

void zmq_atomic_counter_set(void *counter_, int value_)
{
    if (counter_ != NULL)
        zmq__atomic_counter_set(counter_, value_);
}

int zmq_atomic_counter_inc(void *counter_)
{
    return counter_ != NULL ? zmq__atomic_counter_inc(counter_) : fail(-EFAULT);
}

int zmq_atomic_counter_dec(void *counter_)
{
    if (counter_ == NULL)
        return fail(-EFAULT);
    return zmq__atomic_counter_dec(counter_) != 0;
}

int zmq_atomic_counter_value(void *counter_)
{
    return counter_ != NULL ? zmq__atomic_counter_value(counter_)
                            : fail(-EFAULT);
}

void zmq_atomic_counter_destroy(void **counter_p_)
{
    if (counter_p_ == NULL)
        return;
    zmq__atomic_counter_free(*counter_p_);
    *counter_p_ = NULL;
}

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */
/* ------------------------------------------------------------------------ */

/* A timer set handed out by zmq_timers_new: the tag tells a live set
 * from anything else (a freed set has its tag cleared). */
#define TIMERS_TAG 0x7a74696du

struct timers_handle {
    uint32_t tag;
    struct zmq__timers *timers;
};

static struct zmq__timers *valid_timers(void *timers_)
{
    struct timers_handle *h = timers_;
    return h != NULL && h->tag == TIMERS_TAG ? h->timers : NULL;
}

void *zmq_timers_new(void)
{
    struct timers_handle *h = malloc(sizeof *h);
    if (h == NULL)
        return fail_null(-ENOMEM);
    h->timers = zmq__timers_new();
    if (h->timers == NULL) {
        free(h);
        return fail_null(-ENOMEM);
    }
    h->tag = TIMERS_TAG;
    return h;
}

int zmq_timers_destroy(void **timers_p)
{
    if (timers_p == NULL || valid_timers(*timers_p) == NULL)
        return fail(-EFAULT);
    struct timers_handle *h = *timers_p;
    zmq__timers_free(h->timers);
    h->tag = 0;
    free(h);
    *timers_p = NULL;
    return 0;
}

int zmq_timers_add(void *timers, size_t interval, zmq_timer_fn handler,
                   void *arg)
{
    struct zmq__timers *t = valid_timers(timers);
    if (t == NULL || handler == NULL)
        return fail(-EFAULT);
    return result(
        zmq__timers_add(t, zmq__clock_now_ms(), interval, handler, arg));
}

int zmq_timers_cancel(void *timers, int timer_id)
{
    struct zmq__timers *t = valid_timers(timers);
    if (t == NULL)
        return fail(-EFAULT);
    return result(zmq__timers_cancel(t, timer_id));
}

int zmq_timers_set_interval(void *timers, int timer_id, size_t interval)
{
    struct zmq__timers *t = valid_timers(timers);
    if (t == NULL)
        return fail(-EFAULT);
    return result(
        zmq__timers_set_interval(t, zmq__clock_now_ms(), timer_id, interval));
}

int zmq_timers_reset(void *timers, int timer_id)
{
    struct zmq__timers *t = valid_timers(timers);
    if (t == NULL)
        return fail(-EFAULT);
    return result(zmq__timers_reset(t, zmq__clock_now_ms(), timer_id));
}

long zmq_timers_timeout(void *timers)
{
    struct zmq__timers *t = valid_timers(timers);
    if (t == NULL)
        return fail(-EFAULT);
    return zmq__timers_timeout(t, zmq__clock_now_ms());
}

int zmq_timers_execute(void *timers)
{
    struct zmq__timers *t = valid_timers(timers);
    if (t == NULL)
        return fail(-EFAULT);
    zmq__timers_execute(t, zmq__clock_now_ms());
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Stopwatch, sleep, threads                                                 */
/* ------------------------------------------------------------------------ */

void *zmq_stopwatch_start(void)
{
    uint64_t *start = malloc(sizeof *start);
    if (start == NULL)
        return fail_null(-ENOMEM);
    *start = zmq__clock_now_us();
    return start;
}

unsigned long zmq_stopwatch_intermediate(void *watch_)
{
    if (watch_ == NULL)
        return 0;
    return (unsigned long)(zmq__clock_now_us() - *(uint64_t *)watch_);
}

unsigned long zmq_stopwatch_stop(void *watch_)
{
    unsigned long elapsed = zmq_stopwatch_intermediate(watch_);
    free(watch_);
    return elapsed;
}

void zmq_sleep(int seconds_)
{
    if (seconds_ > 0)
        zmq__clock_sleep_ms((uint64_t)seconds_ * 1000u);
}

void *zmq_threadstart(zmq_thread_fn *func_, void *arg_)
{
    if (func_ == NULL)
        return fail_null(-EINVAL);
    int err = 0;
    struct zmq__thread *t = zmq__thread_start(func_, arg_, NULL, &err);
    return t != NULL ? (void *)t : fail_null(err);
}

void zmq_threadclose(void *thread_)
{
    if (thread_ != NULL)
        zmq__thread_join(thread_);
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                  */
/* ------------------------------------------------------------------------ */

static struct zmq__ctx *ctx_of(void *context_)
{
    struct zmq__ctx *ctx = context_;
    return zmq__ctx_check(ctx) ? ctx : NULL;
}

void *zmq_ctx_new(void)
{
    int err = 0;
    struct zmq__ctx *ctx = zmq__ctx_new(&err);
    return ctx != NULL ? (void *)ctx : fail_null(err);
}

int zmq_ctx_term(void *context_)
{
    struct zmq__ctx *ctx = ctx_of(context_);
    if (ctx == NULL)
        return fail(-EFAULT);
    return result(zmq__ctx_term(ctx));
}

int zmq_ctx_shutdown(void *context_)
{
    struct zmq__ctx *ctx = ctx_of(context_);
    if (ctx == NULL)
        return fail(-EFAULT);
    return result(zmq__ctx_shutdown(ctx));
}

int zmq_ctx_set(void *context_, int option_, int optval_)
{
    struct zmq__ctx *ctx = ctx_of(context_);
    if (ctx == NULL)
        return fail(-EFAULT);
    return result(zmq__ctx_set(ctx, option_, optval_));
}

int zmq_ctx_get(void *context_, int option_)
{
    struct zmq__ctx *ctx = ctx_of(context_);
    if (ctx == NULL)
        return fail(-EFAULT);
    int value;
    int rc = zmq__ctx_get(ctx, option_, &value);
    return rc < 0 ? fail(rc) : value;
}

int zmq_ctx_set_ext(void *context_, int option_, const void *optval_,
                    size_t optvallen_)
{
    struct zmq__ctx *ctx = ctx_of(context_);
    if (ctx == NULL)
        return fail(-EFAULT);
    if (optval_ == NULL && optvallen_ > 0)
        return fail(-EINVAL);
    return result(zmq__ctx_set_ext(ctx, option_, optval_, optvallen_));
}

int zmq_ctx_get_ext(void *context_, int option_, void *optval_,
                    size_t *optvallen_)
{
    struct zmq__ctx *ctx = ctx_of(context_);
    if (ctx == NULL)
        return fail(-EFAULT);
    if (optval_ == NULL || optvallen_ == NULL)
        return fail(-EINVAL);
    return result(zmq__ctx_get_ext(ctx, option_, optval_, optvallen_));
}

void *zmq_init(int io_threads_)
{
    if (io_threads_ < 0)
        return fail_null(-EINVAL);
    void *ctx = zmq_ctx_new();
    if (ctx != NULL && zmq_ctx_set(ctx, ZMQ_IO_THREADS, io_threads_) < 0) {
        int err = errno;
        zmq_ctx_term(ctx);
        return fail_null(-err);
    }
    return ctx;
}

int zmq_term(void *context_)
{
    return zmq_ctx_term(context_);
}

int zmq_ctx_destroy(void *context_)
{
    return zmq_ctx_term(context_);
}

/* ------------------------------------------------------------------------ */
/* Sockets                                                                   */
/* ------------------------------------------------------------------------ */

static struct zmq__socket *socket_of(void *s_)
{
    struct zmq__socket *s = s_;
    return zmq__socket_check(s) ? s : NULL;
}

/* The first check of every socket function. */
#define CHECK_SOCKET(s)                                                        \
    do {                                                                       \
        if (socket_of(s) == NULL)                                              \
            return fail(-ENOTSOCK);                                            \
    } while (0)

void *zmq_socket(void *context_, int type_)
{
    struct zmq__ctx *ctx = ctx_of(context_);
    if (ctx == NULL)
        return fail_null(-EFAULT);
    int err = 0;
    struct zmq__socket *s = zmq__ctx_create_socket(ctx, type_, &err);
    return s != NULL ? (void *)s : fail_null(err);
}

int zmq_close(void *s_)
{
    CHECK_SOCKET(s_);
    return result(zmq__socket_close(s_));
}

int zmq_setsockopt(void *s_, int option_, const void *optval_,
                   size_t optvallen_)
{
    CHECK_SOCKET(s_);
    if (optval_ == NULL && optvallen_ > 0)
        return fail(-EINVAL);
    return result(zmq__socket_setsockopt(s_, option_, optval_, optvallen_));
}

int zmq_getsockopt(void *s_, int option_, void *optval_, size_t *optvallen_)
{
    CHECK_SOCKET(s_);
    if (optval_ == NULL || optvallen_ == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_getsockopt(s_, option_, optval_, optvallen_));
}

int zmq_bind(void *s_, const char *addr_)
{
    CHECK_SOCKET(s_);
    if (addr_ == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_bind(s_, addr_));
}

int zmq_connect(void *s_, const char *addr_)
{
    CHECK_SOCKET(s_);
    if (addr_ == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_connect(s_, addr_));
}

int zmq_unbind(void *s_, const char *addr_)
{
    CHECK_SOCKET(s_);
    if (addr_ == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_unbind(s_, addr_));
}

int zmq_disconnect(void *s_, const char *addr_)
{
    CHECK_SOCKET(s_);
    if (addr_ == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_disconnect(s_, addr_));
}

uint32_t zmq_connect_peer(void *s_, const char *addr_)
{
    struct zmq__socket *s = socket_of(s_);
    int64_t rc;
    if (s == NULL)
        rc = -ENOTSOCK;
    else if (addr_ == NULL)
        rc = -EINVAL;
    else
        rc = zmq__socket_connect_peer(s, addr_);
    if (rc < 0) {
        errno = (int)-rc;
        return 0;
    }
    return (uint32_t)rc;
}

int zmq_disconnect_peer(void *s_, uint32_t routing_id_)
{
    CHECK_SOCKET(s_);
    return result(zmq__socket_disconnect_peer(s_, routing_id_));
}

int zmq_msg_send(zmq_msg_t *msg_, void *s_, int flags_)
{
    CHECK_SOCKET(s_);
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL)
        return fail(-EFAULT);
    return result(zmq__socket_send(s_, m, flags_));
}

int zmq_msg_recv(zmq_msg_t *msg_, void *s_, int flags_)
{
    CHECK_SOCKET(s_);
    struct zmq__msg *m = valid_msg(msg_);
    if (m == NULL)
        return fail(-EFAULT);
    return result(zmq__socket_recv(s_, m, flags_));
}

int zmq_sendmsg(void *s_, zmq_msg_t *msg_, int flags_)
{
    return zmq_msg_send(msg_, s_, flags_);
}

int zmq_recvmsg(void *s_, zmq_msg_t *msg_, int flags_)
{
    return zmq_msg_recv(msg_, s_, flags_);
}

/* Sends a message built by init (the socket takes it on success). */
static int send_built(void *s_, struct zmq__msg *m, int flags_)
{
    int rc = zmq__socket_send(s_, m, flags_);
    if (rc < 0)
        zmq__msg_close(m);
    return result(rc);
}

int zmq_send(void *s_, const void *buf_, size_t len_, int flags_)
{
    CHECK_SOCKET(s_);
    if (buf_ == NULL && len_ > 0)
        return fail(-EFAULT);
    struct zmq__msg m;
    int rc = zmq__msg_init_buffer(&m, buf_, len_);
    if (rc < 0)
        return fail(rc);
    return send_built(s_, &m, flags_);
}

int zmq_send_const(void *s_, const void *buf_, size_t len_, int flags_)
{
    CHECK_SOCKET(s_);
    if (buf_ == NULL && len_ > 0)
        return fail(-EFAULT);
    struct zmq__msg m;
    int rc = zmq__msg_init_data(&m, (void *)buf_, len_, NULL, NULL);
    if (rc < 0)
        return fail(rc);
    return send_built(s_, &m, flags_);
}

int zmq_recv(void *s_, void *buf_, size_t len_, int flags_)
{
    CHECK_SOCKET(s_);
    if (buf_ == NULL && len_ > 0)
        return fail(-EFAULT);
    struct zmq__msg m;
    zmq__msg_init(&m);
    int rc = zmq__socket_recv(s_, &m, flags_);
    if (rc >= 0) {
        size_t size = zmq__msg_size(&m);
        if (len_ > 0)
            memcpy(buf_, zmq__msg_data(&m), size < len_ ? size : len_);
    }
    zmq__msg_close(&m);
    return result(rc);
}

/* Sends each buffer as one part, with the caller's flags; the last part
 * never carries ZMQ_SNDMORE.  Returns the last part's size. */
int zmq_sendiov(void *s_, struct iovec *iov_, size_t count_, int flags_)
{
    CHECK_SOCKET(s_);
    if (iov_ == NULL || count_ == 0)
        return fail(-EINVAL);
    int rc = 0;
    for (size_t i = 0; i < count_; i++) {
        if (i == count_ - 1)
            flags_ &= ~ZMQ_SNDMORE;
        rc = zmq_send(s_, iov_[i].iov_base, iov_[i].iov_len, flags_);
        if (rc < 0)
            return -1;
    }
    return rc;
}

/* Receives up to *count_ parts of one message into buffers it
 * allocates with malloc (the caller frees them).  *count_ becomes the
 * number of parts received, which is also returned. */
int zmq_recviov(void *s_, struct iovec *iov_, size_t *count_, int flags_)
{
    CHECK_SOCKET(s_);
    if (count_ == NULL || *count_ == 0 || iov_ == NULL)
        return fail(-EINVAL);
    size_t max = *count_;
    *count_ = 0;
    bool more = true;
    while (more && *count_ < max) {
        struct zmq__msg m;
        zmq__msg_init(&m);
        int rc = zmq__socket_recv(s_, &m, flags_);
        if (rc < 0) {
            zmq__msg_close(&m);
            return fail(rc);
        }
        size_t size = zmq__msg_size(&m);
        void *buf = malloc(size > 0 ? size : 1);
        if (buf == NULL) {
            zmq__msg_close(&m);
            return fail(-ENOMEM);
        }
        memcpy(buf, zmq__msg_data(&m), size);
        more = zmq__msg_more(&m);
        zmq__msg_close(&m);
        iov_[*count_].iov_base = buf;
        iov_[*count_].iov_len = size;
        (*count_)++;
    }
    return (int)*count_;
}

int zmq_join(void *s_, const char *group_)
{
    CHECK_SOCKET(s_);
    if (group_ == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_join(s_, group_));
}

int zmq_leave(void *s_, const char *group_)
{
    CHECK_SOCKET(s_);
    if (group_ == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_leave(s_, group_));
}

int zmq_socket_monitor(void *s_, const char *addr_, int events_)
{
    return zmq_socket_monitor_versioned(s_, addr_, (uint64_t)(unsigned)events_,
                                        1, ZMQ_PAIR);
}

int zmq_socket_monitor_versioned(void *s_, const char *addr_, uint64_t events_,
                                 int event_version_, int type_)
{
    CHECK_SOCKET(s_);
    return result(
        zmq__socket_monitor(s_, addr_, events_, event_version_, type_));
}

int zmq_socket_monitor_pipes_stats(void *s_)
{
    CHECK_SOCKET(s_);
    return result(zmq__socket_monitor_pipes_stats(s_));
}

int zmq_socket_get_peer_state(void *socket, const void *routing_id,
                              size_t routing_id_size)
{
    CHECK_SOCKET(socket);
    if (routing_id == NULL && routing_id_size > 0)
        return fail(-EINVAL);
    return result(zmq__socket_peer_state(socket, routing_id, routing_id_size));
}

int zmq_poll(zmq_pollitem_t *items_, int nitems_, long timeout_)
{
    if (nitems_ < 0)
        return fail(-EINVAL);
    if (items_ == NULL && nitems_ > 0)
        return fail(-EFAULT);
    return result(zmq__poll(items_, nitems_, timeout_, NULL));
}

int zmq_ppoll(zmq_pollitem_t *items_, int nitems_, long timeout_,
              const sigset_t *sigmask_)
{
    if (nitems_ < 0)
        return fail(-EINVAL);
    if (items_ == NULL && nitems_ > 0)
        return fail(-EFAULT);
    return result(zmq__poll(items_, nitems_, timeout_, sigmask_));
}

int zmq_proxy(void *frontend_, void *backend_, void *capture_)
{
    return zmq_proxy_steerable(frontend_, backend_, capture_, NULL);
}

int zmq_proxy_steerable(void *frontend_, void *backend_, void *capture_,
                        void *control_)
{
    if (frontend_ == NULL || backend_ == NULL)
        return fail(-EFAULT);
    if (socket_of(frontend_) == NULL || socket_of(backend_) == NULL ||
        (capture_ != NULL && socket_of(capture_) == NULL) ||
        (control_ != NULL && socket_of(control_) == NULL))
        return fail(-ENOTSOCK);
    return result(zmq__proxy(frontend_, backend_, capture_, control_));
}

int zmq_device(int type_, void *frontend_, void *backend_)
{
    (void)type_; /* every device type is a plain proxy, as in libzmq */
    return zmq_proxy(frontend_, backend_, NULL);
}

/* ------------------------------------------------------------------------ */
/* The poller                                                                */
/* ------------------------------------------------------------------------ */

static struct zmq__socket_poller *poller_of(void *poller)
{
    return zmq__socket_poller_check(poller) ? poller : NULL;
}

#define CHECK_POLLER(p)                                                        \
    do {                                                                       \
        if (poller_of(p) == NULL)                                              \
            return fail(-EFAULT);                                              \
    } while (0)

void *zmq_poller_new(void)
{
    void *p = zmq__socket_poller_new();
    return p != NULL ? p : fail_null(-ENOMEM);
}

int zmq_poller_destroy(void **poller_p)
{
    if (poller_p == NULL)
        return fail(-EFAULT);
    CHECK_POLLER(*poller_p);
    zmq__socket_poller_free(*poller_p);
    *poller_p = NULL;
    return 0;
}

int zmq_poller_size(void *poller)
{
    CHECK_POLLER(poller);
    return zmq__socket_poller_size(poller);
}

int zmq_poller_add(void *poller, void *socket, void *user_data, short events)
{
    CHECK_POLLER(poller);
    if (socket_of(socket) == NULL)
        return fail(-ENOTSOCK);
    return result(
        zmq__socket_poller_add(poller, socket, -1, user_data, events));
}

int zmq_poller_modify(void *poller, void *socket, short events)
{
    CHECK_POLLER(poller);
    if (socket_of(socket) == NULL)
        return fail(-ENOTSOCK);
    return result(zmq__socket_poller_modify(poller, socket, -1, events));
}

int zmq_poller_remove(void *poller, void *socket)
{
    CHECK_POLLER(poller);
    if (socket == NULL)
        return fail(-ENOTSOCK);
    return result(zmq__socket_poller_remove(poller, socket, -1));
}

int zmq_poller_wait(void *poller, zmq_poller_event_t *event, long timeout)
{
    CHECK_POLLER(poller);
    if (event == NULL)
        return fail(-EFAULT);
    int rc = zmq__socket_poller_wait(poller, event, 1, timeout);
    return rc < 0 ? fail(rc) : 0;
}

int zmq_poller_wait_all(void *poller, zmq_poller_event_t *events, int n_events,
                        long timeout)
{
    CHECK_POLLER(poller);
    if (events == NULL || n_events < 0)
        return fail(-EINVAL);
    return result(zmq__socket_poller_wait(poller, events, n_events, timeout));
}

int zmq_poller_fd(void *poller, zmq_fd_t *fd)
{
    CHECK_POLLER(poller);
    if (fd == NULL)
        return fail(-EINVAL);
    return result(zmq__socket_poller_fd(poller, fd));
}

int zmq_poller_add_fd(void *poller, zmq_fd_t fd, void *user_data, short events)
{
    CHECK_POLLER(poller);
    if (fd < 0)
        return fail(-EBADF);
    return result(zmq__socket_poller_add(poller, NULL, fd, user_data, events));
}

int zmq_poller_modify_fd(void *poller, zmq_fd_t fd, short events)
{
    CHECK_POLLER(poller);
    if (fd < 0)
        return fail(-EBADF);
    return result(zmq__socket_poller_modify(poller, NULL, fd, events));
}

int zmq_poller_remove_fd(void *poller, zmq_fd_t fd)
{
    CHECK_POLLER(poller);
    if (fd < 0)
        return fail(-EBADF);
    return result(zmq__socket_poller_remove(poller, NULL, fd));
}
