# ZMQ_SANITIZER=address|undefined|thread, or a comma list such as
# "address,undefined".  The flags go on every target, libraries and tests.
if(ZMQ_SANITIZER)
    string(REPLACE "," ";" _zmq_sans "${ZMQ_SANITIZER}")
    foreach(_san IN LISTS _zmq_sans)
        if(NOT _san MATCHES "^(address|undefined|thread)$")
            message(FATAL_ERROR "ZMQ_SANITIZER: unknown sanitizer '${_san}'")
        endif()
    endforeach()
    if("thread" IN_LIST _zmq_sans AND "address" IN_LIST _zmq_sans)
        message(FATAL_ERROR "ZMQ_SANITIZER: thread and address cannot be combined")
    endif()
    string(REPLACE ";" "," _zmq_san_flag "${_zmq_sans}")
    add_compile_options(-fsanitize=${_zmq_san_flag} -fno-omit-frame-pointer
        -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_zmq_san_flag})
endif()
