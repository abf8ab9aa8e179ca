/*  test_aht: the arithmetic of the measured handling times of the staffing
    advice (services/rota/opd_rota_aht.c): what a console beat adds, a
    call's talk time, the UTC day of the sums, and the choice between the
    measured mean and the configured value. The Redis side and the two
    writers (opdesk-phone, opdesk-web) are tested end to end by
    tests/integration/test_handling.py. */
#include "rota/opd_rota_aht.h"
#include "rota/opd_rota_staffing.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define T0 1800000000000LL  //  2027-01-15 08:00 UTC

static void
test_aht_a_beat_adds_the_time_since_the_last_capped_at_two_beats (void **state)
{
    (void) state;
    assert_int_equal (rota_aht_beat_ms (T0, T0 + 10000, true), 10000);
    assert_int_equal (rota_aht_beat_ms (T0, T0 + 3500, true), 3500);      //  the first key, between beats
    assert_int_equal (rota_aht_beat_ms (T0, T0 + 20000, true), 20000);
    assert_int_equal (rota_aht_beat_ms (T0, T0 + 45000, true), 20000);    //  away: two beats at most
    assert_int_equal (rota_aht_beat_ms (T0, T0 + 10000, false), 0);       //  neither typing nor focused
    assert_int_equal (rota_aht_beat_ms (0, T0, true), 0);                 //  the page's first beat
    assert_int_equal (rota_aht_beat_ms (T0, T0, true), 0);
    assert_int_equal (rota_aht_beat_ms (T0 + 5, T0, true), 0);            //  a clock that went back
}

static void
test_aht_talk_time_runs_from_answered_to_hangup (void **state)
{
    (void) state;
    assert_int_equal (rota_aht_talk_ms (T0, T0 + 183000), 183000);
    assert_int_equal (rota_aht_talk_ms (0, T0), 0);            //  never answered: a missed call
    assert_int_equal (rota_aht_talk_ms (T0 + 1, T0), 0);       //  events out of order
    assert_int_equal (rota_aht_talk_ms (T0, T0), 0);
}

static void
test_aht_days_are_utc_days_since_1970 (void **state)
{
    (void) state;
    assert_int_equal (rota_aht_day (0), 0);
    assert_int_equal (rota_aht_day (86399999), 0);
    assert_int_equal (rota_aht_day (86400000), 1);
    assert_int_equal (rota_aht_day (-1), -1);
    assert_int_equal (rota_aht_day (T0), 20833);  //  1800000000 / 86400 = 20833.3
}

static void
test_aht_the_mean_is_used_from_the_minimum_of_samples (void **state)
{
    (void) state;
    rota_aht_t a = {.sum_ms = 19 * 240000LL, .n = 19};
    rota_aht_choose (&a, 180000, ROTA_AHT_MIN_SAMPLES);
    assert_false (a.measured);
    assert_true (a.used_s == 180.0);  //  19 calls of 4 min: too few, the configured 3 min
    a.sum_ms += 60000;
    a.n = 20;
    rota_aht_choose (&a, 180000, ROTA_AHT_MIN_SAMPLES);
    assert_true (a.measured);
    assert_true (a.used_s == (19 * 240.0 + 60) / 20);  //  231 s
    rota_aht_t none = {0};
    rota_aht_choose (&none, 900000, 0);  //  no samples is never a measurement
    assert_false (none.measured);
    assert_true (none.used_s == 900.0);
}

//  The measured time is what the models get: 200 calls an hour of 3 min
//  are 10 Erlangs and need 14 agents; of 4 min, 13.3 Erlangs and more.
static void
test_aht_the_measured_mean_changes_the_agents_needed (void **state)
{
    (void) state;
    rota_aht_t a = {.sum_ms = 20 * 180000LL, .n = 20};
    rota_aht_choose (&a, 300000, ROTA_AHT_MIN_SAMPLES);
    double erl = 200 * a.used_s / 3600;
    assert_int_equal (rota_agents_needed (erl, a.used_s, 20, 0.8, NULL), 14);
    a.sum_ms = 20 * 240000LL;
    rota_aht_choose (&a, 300000, ROTA_AHT_MIN_SAMPLES);
    erl = 200 * a.used_s / 3600;
    assert_true (rota_agents_needed (erl, a.used_s, 20, 0.8, NULL) > 14);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_aht_a_beat_adds_the_time_since_the_last_capped_at_two_beats),
        cmocka_unit_test (test_aht_talk_time_runs_from_answered_to_hangup),
        cmocka_unit_test (test_aht_days_are_utc_days_since_1970),
        cmocka_unit_test (test_aht_the_mean_is_used_from_the_minimum_of_samples),
        cmocka_unit_test (test_aht_the_measured_mean_changes_the_agents_needed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
