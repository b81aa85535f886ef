#!/usr/bin/env bash
# Install a CMake build of the library into a temporary prefix and check what
# a consumer gets: headers, shared and static libraries with their links, the
# pkg-config file, and the CMake package (find_package(ZeroMQ)).
#
# Usage: check_install.sh <cmake build dir> <source dir>
#
# Prints PASS/FAIL lines and ends with "N passed, M failed"; exits non-zero
# on any failure.  Honours $CC (default cc).
set -u

if [ "$#" -ne 2 ]; then
    echo "usage: $0 <cmake build dir> <source dir>" >&2
    exit 2
fi
build_dir=$1
src_dir=$2
cc=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zmq-check-install.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT
prefix=$tmp/prefix

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check <description> <command...>
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
show_log() { sed -n '1,40p' "$1" | sed 's/^/    /'; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# --- install ---------------------------------------------------------------
if cmake --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
    pass "cmake --install $build_dir --prefix <tmp prefix>"
else
    fail "cmake --install $build_dir --prefix <tmp prefix>"
    show_log "$tmp/install.log"
    finish
fi

# --- headers ---------------------------------------------------------------
for h in zmq.h zmq_utils.h; do
    check "include/$h installed" test -f "$prefix/include/$h"
    if [ -f "$src_dir/include/$h" ] && [ -f "$prefix/include/$h" ]; then
        check "installed $h is identical to $src_dir/include/$h" \
            cmp -s "$src_dir/include/$h" "$prefix/include/$h"
    fi
done

# --- libraries -------------------------------------------------------------
libdir=
for d in lib lib/x86_64-linux-gnu lib64; do
    if [ -e "$prefix/$d/libzmq.so.5.2.5" ]; then
        libdir=$prefix/$d
        break
    fi
done
if [ -z "$libdir" ]; then
    fail "libzmq.so.5.2.5 installed under lib, lib/x86_64-linux-gnu or lib64"
    echo "    installed files:"
    (cd "$prefix" && find . -type f -o -type l) | sed 's/^/      /'
    finish
fi
pass "libzmq.so.5.2.5 installed in ${libdir#"$prefix"/}"
check "libzmq.so.5.2.5 is a regular file" test -f "$libdir/libzmq.so.5.2.5" -a ! -L "$libdir/libzmq.so.5.2.5"
real=$(readlink -f "$libdir/libzmq.so.5.2.5")
for link in libzmq.so.5 libzmq.so; do
    check "$link is a symlink" test -L "$libdir/$link"
    check "$link resolves to libzmq.so.5.2.5" \
        test "$(readlink -f "$libdir/$link" 2>/dev/null)" = "$real"
done
check "libzmq.a installed" test -f "$libdir/libzmq.a"

# --- pkg-config ------------------------------------------------------------
pcdir=$libdir/pkgconfig
pc=$pcdir/libzmq.pc
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
check "pkgconfig/libzmq.pc installed" test -f "$pc"
check "libzmq.pc says Name: libzmq" grep -Eq '^Name:[[:space:]]*libzmq[[:space:]]*$' "$pc"
check "libzmq.pc says Version: 4.3.5" grep -Eq '^Version:[[:space:]]*4\.3\.5[[:space:]]*$' "$pc"
check "pkg-config finds our libzmq.pc, not the system one" \
    test "$(pkg-config --variable=pcfiledir libzmq 2>/dev/null)" = "$pcdir"
check "pkg-config --modversion libzmq is 4.3.5" \
    test "$(pkg-config --modversion libzmq 2>/dev/null)" = "4.3.5"
pc_cflags=$(pkg-config --cflags libzmq 2>&1)
case " $pc_cflags " in
    *" -DZMQ_BUILD_DRAFT_API=1 "*) pass "pkg-config Cflags contain -DZMQ_BUILD_DRAFT_API=1" ;;
    *) fail "pkg-config Cflags contain -DZMQ_BUILD_DRAFT_API=1 (got: $pc_cflags)" ;;
esac
pc_incdir=$(pkg-config --variable=includedir libzmq 2>/dev/null)
check "pkg-config includedir is the install prefix's include (got: $pc_incdir)" \
    test "$(readlink -f "$pc_incdir" 2>/dev/null)" = "$(readlink -f "$prefix/include")"

# --- the consumer program --------------------------------------------------
cat >"$tmp/consumer.c" <<'EOF'
#include <zmq.h>
#include <stdio.h>
#include <string.h>

/* Fails to compile if the system's (Debian 4.3.4) zmq.h was picked up. */
#if !defined ZMQ_VERSION_PATCH || ZMQ_VERSION_PATCH != 5
#error "consumer compiled against a zmq.h that is not the installed 4.3.5 one"
#endif
#ifndef ZMQ_BUILD_DRAFT_API
#error "ZMQ_BUILD_DRAFT_API is not defined by the consumer build flags"
#endif

int main (void)
{
    int major, minor, patch;
    zmq_msg_t msg;

    zmq_version (&major, &minor, &patch);
    if (major != 4 || minor != 3 || patch != 5) {
        fprintf (stderr, "zmq_version: %d.%d.%d, expected 4.3.5\n", major,
                 minor, patch);
        return 1;
    }
    if (zmq_msg_init_buffer (&msg, "hello", 5) != 0) {
        fprintf (stderr, "zmq_msg_init_buffer: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    if (zmq_msg_size (&msg) != 5 || memcmp (zmq_msg_data (&msg), "hello", 5) != 0) {
        fprintf (stderr, "zmq_msg_init_buffer: wrong size or content\n");
        return 1;
    }
    if (zmq_msg_set_routing_id (&msg, 42) != 0) {
        fprintf (stderr, "zmq_msg_set_routing_id: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    if (zmq_msg_routing_id (&msg) != 42) {
        fprintf (stderr, "zmq_msg_routing_id: %u, expected 42\n",
                 (unsigned) zmq_msg_routing_id (&msg));
        return 1;
    }
    if (zmq_msg_close (&msg) != 0) {
        fprintf (stderr, "zmq_msg_close: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    printf ("consumer: libzmq %d.%d.%d, routing-id round trip ok\n", major,
            minor, patch);
    return 0;
}
EOF

run_consumer() { # run_consumer <description> <executable> [env assignments...]
    local what=$1 exe=$2
    shift 2
    if env "$@" "$exe" >"$tmp/run.log" 2>&1; then
        pass "$what"
    else
        fail "$what"
        show_log "$tmp/run.log"
    fi
}

# (a) pkg-config
if [ -f "$pc" ]; then
    # shellcheck disable=SC2046  # word splitting of the flags is intended
    if "$cc" -o "$tmp/consumer_pc" "$tmp/consumer.c" \
        $(pkg-config --cflags --libs libzmq) >"$tmp/pc_build.log" 2>&1; then
        pass "consumer builds with \$(pkg-config --cflags --libs libzmq)"
        run_consumer "pkg-config consumer runs against the installed libzmq" \
            "$tmp/consumer_pc" LD_LIBRARY_PATH="$libdir"
    else
        fail "consumer builds with \$(pkg-config --cflags --libs libzmq)"
        show_log "$tmp/pc_build.log"
    fi
else
    fail "pkg-config consumer not built: no libzmq.pc"
fi

# (b) CMake find_package(ZeroMQ)
proj=$tmp/cmake-consumer
mkdir -p "$proj"
cp "$tmp/consumer.c" "$proj/consumer.c"
cat >"$proj/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(zmq_consumer C)
find_package(ZeroMQ REQUIRED)
message(STATUS "ZeroMQ_DIR=${ZeroMQ_DIR}")
add_executable(consumer_shared consumer.c)
target_link_libraries(consumer_shared PRIVATE libzmq)
add_executable(consumer_static consumer.c)
target_link_libraries(consumer_static PRIVATE libzmq-static)
EOF
if cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" >"$tmp/cmake_cfg.log" 2>&1; then
    pass "CMake consumer configures with find_package(ZeroMQ REQUIRED)"
    zdir=$(sed -n 's/^ZeroMQ_DIR:PATH=//p' "$proj/build/CMakeCache.txt")
    case $zdir in
        "$prefix"/*) pass "find_package(ZeroMQ) used the installed package ($zdir)" ;;
        *) fail "find_package(ZeroMQ) used $zdir, not the install prefix" ;;
    esac
    for kind in shared static; do
        target=consumer_$kind
        if cmake --build "$proj/build" --target "$target" >"$tmp/build_$kind.log" 2>&1; then
            pass "CMake consumer linking libzmq$([ "$kind" = static ] && echo -static) builds"
        else
            fail "CMake consumer linking libzmq$([ "$kind" = static ] && echo -static) builds"
            show_log "$tmp/build_$kind.log"
            continue
        fi
        exe=$proj/build/$target
        needed=$(readelf -d "$exe" 2>/dev/null | grep 'NEEDED' | grep -c 'libzmq')
        if [ "$kind" = shared ]; then
            check "$target has libzmq.so.5 as DT_NEEDED" test "$needed" -ge 1
            # The build tree RPATH CMake sets must find the installed library.
            run_consumer "$target runs (library found through CMake's RPATH)" "$exe"
        else
            check "$target does not depend on a shared libzmq" test "$needed" -eq 0
            run_consumer "$target runs" "$exe"
        fi
    done
else
    fail "CMake consumer configures with find_package(ZeroMQ REQUIRED)"
    show_log "$tmp/cmake_cfg.log"
fi

finish
