/*  test_slo_clocks: how opdesk-slo computes a ticket's clocks (policy choice,
    calendars, pauses of the resolution clock, next reply, warnings). The
    service's loop is covered by tests/integration/test_slo.py. */
#include "slo/slo_clocks.c"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#define T_MIN 60000LL
#define T_HOUR 3600000LL

static const char *s_yaml =
    "calendars:\n"
    "  uk-office:\n"
    "    timezone: Europe/London\n"
    "    hours: {mon: ['08:00-18:00'], tue: ['08:00-18:00'], wed: ['08:00-12:30', '13:30-18:00'],\n"
    "            thu: ['08:00-18:00'], fri: ['08:00-17:00'], sat: [], sun: []}\n"
    "    holidays: ['2026-12-25', '2026-12-28']\n"
    "  always: {timezone: UTC, hours: 24x7}\n"
    "slo_policies:\n"
    "  - {name: p1, match: {priority: P1}, calendar: always, first_response: 15m, resolution: 4h,\n"
    "     warn_at: 0.75}\n"
    "  - {name: vpn, match: {category: network}, calendar: uk-office, first_response: 4h,\n"
    "     next_reply: 8h, resolution: 16h, warn_at: 0.5}\n"
    "  - {name: web-only, match: {channel: web}, calendar: always, first_response: 1h,\n"
    "     resolution: 2h}\n"
    "categories: {network: {vpn: {}}, hardware: {}}\n"
    "teams: [{id: network, name: Network, calendar: uk-office}]\n"
    "default_team: network\n"
    "default_priority: P3\n";

static opd_config_t *
s_config (void)
{
    char err[512];
    opd_config_t *cfg = opd_config_parse (s_yaml, strlen (s_yaml), "test", err, sizeof err);
    if (!cfg)
        fail_msg ("configuration: %s", err);
    return cfg;
}

static int64_t
utc (int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t) timegm (&tm) * 1000;
}

static void
test_slo_p1_clocks_on_the_always_calendar (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config ();
    int64_t rx = utc (2026, 11, 28, 3, 0) + 7;  //  a Saturday night: 24x7 does not care
    slo_ticket_t t = {.id = "OPD-1", .priority = "P1", .category = "network/vpn", .received_at = rx};
    const opd_policy_t *p;
    slo_clock_t c[3];
    size_t n = slo_clocks (cfg, &t, rx + 1000, &p, c);
    assert_non_null (p);
    assert_string_equal (p->name, "p1");  //  the first policy that fits wins
    assert_int_equal (n, 2);
    assert_string_equal (c[0].name, "fr");
    assert_int_equal (c[0].due, rx + 15 * T_MIN);
    assert_int_equal (c[0].warn, rx + 15 * T_MIN * 3 / 4);
    assert_string_equal (c[1].name, "res");
    assert_int_equal (c[1].due, rx + 4 * T_HOUR);
    assert_int_equal (c[1].warn, rx + 3 * T_HOUR);
    assert_false (c[1].paused);
    opd_config_destroy (&cfg);
}

static void
test_slo_working_hours_next_reply_and_pauses (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config ();
    //  Received Friday 27 November 2026 16:00 GMT on the UK office calendar.
    int64_t rx = utc (2026, 11, 27, 16, 0);
    slo_ticket_t t = {.id = "OPD-2", .priority = "P2", .category = "network/vpn", .received_at = rx};
    const opd_policy_t *p;
    slo_clock_t c[3];
    size_t n = slo_clocks (cfg, &t, rx, &p, c);
    assert_string_equal (p->name, "vpn");
    //  No next reply until the requester writes after the first response.
    assert_int_equal (n, 2);
    //  4h: 1h Friday, 3h Monday from 08:00 -> Monday 11:00; warning at 2h -> Monday 09:00.
    assert_int_equal (c[0].due, utc (2026, 11, 30, 11, 0));
    assert_int_equal (c[0].warn, utc (2026, 11, 30, 9, 0));
    //  16h: 1 Friday + 10 Monday + 5 Tuesday -> Tuesday 13:00.
    assert_int_equal (c[1].due, utc (2026, 12, 1, 13, 0));

    //  A requester reply on Monday 10:00 starts the next-reply clock: 8h ->
    //  Monday 18:00 exactly at the end of the day.
    t.nr_start = utc (2026, 11, 30, 10, 0);
    n = slo_clocks (cfg, &t, t.nr_start, &p, c);
    assert_int_equal (n, 3);
    assert_string_equal (c[1].name, "nr");
    assert_int_equal (c[1].start, t.nr_start);
    assert_int_equal (c[1].due, utc (2026, 11, 30, 18, 0));

    //  Pending Monday 08:00-10:00 (done) and again since Tuesday 09:00 (now
    //  Tuesday 12:00): the resolution clock is paused, and its due time is
    //  what it would be if it went on now: 1h Friday, 8h Monday 10-18,
    //  1h Tuesday 08-09, 6h from Tuesday 12:00 -> Tuesday 18:00.
    t.res_pauses = "1796025600000-1796032800000";
    assert_int_equal (utc (2026, 11, 30, 8, 0), 1796025600000LL);
    assert_int_equal (utc (2026, 11, 30, 10, 0), 1796032800000LL);
    t.res_pause = utc (2026, 12, 1, 9, 0);
    n = slo_clocks (cfg, &t, utc (2026, 12, 1, 12, 0), &p, c);
    assert_int_equal (n, 3);
    assert_string_equal (c[2].name, "res");
    assert_true (c[2].paused);
    assert_int_equal (c[2].due, utc (2026, 12, 1, 18, 0));
    assert_false (c[0].paused);

    //  Elapsed share of the resolution clock at Tuesday 12:00: 1 + 8 + 1 = 10
    //  of 16 working hours (the pauses do not count).
    t.slo_policy = "vpn";
    double r = slo_elapsed_ratio (cfg, &t, OPD_CLOCK_RES, utc (2026, 12, 1, 12, 0));
    assert_true (r > 10.0 / 16 - 1e-9 && r < 10.0 / 16 + 1e-9);
    //  First response at Monday 09:00: 1 + 1 = 2 of 4 hours.
    r = slo_elapsed_ratio (cfg, &t, OPD_CLOCK_FR, utc (2026, 11, 30, 9, 0));
    assert_true (r > 0.5 - 1e-9 && r < 0.5 + 1e-9);
    //  An unknown policy name gives 0.
    t.slo_policy = "gone";
    assert_true (slo_elapsed_ratio (cfg, &t, OPD_CLOCK_FR, utc (2026, 11, 30, 9, 0)) == 0);
    opd_config_destroy (&cfg);
}

static void
test_slo_no_policy_or_channel_policy (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config ();
    slo_ticket_t t = {.id = "OPD-3", .priority = "P3", .category = "hardware", .channel = "email",
                      .received_at = utc (2026, 6, 1, 12, 0)};
    const opd_policy_t *p;
    slo_clock_t c[3];
    assert_int_equal (slo_clocks (cfg, &t, t.received_at, &p, c), 0);
    assert_null (p);
    //  Matched by channel; warn_at defaults to 0.75.
    t.channel = "web";
    assert_int_equal (slo_clocks (cfg, &t, t.received_at, &p, c), 2);
    assert_string_equal (p->name, "web-only");
    assert_int_equal (c[0].warn, t.received_at + 45 * T_MIN);
    assert_int_equal (c[1].warn, t.received_at + 90 * T_MIN);
    assert_int_equal (c[1].due, t.received_at + 2 * T_HOUR);
    opd_config_destroy (&cfg);
}

static void
test_slo_ticket_parse_reads_the_hash (void **state)
{
    (void) state;
    redisReader *rd = redisReaderCreate ();
    const char *wire = "*10\r\n$7\r\nversion\r\n$1\r\n7\r\n$8\r\npriority\r\n$2\r\nP1\r\n"
                       "$11\r\nreceived_at\r\n$13\r\n1780000000000\r\n$9\r\nres_pause\r\n$13\r\n1780000005000\r\n"
                       "$10\r\nres_pauses\r\n$9\r\n1-2,30-40\r\n";
    redisReaderFeed (rd, wire, strlen (wire));
    void *reply = NULL;
    assert_int_equal (redisReaderGetReply (rd, &reply), REDIS_OK);
    assert_non_null (reply);
    slo_ticket_t t;
    slo_ticket_parse (&t, reply);
    assert_string_equal (t.version, "7");
    assert_string_equal (t.priority, "P1");
    assert_int_equal (t.received_at, 1780000000000LL);
    assert_int_equal (t.res_pause, 1780000005000LL);
    assert_string_equal (t.res_pauses, "1-2,30-40");
    assert_null (t.team);
    assert_int_equal (t.nr_start, 0);
    freeReplyObject (reply);
    redisReaderFree (rd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_slo_p1_clocks_on_the_always_calendar),
        cmocka_unit_test (test_slo_working_hours_next_reply_and_pauses),
        cmocka_unit_test (test_slo_no_policy_or_channel_policy),
        cmocka_unit_test (test_slo_ticket_parse_reads_the_hash),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
