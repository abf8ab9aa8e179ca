/*  opd_zmq_bind: an endpoint with a host name (docker-compose) binds on every
    interface; a bad endpoint fails cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "opd_zmq.h"

static void
test_zmq_bind_host_name_binds_every_interface (void **state)
{
    (void) state;
    zsys_handler_set (NULL);
    zsock_t *pub = zsock_new (ZMQ_PUB);
    //  Port 0 is not valid for a wildcard bind in libzmq; pick an ephemeral one.
    int port = zsock_bind (pub, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    zsock_destroy (&pub);
    pub = zsock_new (ZMQ_PUB);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://some-service-name:%d", port);
    assert_int_equal (opd_zmq_bind (pub, ep, "test"), 0);
    zsock_t *sub = zsock_new_sub (NULL, "");
    char cep[64];
    snprintf (cep, sizeof cep, "tcp://127.0.0.1:%d", port);
    assert_int_equal (zsock_connect (sub, "%s", cep), 0);
    zclock_sleep (200);
    zstr_send (pub, "hello");
    zsock_set_rcvtimeo (sub, 2000);
    char *got = zstr_recv (sub);
    assert_non_null (got);
    assert_string_equal (got, "hello");
    zstr_free (&got);
    zsock_destroy (&sub);
    zsock_destroy (&pub);
}

static void
test_zmq_bind_rejects_bad_endpoint (void **state)
{
    (void) state;
    zsock_t *pub = zsock_new (ZMQ_PUB);
    assert_int_equal (opd_zmq_bind (pub, "nonsense://x", "test"), -1);
    zsock_destroy (&pub);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_zmq_bind_host_name_binds_every_interface),
        cmocka_unit_test (test_zmq_bind_rejects_bad_endpoint),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
