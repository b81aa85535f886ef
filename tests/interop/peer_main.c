/* SPDX-License-Identifier: MPL-2.0 */
/*
 * interop_peer <scenario> <a|b> <bind|connect> <endpoint>
 *
 * Runs one side of an interoperability scenario (scenarios.h) and exits 0
 * on success, 1 on failure.  The same source is built twice: peer_libzmq
 * against Debian's zmq.h and libzmq.so.5, peer_ours against our include/
 * and library.  INTEROP_EXPECT_VERSION, set by CMake, makes the build fail
 * if the wrong zmq.h was picked up, and the program refuses to run if the
 * library loaded at run time is not the one the header describes.
 *
 * Also: interop_peer --version (header and library versions),
 *       interop_peer --list (scenario names).
 */
#include "scenarios.h"

#include <zmq.h>

#include <stdio.h>
#include <string.h>

#ifdef INTEROP_EXPECT_VERSION
_Static_assert(ZMQ_VERSION == INTEROP_EXPECT_VERSION,
               "compiled against the wrong zmq.h");
#endif

static int usage(void)
{
    fprintf(stderr, "usage: interop_peer <scenario> <a|b> <bind|connect> "
                    "<endpoint>\n       interop_peer --version | --list\n");
    return 1;
}

int main(int argc, char **argv)
{
    const struct interop_scenario *sc;
    int major, minor, patch;

    zmq_version(&major, &minor, &patch);
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("header %d.%d.%d library %d.%d.%d\n", ZMQ_VERSION_MAJOR,
               ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH, major, minor, patch);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (sc = interop_scenarios; sc->name; sc++)
            printf("%s\n", sc->name);
        return 0;
    }
    if (argc != 5)
        return usage();
    if (ZMQ_MAKE_VERSION(major, minor, patch) != ZMQ_VERSION) {
        fprintf(stderr,
                "interop_peer: built against zmq.h %d.%d.%d but loaded "
                "libzmq %d.%d.%d\n",
                ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH, major,
                minor, patch);
        return 1;
    }
    sc = interop_find_scenario(argv[1]);
    if (!sc) {
        fprintf(stderr, "interop_peer: unknown scenario \"%s\"\n", argv[1]);
        return usage();
    }
    if (strcmp(argv[3], "bind") != 0 && strcmp(argv[3], "connect") != 0)
        return usage();
    return sc->run(argv[2], argv[4], strcmp(argv[3], "bind") == 0) == 0 ? 0 : 1;
}
