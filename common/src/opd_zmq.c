/*  opd_zmq: see opd_zmq.h. */
#include "opd_zmq.h"
#include "opd_log.h"
#include <string.h>

int
opd_zmq_try_bind (zsock_t *sock, const char *endpoint)
{
    if (zsock_bind (sock, "%s", endpoint) >= 0)
        return 0;
    int err = zmq_errno ();
    const char *colon = strrchr (endpoint, ':');
    if (err == ENODEV && !strncmp (endpoint, "tcp://", 6) && colon && colon > endpoint + 6) {
        char any[64];
        snprintf (any, sizeof any, "tcp://*:%s", colon + 1);
        if (zsock_bind (sock, "%s", any) >= 0) {
            opd_info ("bound on every interface endpoint=%s reason=host-name", any);
            return 0;
        }
        err = zmq_errno ();
    }
    errno = err;
    return -1;
}

int
opd_zmq_bind (zsock_t *sock, const char *endpoint, const char *what)
{
    if (opd_zmq_try_bind (sock, endpoint) == 0)
        return 0;
    opd_error ("cannot bind socket=%s endpoint=%s error=\"%s\"", what, endpoint, zmq_strerror (errno));
    return -1;
}
