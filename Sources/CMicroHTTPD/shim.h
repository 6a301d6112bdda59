#ifndef EQLSTREAM_CMICROHTTPD_SHIM_H
#define EQLSTREAM_CMICROHTTPD_SHIM_H
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Starts a daemon with its own polling thread on an already listening socket. MHD_start_daemon is variadic, which
/// Swift cannot call, so the options are passed here. Returns NULL when the daemon cannot start.
static inline struct MHD_Daemon *eqlstream_mhd_start(unsigned int flags, int listen_socket,
                                                     MHD_AccessHandlerCallback handler, void *context,
                                                     unsigned int connection_limit, unsigned int timeout_seconds) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, context,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_socket,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
                            MHD_OPTION_END);
}
#endif
