/*  opd_intake_client: see opd_intake_client.h. Plain libzmq, no czmq, so
    that a short-lived program (opdesk-mailgate) loads as little as it can. */
#include "opd_intake_client.h"
#include "opd_log.h"
#include "opd_util.h"
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct _opd_intake_client_t {
    char *endpoint;
    opd_curve_t curve;  //  a copy; curve.enabled false: plaintext
    int timeout_ms;
    void *sock;      //  DEALER, NULL until first use and after a reset
    size_t pending;  //  requests sent and not yet answered
};

//  --- The shared context ---------------------------------------------------
//  One ZeroMQ context (and its I/O thread) for every client in the process.

static pthread_mutex_t s_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static void *s_ctx;
static int s_ctx_users;

static void *
s_ctx_take (void)
{
    pthread_mutex_lock (&s_ctx_lock);
    if (!s_ctx)
        s_ctx = zmq_ctx_new ();
    if (s_ctx)
        s_ctx_users++;
    void *ctx = s_ctx;
    pthread_mutex_unlock (&s_ctx_lock);
    return ctx;
}

static void
s_ctx_give (void)
{
    pthread_mutex_lock (&s_ctx_lock);
    void *end = NULL;
    if (s_ctx && --s_ctx_users == 0) {
        end = s_ctx;
        s_ctx = NULL;
    }
    pthread_mutex_unlock (&s_ctx_lock);
    if (end)
        zmq_ctx_term (end);  //  every socket is closed with linger 0: no wait
}

//  --- The socket -------------------------------------------------------------

static void
s_reset (opd_intake_client_t *self)
{
    if (self->sock)
        zmq_close (self->sock);
    self->sock = NULL;
    self->pending = 0;
}

//  The socket, connected; NULL when it cannot be made (logged).
static void *
s_sock (opd_intake_client_t *self)
{
    if (self->sock)
        return self->sock;
    void *sock = zmq_socket (s_ctx, ZMQ_DEALER);
    if (!sock) {
        opd_error ("cannot make an intake socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    int zero = 0, one = 1;
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    //  Requests wait in the socket only for a peer that is connected.
    zmq_setsockopt (sock, ZMQ_IMMEDIATE, &one, sizeof one);
    if (opd_curve_client (sock, &self->curve)) {
        zmq_close (sock);
        return NULL;
    }
    if (zmq_connect (sock, self->endpoint)) {
        opd_error ("cannot connect to intake endpoint=%s: %s", self->endpoint, zmq_strerror (zmq_errno ()));
        zmq_close (sock);
        return NULL;
    }
    self->sock = sock;
    return sock;
}

opd_intake_client_t *
opd_intake_client_new (const char *endpoint, const opd_curve_t *curve, int timeout_ms)
{
    assert (endpoint);
    if (!s_ctx_take ()) {
        opd_error ("cannot make a ZeroMQ context: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    opd_intake_client_t *self = opd_calloc (1, sizeof *self);
    self->endpoint = opd_strdup (endpoint);
    if (curve)
        self->curve = *curve;
    self->timeout_ms = timeout_ms;
    //  Connect now, so that a bad endpoint is known at once and the TCP
    //  handshake overlaps whatever the caller does before its first request.
    if (!s_sock (self)) {
        opd_intake_client_destroy (&self);
        return NULL;
    }
    return self;
}

void
opd_intake_client_destroy (opd_intake_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    opd_intake_client_t *self = *self_p;
    s_reset (self);
    free (self->endpoint);
    opd_curve_wipe (&self->curve);
    free (self);
    *self_p = NULL;
    s_ctx_give ();
}

const char *
opd_intake_client_endpoint (const opd_intake_client_t *self)
{
    return self->endpoint;
}

const opd_curve_t *
opd_intake_client_curve (const opd_intake_client_t *self)
{
    return &self->curve;
}

int
opd_intake_client_timeout (const opd_intake_client_t *self)
{
    return self->timeout_ms;
}

void
opd_intake_client_set_timeout (opd_intake_client_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms;
}

size_t
opd_intake_client_pending (const opd_intake_client_t *self)
{
    return self->pending;
}

int
opd_intake_client_send (opd_intake_client_t *self, const char *frame, size_t len)
{
    void *sock = s_sock (self);
    if (!sock)
        return -1;
    //  With ZMQ_IMMEDIATE a DEALER cannot send before intake is connected:
    //  wait for that up to the timeout.
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLOUT, 0};
    if (zmq_poll (&item, 1, self->timeout_ms) <= 0 || zmq_send (sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        || zmq_send (sock, frame, len, ZMQ_DONTWAIT) < 0) {
        s_reset (self);
        return -1;
    }
    self->pending++;
    return 0;
}

int
opd_intake_client_recv (opd_intake_client_t *self, opd_intake_reply_t *reply)
{
    assert (self->pending > 0 && self->sock);
    memset (reply, 0, sizeof *reply);
    zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, self->timeout_ms) <= 0) {
        s_reset (self);
        return -1;
    }
    //  [empty delimiter][reply]; anything else is not from intake.
    zmq_msg_t part;
    zmq_msg_init (&part);
    int rc = zmq_msg_recv (&part, self->sock, ZMQ_DONTWAIT);
    bool delimited = rc == 0 && zmq_msg_more (&part);
    if (rc >= 0 && delimited) {
        zmq_msg_close (&part);
        zmq_msg_init (&part);
        rc = zmq_msg_recv (&part, self->sock, 0);
    }
    if (rc < 0) {
        zmq_msg_close (&part);
        s_reset (self);
        return -1;
    }
    int decoded = delimited ? opd_intake_reply_decode (zmq_msg_data (&part), zmq_msg_size (&part), reply) : -1;
    //  Whatever follows in the same message is not ours either.
    while (zmq_msg_more (&part)) {
        zmq_msg_close (&part);
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, self->sock, 0) < 0)
            break;
        decoded = -1;
    }
    zmq_msg_close (&part);
    self->pending--;
    return decoded ? -2 : 0;
}

int
opd_intake_client_submit (opd_intake_client_t *self, const char *frame, size_t len, opd_intake_reply_t *reply)
{
    assert (self->pending == 0);
    memset (reply, 0, sizeof *reply);
    if (opd_intake_client_send (self, frame, len))
        return -1;
    return opd_intake_client_recv (self, reply);
}
