/* SPDX-License-Identifier: MPL-2.0 */
/*
 * tcp and ipc addresses.
 *
 * One parser (parse_tcp) splits a tcp address into at most two
 * host/port parts and classifies each host as `*`, IPv4 literal, IPv6
 * literal or name, with no system call.  The syntax check, the "needs a
 * lookup" test and the resolver all start from it, so they cannot
 * disagree about what an address means.
 *
 * Resolution turns each part into a sockaddr.  Literals go through
 * inet_pton (never getaddrinfo, which would accept inet_aton's odd forms
 * such as "127.1" and could block); names through getifaddrs (bind and
 * source: interface names win over host names, as the interface is what
 * zmq_tcp(7) documents) and then getaddrinfo.  The family rules are in
 * address.h; they are applied in one place (pick_family) for every kind
 * of host.
 *
 * ipc addresses are short enough to need no parser: a path, "@name" or
 * "*".  The wildcard directory is made with mkdtemp so that no other
 * user can place a socket where we are about to bind.
 */
#include "transport/address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

/* Longest host name we accept (DNS: 253 characters). */
#define HOST_MAX 253

enum host_kind { HOST_ANY, HOST_V4, HOST_V6, HOST_NAME };

/* One "host:port" part of a tcp address, pointing into the string. */
struct part {
    const char *host; /* without brackets */
    size_t hostlen;
    enum host_kind kind;
    struct in_addr v4;  /* HOST_V4 */
    struct in6_addr v6; /* HOST_V6 */
    const char *zone;   /* HOST_V6: after '%', or NULL */
    size_t zonelen;
    int port; /* 0..65535, -1 for `*` */
};

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* Host names and interface names: [A-Za-z0-9_] then [A-Za-z0-9._-]. */
static bool is_name(const char *s, size_t n)
{
    if (n == 0 || n > HOST_MAX || !(is_alnum(s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(is_alnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Parses "PORT": digits (0..65535) or, when local, `*`. */
static int parse_port(const char *s, size_t n, bool local, int *port)
{
    if (n == 1 && s[0] == '*') {
        if (!local)
            return -EINVAL;
        *port = -1;
        return 0;
    }
    if (n > 5 || !all_digits(s, n))
        return -EINVAL;
    long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    if (v > 65535)
        return -EINVAL;
    *port = (int)v;
    return 0;
}

/* Classifies the host text of p (set: host, hostlen). */
static int classify_host(struct part *p, bool bracketed, bool local)
{
    char buf[HOST_MAX + 1];
    if (p->hostlen == 0 || p->hostlen > HOST_MAX)
        return -EINVAL;
    memcpy(buf, p->host, p->hostlen);
    buf[p->hostlen] = '\0';

    if (!bracketed && p->hostlen == 1 && buf[0] == '*') {
        if (!local)
            return -EINVAL;
        p->kind = HOST_ANY;
        return 0;
    }
    if (inet_pton(AF_INET, buf, &p->v4) == 1) {
        p->kind = HOST_V4;
        return 0;
    }
    if (memchr(buf, ':', p->hostlen) != NULL) {
        /* Only an IPv6 literal may hold colons; a zone may follow '%'. */
        char *pct = strchr(buf, '%');
        p->zone = NULL;
        p->zonelen = 0;
        if (pct != NULL) {
            *pct = '\0';
            p->zone = p->host + (pct - buf) + 1;
            p->zonelen = p->hostlen - (size_t)(pct - buf) - 1;
            if (!is_name(p->zone, p->zonelen) || p->zonelen >= IF_NAMESIZE)
                return -EINVAL;
            if (all_digits(p->zone, p->zonelen)) {
                unsigned long id = strtoul(pct + 1, NULL, 10);
                if (id == 0 || id > UINT32_MAX)
                    return -EINVAL; /* zone 0 is no zone */
            }
        }
        if (inet_pton(AF_INET6, buf, &p->v6) != 1)
            return -EINVAL;
        p->kind = HOST_V6;
        return 0;
    }
    if (bracketed || !is_name(buf, p->hostlen))
        return -EINVAL; /* brackets hold literals only */
    p->kind = HOST_NAME;
    return 0;
}

/* Parses one "HOST:PORT" of n bytes. */
static int parse_part(const char *s, size_t n, bool local, struct part *p)
{
    memset(p, 0, sizeof *p);
    const char *port;
    bool bracketed = n > 0 && s[0] == '[';
    if (bracketed) {
        const char *close = memchr(s, ']', n);
        if (close == NULL || close + 1 >= s + n || close[1] != ':')
            return -EINVAL;
        p->host = s + 1;
        p->hostlen = (size_t)(close - s - 1);
        port = close + 2;
    } else {
        const char *colon = NULL;
        for (size_t i = 0; i < n; i++)
            if (s[i] == ':')
                colon = s + i;
        if (colon == NULL)
            return -EINVAL;
        p->host = s;
        p->hostlen = (size_t)(colon - s);
        port = colon + 1;
    }
    int rc = parse_port(port, (size_t)(s + n - port), local, &p->port);
    if (rc < 0)
        return rc;
    return classify_host(p, bracketed, local);
}

/* Splits a whole tcp address into its parts: parts[0] the source (only
 * when *has_source), parts[1] the host to bind or connect to. */
static int parse_tcp(const char *addr, bool bind, struct part parts[2],
                     bool *has_source)
{
    if (addr == NULL)
        return -EINVAL;
    size_t n = strlen(addr);
    const char *semi = memchr(addr, ';', n);
    *has_source = semi != NULL;
    if (semi == NULL)
        return parse_part(addr, n, bind, &parts[1]);
    if (bind)
        return -EINVAL;
    const char *dst = semi + 1;
    int rc = parse_part(addr, (size_t)(semi - addr), true, &parts[0]);
    if (rc < 0)
        return rc;
    return parse_part(dst, strlen(dst), false, &parts[1]);
}

int zmq__tcp_check(const char *addr, bool bind)
{
    struct part parts[2];
    bool has_source;
    return parse_tcp(addr, bind, parts, &has_source);
}

/* The part's host as a C string (for getaddrinfo and if_nametoindex). */
static void host_cstr(const struct part *p, char *buf)
{
    memcpy(buf, p->host, p->hostlen);
    buf[p->hostlen] = '\0';
}

/* True when a name is an interface of this host. */
static bool is_interface(const struct part *p)
{
    if (p->hostlen >= IF_NAMESIZE)
        return false;
    char name[IF_NAMESIZE];
    host_cstr(p, name);
    return if_nametoindex(name) != 0;
}

bool zmq__tcp_needs_lookup(const char *addr, bool bind)
{
    struct part parts[2];
    bool has_source;
    if (parse_tcp(addr, bind, parts, &has_source) < 0)
        return false;
    for (int i = has_source ? 0 : 1; i < 2; i++) {
        bool local = i == 0 || bind;
        if (parts[i].kind == HOST_NAME && !(local && is_interface(&parts[i])))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* Resolution                                                                */
/* ------------------------------------------------------------------------ */

static void set_v4(struct zmq__sockaddr *out, const struct in_addr *a, int port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr = *a;
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, &sin, sizeof sin);
    out->len = sizeof sin;
}

static void set_v6(struct zmq__sockaddr *out, const struct in6_addr *a,
                   uint32_t scope, int port)
{
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons((uint16_t)port);
    sin6.sin6_addr = *a;
    sin6.sin6_scope_id = scope;
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, &sin6, sizeof sin6);
    out->len = sizeof sin6;
}

/* Copies an address of a known family, with our port. */
static void set_sa(struct zmq__sockaddr *out, const struct sockaddr *sa,
                   int port)
{
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in sin;
        memcpy(&sin, sa, sizeof sin);
        set_v4(out, &sin.sin_addr, port);
    } else {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, sa, sizeof sin6);
        set_v6(out, &sin6.sin6_addr, sin6.sin6_scope_id, port);
    }
}

/* The rank of a candidate address of family fam (lower is better), or
 * -1 when it may not be used.  want: AF_UNSPEC or the one family the
 * caller needs. */
static int rank_family(int fam, bool ipv6, int want)
{
    if (want != AF_UNSPEC)
        return fam == want ? 0 : -1;
    if (fam == AF_INET6)
        return ipv6 ? 0 : -1;
    return fam == AF_INET ? 1 : -1;
}

static bool is_link_local(const struct sockaddr *sa)
{
    if (sa->sa_family != AF_INET6)
        return false;
    struct sockaddr_in6 sin6;
    memcpy(&sin6, sa, sizeof sin6);
    return IN6_IS_ADDR_LINKLOCAL(&sin6.sin6_addr);
}

/* An interface's best address (see rank_family; IPv6 global before
 * link-local).  -ENODEV when it has none we may use. */
static int resolve_interface(const char *name, int port, bool ipv6, int want,
                             struct zmq__sockaddr *out)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) < 0)
        return errno == ENOMEM ? -ENOMEM : -ENODEV;
    const struct sockaddr *best = NULL;
    int best_rank = 0;
    for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
        if (i->ifa_addr == NULL || strcmp(i->ifa_name, name) != 0)
            continue;
        int r = rank_family(i->ifa_addr->sa_family, ipv6, want);
        if (r < 0)
            continue;
        r = r * 2 + (is_link_local(i->ifa_addr) ? 1 : 0);
        if (best == NULL || r < best_rank) {
            best = i->ifa_addr;
            best_rank = r;
        }
    }
    int rc = -ENODEV;
    if (best != NULL) {
        set_sa(out, best, port);
        rc = 0;
    }
    freeifaddrs(list);
    return rc;
}

/* A host name through getaddrinfo; fail is the error for "no usable
 * address" (-ENODEV for local parts, -EHOSTUNREACH for the peer). */
static int resolve_name(const char *name, int port, bool ipv6, int want,
                        bool local, int fail, struct zmq__sockaddr *out)
{
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_family = want != AF_UNSPEC ? want : ipv6 ? AF_UNSPEC : AF_INET;
    hints.ai_flags = local ? AI_PASSIVE : 0;
    int rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc == EAI_MEMORY)
        return -ENOMEM;
    if (rc != 0)
        return fail;
    const struct addrinfo *best = NULL;
    int best_rank = 0;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int r = rank_family(ai->ai_family, ipv6, want);
        if (r >= 0 && (best == NULL || r < best_rank)) {
            best = ai;
            best_rank = r;
        }
    }
    rc = fail;
    if (best != NULL) {
        set_sa(out, best->ai_addr, port);
        rc = 0;
    }
    freeaddrinfo(res);
    return rc;
}

/* Resolves one part.  local: bind or source semantics.  want: AF_UNSPEC
 * or the family the other part imposes. */
static int resolve_part(const struct part *p, bool local, bool ipv6, int want,
                        struct zmq__sockaddr *out)
{
    int port = p->port < 0 ? 0 : p->port;
    switch (p->kind) {
    case HOST_ANY: {
        int fam = want != AF_UNSPEC ? want : ipv6 ? AF_INET6 : AF_INET;
        if (fam == AF_INET6) {
            set_v6(out, &in6addr_any, 0, port);
        } else {
            struct in_addr any = {.s_addr = htonl(INADDR_ANY)};
            set_v4(out, &any, port);
        }
        return 0;
    }
    case HOST_V4:
        if (rank_family(AF_INET, ipv6, want) < 0)
            return -EINVAL;
        set_v4(out, &p->v4, port);
        return 0;
    case HOST_V6: {
        if (rank_family(AF_INET6, ipv6, want) < 0)
            return -EINVAL;
        uint32_t scope = 0;
        if (p->zone != NULL) {
            char zone[IF_NAMESIZE];
            memcpy(zone, p->zone, p->zonelen);
            zone[p->zonelen] = '\0';
            if (all_digits(zone, p->zonelen))
                scope = (uint32_t)strtoul(zone, NULL, 10);
            else if ((scope = if_nametoindex(zone)) == 0)
                return -ENODEV;
        }
        set_v6(out, &p->v6, scope, port);
        return 0;
    }
    case HOST_NAME:
        break;
    }
    char name[HOST_MAX + 1];
    host_cstr(p, name);
    if (local && is_interface(p))
        return resolve_interface(name, port, ipv6, want, out);
    return resolve_name(name, port, ipv6, want, local,
                        local ? -ENODEV : -EHOSTUNREACH, out);
}

int zmq__tcp_resolve(const char *addr, bool bind, bool ipv6,
                     struct zmq__tcp_target *out)
{
    struct part parts[2];
    bool has_source;
    int rc = parse_tcp(addr, bind, parts, &has_source);
    if (rc < 0)
        return rc;
    struct zmq__tcp_target t;
    memset(&t, 0, sizeof t);
    t.has_source = has_source;
    if (!has_source) {
        rc = resolve_part(&parts[1], bind, ipv6, AF_UNSPEC, &t.addr);
    } else if (parts[0].kind == HOST_V4 || parts[0].kind == HOST_V6) {
        /* A literal source decides the family. */
        rc = resolve_part(&parts[0], true, ipv6, AF_UNSPEC, &t.source);
        if (rc == 0)
            rc = resolve_part(&parts[1], false, ipv6, t.source.ss.ss_family,
                              &t.addr);
    } else {
        rc = resolve_part(&parts[1], false, ipv6, AF_UNSPEC, &t.addr);
        if (rc == 0)
            rc = resolve_part(&parts[0], true, ipv6, t.addr.ss.ss_family,
                              &t.source);
    }
    if (rc == 0)
        *out = t;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Endpoint strings                                                          */
/* ------------------------------------------------------------------------ */

/* Appends n bytes of s at *pos when they fit (the NUL is added last). */
static void put(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
    if (*pos + n < size)
        memcpy(buf + *pos, s, n);
    *pos += n;
}

static void puts_(char *buf, size_t size, size_t *pos, const char *s)
{
    put(buf, size, pos, s, strlen(s));
}

static int finish(char *buf, size_t size, size_t pos)
{
    if (pos >= size) {
        if (size > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    buf[pos] = '\0';
    return (int)pos;
}

int zmq__sockaddr_to_uri(const struct sockaddr *sa, socklen_t len, char *buf,
                         size_t size)
{
    size_t pos = 0;
    char text[128];
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in sin;
        if (len < (socklen_t)sizeof sin)
            return -EINVAL;
        memcpy(&sin, sa, sizeof sin);
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof ip);
        snprintf(text, sizeof text, "tcp://%s:%u", ip,
                 (unsigned)ntohs(sin.sin_port));
        puts_(buf, size, &pos, text);
        return finish(buf, size, pos);
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;
        if (len < (socklen_t)sizeof sin6)
            return -EINVAL;
        memcpy(&sin6, sa, sizeof sin6);
        char ip[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof ip);
        char zone[IF_NAMESIZE + 2] = "";
        if (sin6.sin6_scope_id != 0) {
            char name[IF_NAMESIZE];
            if (if_indextoname(sin6.sin6_scope_id, name) != NULL)
                snprintf(zone, sizeof zone, "%%%s", name);
            else
                snprintf(zone, sizeof zone, "%%%u",
                         (unsigned)sin6.sin6_scope_id);
        }
        snprintf(text, sizeof text, "tcp://[%s%s]:%u", ip, zone,
                 (unsigned)ntohs(sin6.sin6_port));
        puts_(buf, size, &pos, text);
        return finish(buf, size, pos);
    }
    if (sa->sa_family == AF_UNIX) {
        const size_t off = offsetof(struct sockaddr_un, sun_path);
        if ((size_t)len < off || (size_t)len > sizeof(struct sockaddr_un))
            return -EINVAL;
        const char *path = (const char *)sa + off;
        size_t n = (size_t)len - off;
        puts_(buf, size, &pos, "ipc://");
        if (n > 0 && path[0] == '\0') {
            put(buf, size, &pos, "@", 1);
            put(buf, size, &pos, path + 1, n - 1);
        } else {
            put(buf, size, &pos, path, strnlen(path, n));
        }
        return finish(buf, size, pos);
    }
    return -EAFNOSUPPORT;
}

/* ------------------------------------------------------------------------ */
/* ipc                                                                       */
/* ------------------------------------------------------------------------ */

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

static void set_unix(struct zmq__sockaddr *out, const char *path, size_t n,
                     bool abstract)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, n);
    if (abstract)
        sun.sun_path[0] = '\0';
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, &sun, sizeof sun);
    /* A path's length counts its NUL; an abstract name has none. */
    out->len =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + !abstract);
}

static int ipc_wildcard(struct zmq__sockaddr *out, char *dir, size_t dirsize)
{
    static const char leaf[] = "/socket";
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    char templ[4096];
    int n = snprintf(templ, sizeof templ, "%s/tmpXXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof templ)
        return -ENAMETOOLONG;
    if (dir == NULL || (size_t)n >= dirsize)
        return -ENOSPC;
    if ((size_t)n + sizeof leaf > SUN_PATH_SIZE)
        return -ENAMETOOLONG; /* checked before anything is created */
    if (mkdtemp(templ) == NULL)
        return -errno;
    char path[SUN_PATH_SIZE];
    memcpy(path, templ, (size_t)n);
    memcpy(path + n, leaf, sizeof leaf);
    memcpy(dir, templ, (size_t)n + 1);
    set_unix(out, path, (size_t)n + sizeof leaf - 1, false);
    return 0;
}

int zmq__ipc_resolve(const char *addr, bool bind, struct zmq__sockaddr *out,
                     char *wildcard_dir, size_t dirsize)
{
    if (wildcard_dir != NULL && dirsize > 0)
        wildcard_dir[0] = '\0';
    if (addr == NULL || addr[0] == '\0')
        return -EINVAL;
    if (strcmp(addr, "*") == 0)
        return bind ? ipc_wildcard(out, wildcard_dir, dirsize) : -EINVAL;
    size_t n = strlen(addr);
    if (n >= SUN_PATH_SIZE)
        return -ENAMETOOLONG;
    bool abstract = addr[0] == '@';
    if (abstract && n == 1)
        return -EINVAL;
    set_unix(out, addr, n, abstract);
    return 0;
}

void zmq__ipc_wildcard_remove(const char *dir)
{
    if (dir == NULL || dir[0] == '\0')
        return;
    char path[4096 + 16];
    snprintf(path, sizeof path, "%s/socket", dir);
    unlink(path);
    rmdir(dir);
}
