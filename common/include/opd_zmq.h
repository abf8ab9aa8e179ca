/*  opd_zmq: ZeroMQ helpers shared by the programs that bind sockets. */
#ifndef OPD_ZMQ_H_INCLUDED
#define OPD_ZMQ_H_INCLUDED
#include <czmq.h>

//  Binds sock to endpoint. libzmq binds only to an address or an interface
//  name; when endpoint is tcp://HOST:PORT with a host name (as in a
//  docker-compose configuration, where the other services connect to
//  tcp://intake:5550), the socket is bound to every interface on PORT
//  instead. Returns 0, or -1 with the reason logged.
int opd_zmq_bind (zsock_t *sock, const char *endpoint, const char *what);
//  The same without the error line, for a caller that retries and logs once:
//  0, or -1 with errno set (EADDRINUSE, ...).
int opd_zmq_try_bind (zsock_t *sock, const char *endpoint);
#endif
