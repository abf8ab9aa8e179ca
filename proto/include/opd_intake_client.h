/*  opd_intake_client: the one client of intake (CONTRACT.md section 3) that
    every channel adapter, the command-line tool and the benchmark share.

    It holds one DEALER socket connected to the intake endpoint and talks
    the REQ protocol by hand (an empty delimiter frame, then the body), so
    that a request that got no answer in time does not leave the socket
    stuck the way a REQ socket is: the socket is closed and made anew, and
    the next call works. Intake answers each peer in the order it asked,
    which also lets one client keep several requests in flight
    (opd_intake_client_send / opd_intake_client_recv).

    Threads: a client belongs to one thread at a time (a ZeroMQ socket is not
    thread-safe). A multi-threaded server keeps one client per worker thread
    or lends clients from a small pool under a lock. Clients share one
    process-wide ZeroMQ context, made by the first client and ended by the
    last one destroyed.

    CURVE: given the deployment's keys (opd_config_t.curve) with curve
    enabled, the socket is a CURVE client of intake; an intake that refuses
    the key never answers, which the caller sees as a timeout.

    Ownership: endpoint and curve are copied; frames are borrowed for the
    call. */
#ifndef OPD_INTAKE_CLIENT_H_INCLUDED
#define OPD_INTAKE_CLIENT_H_INCLUDED
#include "opd_curve.h"
#include "opd_intake.h"
#include <stddef.h>

typedef struct _opd_intake_client_t opd_intake_client_t;

//  A client of the intake at endpoint ("tcp://127.0.0.1:5550"), with CURVE
//  when curve is enabled (NULL: plaintext); timeout_ms bounds each wait for
//  intake (sending and answering). Connecting never fails here (ZeroMQ
//  reconnects by itself); returns NULL only when the endpoint is not one
//  ZeroMQ accepts or the keys are refused by libzmq (logged).
opd_intake_client_t *opd_intake_client_new (const char *endpoint, const opd_curve_t *curve, int timeout_ms);
//  Safe to call twice; nulls *self_p. Requests still in flight are dropped.
void opd_intake_client_destroy (opd_intake_client_t **self_p);

const char *opd_intake_client_endpoint (const opd_intake_client_t *self);
//  The keys the client was made with (curve.enabled false: plaintext).
const opd_curve_t *opd_intake_client_curve (const opd_intake_client_t *self);
int opd_intake_client_timeout (const opd_intake_client_t *self);
void opd_intake_client_set_timeout (opd_intake_client_t *self, int timeout_ms);

//  One round trip: sends frame (an intake.submit) and waits for its reply.
//  Returns 0 with *reply filled in (accepted or rejected), -1 when intake
//  did not answer in time (the socket is made anew), -2 when the answer was
//  not an intake reply. Any requests in flight must be received first.
int opd_intake_client_submit (opd_intake_client_t *self, const char *frame, size_t len,
                              opd_intake_reply_t *reply);

//  --- Several requests in flight ----------------------------------------
//  Sends one request without waiting for its answer. Returns 0, or -1 when
//  it could not be sent within the timeout (the socket is made anew and
//  every request in flight is lost: the caller treats them as unanswered).
int opd_intake_client_send (opd_intake_client_t *self, const char *frame, size_t len);
//  Receives the answer to the oldest request in flight, waiting up to the
//  timeout. Returns 0 with *reply filled in, -1 when none came in time (the
//  socket is made anew and every request in flight is lost), -2 when the
//  answer was not an intake reply (that request is done). Asserts that a
//  request is in flight.
int opd_intake_client_recv (opd_intake_client_t *self, opd_intake_reply_t *reply);
//  Requests sent and not yet answered.
size_t opd_intake_client_pending (const opd_intake_client_t *self);
#endif
