/*  Unit tests of the phone channel's number normaliser
    (services/phone/number.c): caller numbers as phone systems send them,
    turned into E.164 or refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "phone/number.c"
#include <string.h>

//  Normalises in with country code cc; asserts the outcome.
static void
s_expect (const char *in, const char *cc, const char *want)
{
    char out[32] = "untouched";
    int rc = phone_number_normalise (in, cc, out, sizeof out);
    if (want) {
        if (rc != 0)
            fail_msg ("'%s' was refused, expected %s", in, want);
        assert_string_equal (out, want);
    }
    else if (rc == 0)
        fail_msg ("'%s' became %s, expected it refused", in, out);
}

static void
test_number_keeps_e164 (void **state)
{
    (void) state;
    s_expect ("+447700900123", "44", "+447700900123");
    s_expect ("+1 212 555 0100", "44", "+12125550100");
    s_expect ("  +49 (30) 1234-5678", "44", "+493012345678");
}

static void
test_number_strips_separators (void **state)
{
    (void) state;
    s_expect ("+44 20 7946 0000", "44", "+442079460000");
    s_expect ("+44-20-7946-0000", "44", "+442079460000");
    s_expect ("+44.20.7946.0000", "44", "+442079460000");
    s_expect ("+44 (20) 7946/0000", "44", "+442079460000");
}

static void
test_number_double_zero_is_international (void **state)
{
    (void) state;
    s_expect ("0044 20 7946 0000", "44", "+442079460000");
    s_expect ("00 33 1 23 45 67 89", "44", "+33123456789");
}

static void
test_number_national_gets_country_code (void **state)
{
    (void) state;
    s_expect ("020 7946 0000", "44", "+442079460000");
    s_expect ("(020) 7946 0000", "44", "+442079460000");
    s_expect ("07700 900123", "44", "+447700900123");
    s_expect ("030 1234567", "49", "+49301234567");
    s_expect ("0612345678", "31", "+31612345678");
}

static void
test_number_drops_trunk_zero_beside_country_code (void **state)
{
    (void) state;
    s_expect ("+44 (0)20 7946 0000", "44", "+442079460000");
    s_expect ("0044 (0) 20 7946 0000", "44", "+442079460000");
}

static void
test_number_uri_forms (void **state)
{
    (void) state;
    s_expect ("tel:+44-20-7946-0000", "44", "+442079460000");
    s_expect ("sip:+442079460000@pbx.example.org;user=phone", "44", "+442079460000");
    s_expect ("SIP:02079460000@10.0.0.1", "44", "+442079460000");
}

static void
test_number_bare_international_digits (void **state)
{
    (void) state;
    s_expect ("447700900123", "44", "+447700900123");
    s_expect ("12125550100", "44", "+12125550100");
    //  Extensions are not numbers the desk can call back.
    s_expect ("201", "44", NULL);
    s_expect ("4711", "44", NULL);
}

static void
test_number_refuses_garbage (void **state)
{
    (void) state;
    s_expect ("", "44", NULL);
    s_expect ("+", "44", NULL);
    s_expect ("0", "44", NULL);
    s_expect ("00", "44", NULL);
    s_expect ("+0441234567", "44", NULL);
    s_expect ("0044 0", "44", NULL);
    s_expect ("call me", "44", NULL);
    s_expect ("+44 20 7946 0000 ext 12", "44", NULL);
    s_expect ("44+2079460000", "44", NULL);
    s_expect ("++442079460000", "44", NULL);
    s_expect ("+4420794600001234567", "44", NULL);  //  16 digits: longer than E.164 allows
    s_expect ("020\n7946 0000", "44", NULL);
}

static void
test_number_length_bounds (void **state)
{
    (void) state;
    s_expect ("+1234567", "44", "+1234567");            //  7 digits: the shortest accepted
    s_expect ("+123456", "44", NULL);                   //  6: too short to call back
    s_expect ("+123456789012345", "44", "+123456789012345");  //  15: the longest
    s_expect ("0123", "44", NULL);                      //  +44123: too short
    char small[8];
    assert_int_equal (phone_number_normalise ("+442079460000", "44", small, sizeof small), -1);
    assert_int_equal (phone_number_normalise (NULL, "44", small, sizeof small), -1);
}

static void
test_number_withheld (void **state)
{
    (void) state;
    assert_true (phone_number_withheld (""));
    assert_true (phone_number_withheld (NULL));
    assert_true (phone_number_withheld ("anonymous"));
    assert_true (phone_number_withheld ("Anonymous"));
    assert_true (phone_number_withheld ("RESTRICTED"));
    assert_true (phone_number_withheld ("withheld"));
    assert_false (phone_number_withheld ("+442079460000"));
    assert_false (phone_number_withheld ("anonymous caller"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_number_keeps_e164),
        cmocka_unit_test (test_number_strips_separators),
        cmocka_unit_test (test_number_double_zero_is_international),
        cmocka_unit_test (test_number_national_gets_country_code),
        cmocka_unit_test (test_number_drops_trunk_zero_beside_country_code),
        cmocka_unit_test (test_number_uri_forms),
        cmocka_unit_test (test_number_bare_international_digits),
        cmocka_unit_test (test_number_refuses_garbage),
        cmocka_unit_test (test_number_length_bounds),
        cmocka_unit_test (test_number_withheld),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
