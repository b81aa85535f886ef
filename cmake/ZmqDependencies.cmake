# Finds the libraries the options ask for.  A missing one stops configure
# with the name of the Debian package that provides it.
#
# Sets:
#   ZMQ_DEP_TARGETS     imported targets to link while building
#   ZMQ_DEP_LINK_FLAGS  the same as plain -l flags, for installed consumers
#   ZMQ_PC_REQUIRES     pkg-config module names for Requires.private
#   ZMQ_HAVE_LIBSODIUM, ZMQ_HAVE_GNUTLS, ZMQ_HAVE_LIBBSD (0/1, platform.h)

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(PkgConfig)

set(ZMQ_DEP_TARGETS "")
set(ZMQ_DEP_LINK_FLAGS "")
set(ZMQ_PC_REQUIRES "")

# zmq_require_dep(<option> <pkg-config module> <min version or ""> <Debian package> <var>)
function(zmq_require_dep option module minver debpkg var)
    set(${var} 0 PARENT_SCOPE)
    if(NOT ${option})
        return()
    endif()
    if(NOT PKG_CONFIG_FOUND)
        message(FATAL_ERROR "${option} is ON but pkg-config is missing: "
            "apt-get install pkg-config ${debpkg} (or set -D${option}=OFF)")
    endif()
    set(spec ${module})
    if(minver)
        set(spec "${module}>=${minver}")
    endif()
    string(TOUPPER "${module}" prefix)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL "${spec}")
    if(NOT ${prefix}_FOUND)
        message(FATAL_ERROR "${option} is ON but ${spec} was not found: "
            "apt-get install ${debpkg} (or set -D${option}=OFF)")
    endif()
    set(${var} 1 PARENT_SCOPE)
    set(ZMQ_DEP_TARGETS ${ZMQ_DEP_TARGETS} PkgConfig::${prefix} PARENT_SCOPE)
    set(ZMQ_DEP_LINK_FLAGS ${ZMQ_DEP_LINK_FLAGS} ${${prefix}_LDFLAGS} PARENT_SCOPE)
    set(ZMQ_PC_REQUIRES ${ZMQ_PC_REQUIRES} ${module} PARENT_SCOPE)
endfunction()

zmq_require_dep(WITH_LIBSODIUM libsodium "" libsodium-dev ZMQ_HAVE_LIBSODIUM)
zmq_require_dep(WITH_TLS gnutls 3.6.7 libgnutls28-dev ZMQ_HAVE_GNUTLS)
zmq_require_dep(WITH_LIBBSD libbsd "" libbsd-dev ZMQ_HAVE_LIBBSD)
