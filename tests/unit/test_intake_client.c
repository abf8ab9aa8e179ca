/*  opd_intake_client against a stub intake (a ROUTER socket in a thread of
    this process, with a context of its own): a round trip, a rejection with
    its key, a timeout after which the next call works and never sees the
    late answer, several requests in flight answered in order, and an answer
    that is not an intake reply; and CURVE: the client that holds the
    server's key gets through, one with a wrong server key or none does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "opd_intake.h"
#include "opd_intake_client.h"
#include "opd_util.h"
#include <msgpack.h>
#include <pthread.h>
#include <string.h>
#include <zmq.h>

//  What the stub does with each request, in order.
typedef enum { ACCEPT, REJECT, LATE, GARBAGE } action_t;

typedef struct {
    void *ctx, *router;
    char endpoint[64];
    const action_t *script;
    int nscript;
    int seen;  //  requests received
    pthread_t thread;
} stub_t;

//  Answers [identity][""][body] with body; the ticket id names the request's
//  number, so the test can tell which request an answer belongs to.
static void
s_answer (stub_t *self, zmq_msg_t *id, action_t what, int n)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (what == GARBAGE)
        msgpack_sbuffer_write (&buf, "not msgpack", 11);
    else if (what == REJECT) {
        opd_reject_t rej = {OPD_REJ_INVALID, "requester.email", "requester.email is not an address"};
        opd_pack_rejected (&buf, &rej);
    }
    else {
        char ticket[32];
        snprintf (ticket, sizeof ticket, "OPD-%d", n);
        opd_pack_accepted (&buf, ticket, true);
    }
    zmq_msg_send (id, self->router, ZMQ_SNDMORE);
    zmq_send (self->router, "", 0, ZMQ_SNDMORE);
    zmq_send (self->router, buf.data, buf.size, 0);
    msgpack_sbuffer_destroy (&buf);
}

static void *
s_stub_run (void *arg)
{
    stub_t *self = arg;
    zmq_msg_t late_id;
    int late_n = 0;
    bool late = false;
    while (self->seen < self->nscript) {
        zmq_msg_t id, part;
        zmq_msg_init (&id);
        if (zmq_msg_recv (&id, self->router, 0) < 0)
            break;
        //  The rest: delimiter and body.
        zmq_msg_init (&part);
        while (zmq_msg_recv (&part, self->router, 0) >= 0 && zmq_msg_more (&part))
            ;
        zmq_msg_close (&part);
        int n = ++self->seen;
        action_t what = self->script[n - 1];
        if (what == LATE) {
            //  Kept, and answered only after the next request came.
            zmq_msg_init (&late_id);
            zmq_msg_copy (&late_id, &id);
            late_n = n;
            late = true;
        }
        else {
            if (late) {
                s_answer (self, &late_id, ACCEPT, late_n);
                zmq_msg_close (&late_id);
                late = false;
            }
            s_answer (self, &id, what, n);
        }
        zmq_msg_close (&id);
    }
    if (late)
        zmq_msg_close (&late_id);
    return NULL;
}

//  A stub answering script; a CURVE server with server_secret (Z85) unless
//  it is NULL. (Without a ZAP handler a CURVE server takes any client key:
//  this checks the client's side of CURVE, not the allow-list.)
static void
s_stub_start_with (stub_t *self, const action_t *script, int n, const char *server_secret)
{
    memset (self, 0, sizeof *self);
    self->ctx = zmq_ctx_new ();
    self->router = zmq_socket (self->ctx, ZMQ_ROUTER);
    int zero = 0, one = 1;
    zmq_setsockopt (self->router, ZMQ_LINGER, &zero, sizeof zero);
    if (server_secret) {
        assert_int_equal (zmq_setsockopt (self->router, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
        assert_int_equal (zmq_setsockopt (self->router, ZMQ_CURVE_SECRETKEY, server_secret, 40), 0);
    }
    assert_int_equal (zmq_bind (self->router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof self->endpoint;
    zmq_getsockopt (self->router, ZMQ_LAST_ENDPOINT, self->endpoint, &len);
    self->script = script;
    self->nscript = n;
    pthread_create (&self->thread, NULL, s_stub_run, self);
}

static void
s_stub_start (stub_t *self, const action_t *script, int n)
{
    s_stub_start_with (self, script, n, NULL);
}

static void
s_stub_stop (stub_t *self)
{
    pthread_join (self->thread, NULL);
    zmq_close (self->router);
    zmq_ctx_term (self->ctx);
}

static const char s_frame[] = "\x82\xa1v\x01\xa4type\xadintake.submit";

static void
test_intake_client_round_trip_and_rejection (void **state)
{
    (void) state;
    static const action_t script[] = {ACCEPT, REJECT};
    stub_t stub;
    s_stub_start (&stub, script, 2);
    opd_intake_client_t *client = opd_intake_client_new (stub.endpoint, NULL, 5000);
    assert_non_null (client);
    opd_intake_reply_t reply;
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), 0);
    assert_true (reply.accepted);
    assert_true (reply.created);
    assert_string_equal (reply.ticket_id, "OPD-1");
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), 0);
    assert_false (reply.accepted);
    assert_string_equal (reply.code, "invalid");
    assert_string_equal (reply.key, "requester.email");
    assert_int_equal (opd_intake_client_pending (client), 0);
    opd_intake_client_destroy (&client);
    opd_intake_client_destroy (&client);  //  safe twice
    assert_null (client);
    s_stub_stop (&stub);
}

static void
test_intake_client_timeout_resets_and_never_sees_the_late_answer (void **state)
{
    (void) state;
    static const action_t script[] = {LATE, ACCEPT};
    stub_t stub;
    s_stub_start (&stub, script, 2);
    opd_intake_client_t *client = opd_intake_client_new (stub.endpoint, NULL, 300);
    opd_intake_reply_t reply;
    int64_t t0 = opd_mono_ms ();
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), -1);
    int64_t took = opd_mono_ms () - t0;
    assert_true (took >= 250 && took < 3000);
    //  The stub now answers request 1 (to the old socket) and then 2: the
    //  client must get 2's answer, not the late one.
    opd_intake_client_set_timeout (client, 5000);
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), 0);
    assert_true (reply.accepted);
    assert_string_equal (reply.ticket_id, "OPD-2");
    opd_intake_client_destroy (&client);
    s_stub_stop (&stub);
}

static void
test_intake_client_keeps_several_in_flight_in_order (void **state)
{
    (void) state;
    static const action_t script[] = {ACCEPT, ACCEPT, ACCEPT, ACCEPT, ACCEPT};
    stub_t stub;
    s_stub_start (&stub, script, 5);
    opd_intake_client_t *client = opd_intake_client_new (stub.endpoint, NULL, 5000);
    for (int i = 0; i < 5; i++)
        assert_int_equal (opd_intake_client_send (client, s_frame, sizeof s_frame - 1), 0);
    assert_int_equal (opd_intake_client_pending (client), 5);
    for (int i = 1; i <= 5; i++) {
        opd_intake_reply_t reply;
        char want[16];
        snprintf (want, sizeof want, "OPD-%d", i);
        assert_int_equal (opd_intake_client_recv (client, &reply), 0);
        assert_string_equal (reply.ticket_id, want);
    }
    assert_int_equal (opd_intake_client_pending (client), 0);
    opd_intake_client_destroy (&client);
    s_stub_stop (&stub);
}

static void
test_intake_client_tells_an_answer_that_is_no_reply (void **state)
{
    (void) state;
    static const action_t script[] = {GARBAGE, ACCEPT};
    stub_t stub;
    s_stub_start (&stub, script, 2);
    opd_intake_client_t *client = opd_intake_client_new (stub.endpoint, NULL, 5000);
    opd_intake_reply_t reply;
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), -2);
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), 0);
    assert_string_equal (reply.ticket_id, "OPD-2");
    opd_intake_client_destroy (&client);
    s_stub_stop (&stub);
}

static void
test_intake_client_nobody_listening_times_out (void **state)
{
    (void) state;
    //  Intake answers once and goes away: the next request cannot even
    //  leave, and the call gives up after the timeout.
    stub_t stub;
    static const action_t none[] = {ACCEPT};
    s_stub_start (&stub, none, 1);
    char ep[64];
    snprintf (ep, sizeof ep, "%s", stub.endpoint);
    opd_intake_client_t *client = opd_intake_client_new (ep, NULL, 200);
    opd_intake_reply_t reply;
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), 0);
    s_stub_stop (&stub);  //  intake is gone now
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), -1);
    assert_int_equal (opd_intake_client_pending (client), 0);
    opd_intake_client_destroy (&client);
    assert_null (opd_intake_client_new ("not an endpoint", NULL, 200));
}

static void
test_intake_client_speaks_curve_with_the_server_key (void **state)
{
    (void) state;
    opd_curve_t curve = {.enabled = true}, wrong_server;
    char server_secret[41], other_secret[41];
    assert_int_equal (zmq_curve_keypair (curve.server_public, server_secret), 0);
    assert_int_equal (zmq_curve_keypair (curve.client_public, curve.client_secret), 0);
    static const action_t script[] = {ACCEPT};
    stub_t stub;
    s_stub_start_with (&stub, script, 1, server_secret);
    opd_intake_client_t *client = opd_intake_client_new (stub.endpoint, &curve, 5000);
    opd_intake_reply_t reply;
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), 0);
    assert_true (reply.accepted);
    opd_intake_client_destroy (&client);
    //  A client that expects another server key fails the handshake, and
    //  one without CURVE is not spoken to: both time out.
    wrong_server = curve;
    assert_int_equal (zmq_curve_keypair (wrong_server.server_public, other_secret), 0);
    client = opd_intake_client_new (stub.endpoint, &wrong_server, 300);
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), -1);
    opd_intake_client_destroy (&client);
    client = opd_intake_client_new (stub.endpoint, NULL, 300);
    assert_int_equal (opd_intake_client_submit (client, s_frame, sizeof s_frame - 1, &reply), -1);
    opd_intake_client_destroy (&client);
    s_stub_stop (&stub);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_intake_client_round_trip_and_rejection),
        cmocka_unit_test (test_intake_client_timeout_resets_and_never_sees_the_late_answer),
        cmocka_unit_test (test_intake_client_keeps_several_in_flight_in_order),
        cmocka_unit_test (test_intake_client_tells_an_answer_that_is_no_reply),
        cmocka_unit_test (test_intake_client_nobody_listening_times_out),
        cmocka_unit_test (test_intake_client_speaks_curve_with_the_server_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
