/*  test_http: opd_http, the HTTP server layer of opdesk-web and
    opdesk-phone: whose address a request is counted under (only a trusted
    proxy's X-Forwarded-For is believed, its rightmost untrusted hop). The
    server itself is exercised by tests/integration/test_web_hardening.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "opd_http.h"
#include <string.h>

static void
test_http_client_is_the_peer_unless_it_is_a_trusted_proxy (void **state)
{
    (void) state;
    char *trusted[] = {"10.0.0.1", "10.0.0.2"};
    char out[64];
    assert_false (opd_http_client ("192.0.2.7", "203.0.113.9", trusted, 2, out, sizeof out));
    assert_string_equal (out, "192.0.2.7");
    assert_true (opd_http_client ("10.0.0.1", NULL, trusted, 2, out, sizeof out));
    assert_string_equal (out, "10.0.0.1");
    assert_true (opd_http_client ("10.0.0.1", "203.0.113.9", trusted, 2, out, sizeof out));
    assert_string_equal (out, "203.0.113.9");
}

static void
test_http_client_is_the_rightmost_untrusted_hop (void **state)
{
    (void) state;
    char *trusted[] = {"10.0.0.1", "10.0.0.2"};
    char out[64];
    //  The client made up the leftmost entry; the proxies added the rest.
    assert_true (opd_http_client ("10.0.0.1", "1.1.1.1, 198.51.100.4, 10.0.0.2", trusted, 2, out, sizeof out));
    assert_string_equal (out, "198.51.100.4");
    //  Only trusted hops: the leftmost of them.
    assert_true (opd_http_client ("10.0.0.1", "10.0.0.2 , 10.0.0.1", trusted, 2, out, sizeof out));
    assert_string_equal (out, "10.0.0.2");
    //  Garbage stops the walk: what is right of it stands.
    assert_true (opd_http_client ("10.0.0.1", "nonsense, 10.0.0.2", trusted, 2, out, sizeof out));
    assert_string_equal (out, "10.0.0.2");
    assert_true (opd_http_client ("10.0.0.1", "nonsense", trusted, 2, out, sizeof out));
    assert_string_equal (out, "10.0.0.1");
    assert_true (opd_http_client ("10.0.0.1", "2001:db8::1", trusted, 2, out, sizeof out));
    assert_string_equal (out, "2001:db8::1");
    assert_false (opd_http_client ("10.0.0.9", "198.51.100.4", NULL, 0, out, sizeof out));
    assert_string_equal (out, "10.0.0.9");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_http_client_is_the_peer_unless_it_is_a_trusted_proxy),
        cmocka_unit_test (test_http_client_is_the_rightmost_untrusted_hop),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
