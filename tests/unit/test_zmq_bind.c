/*  opd_zmq_bind: an endpoint with a host name (docker-compose) binds on every
    interface; a bad endpoint fails cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "opd_zmq.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

//  A port that is free on every interface now, chosen by the kernel.
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_ANY);
    socklen_t len = sizeof a;
    assert_int_equal (bind (fd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal (getsockname (fd, (struct sockaddr *) &a, &len), 0);
    close (fd);
    return ntohs (a.sin_port);
}

static void
test_zmq_bind_host_name_binds_every_interface (void **state)
{
    (void) state;
    zsys_handler_set (NULL);
    int port = s_free_port ();
    zsock_t *pub = zsock_new (ZMQ_PUB);
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
