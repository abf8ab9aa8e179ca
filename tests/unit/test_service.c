/*  test_service: the signal layer of opd_service in one process, with real
    signals sent to it by another thread: a SIGHUP storm never cuts short the
    start-up handshake of a czmq actor, threads made after the start never
    take a signal, opd_service_wait wakes on one, and several SIGHUPs make
    one reload. Uses the demo configuration (deploy/opdesk.yaml) with Redis
    on a port where none listens (the heartbeat then fails quietly). */
#include "opd_service.h"
#include "opd_util.h"
#include <czmq.h>
#include <glib.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static opd_service_t s_svc;
static atomic_int s_storm_on;

//  Sends SIGHUP to the whole process every 200 microseconds while s_storm_on.
static void *
s_storm (void *arg)
{
    (void) arg;
    while (atomic_load (&s_storm_on)) {
        kill (getpid (), SIGHUP);
        usleep (200);
    }
    return NULL;
}

static pthread_t
s_storm_start (void)
{
    atomic_store (&s_storm_on, 1);
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_storm, NULL), 0);
    return t;
}

static void
s_storm_stop (pthread_t t)
{
    atomic_store (&s_storm_on, 0);
    pthread_join (t, NULL);
}

static char s_config[64];

//  The demo configuration, with Redis moved to port 1 where nothing listens.
static int
s_setup (void **state)
{
    (void) state;
    const char *src = getenv ("OPDESK_SOURCE");
    char *path = opd_sprintf ("%s/deploy/opdesk.yaml", src ? src : "../..");
    char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents (path, &text, &len, NULL))
        return -1;
    free (path);
    char *at = strstr (text, "port: 6380");
    if (!at)
        return -1;
    memcpy (at, "port: 1   ", 10);
    snprintf (s_config, sizeof s_config, "/tmp/test_service-%d.yaml", (int) getpid ());
    if (!g_file_set_contents (s_config, text, (gssize) len, NULL))
        return -1;
    g_free (text);
    char *argv[] = {"test_service", "--config", s_config, NULL};
    return opd_service_start (&s_svc, 3, argv, "opdesk-test", "a test", NULL) == -1 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    opd_service_end (&s_svc);
    unlink (s_config);
    return 0;
}

//  An actor that takes its time to start, as the webhook actor does when it
//  connects to Redis, and says whether it had signalled when asked.
static atomic_int s_actor_ready;

static void
s_slow_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zclock_sleep (20);
    atomic_store (&s_actor_ready, 1);
    zsock_signal (pipe, 0);
    while (true) {
        char *cmd = zstr_recv (pipe);
        bool term = !cmd || streq (cmd, "$TERM");
        zstr_free (&cmd);
        if (term)
            break;
    }
}

static void
test_service_sighup_storm_never_cuts_an_actor_start_short (void **state)
{
    (void) state;
    pthread_t storm = s_storm_start ();
    for (int i = 0; i < 50; i++) {
        atomic_store (&s_actor_ready, 0);
        zactor_t *actor = zactor_new (s_slow_actor, NULL);
        assert_non_null (actor);
        //  zactor_new returns only after the actor signalled.
        assert_int_equal (atomic_load (&s_actor_ready), 1);
        zactor_destroy (&actor);
    }
    s_storm_stop (storm);
    assert_int_equal (opd_service_reload (&s_svc), 1);
    assert_false (opd_service_stopping ());
}

static void *
s_mask_of_thread (void *arg)
{
    sigset_t *mask = arg;
    pthread_sigmask (SIG_BLOCK, NULL, mask);
    return NULL;
}

static void
test_service_threads_made_after_start_block_the_signals (void **state)
{
    (void) state;
    sigset_t mask;
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_mask_of_thread, &mask), 0);
    pthread_join (t, NULL);
    assert_true (sigismember (&mask, SIGTERM));
    assert_true (sigismember (&mask, SIGINT));
    assert_true (sigismember (&mask, SIGHUP));
    assert_true (opd_service_signal_fd () >= 0);
}

static void *
s_hup_later (void *arg)
{
    (void) arg;
    usleep (100 * 1000);
    for (int i = 0; i < 5; i++)
        kill (getpid (), SIGHUP);
    return NULL;
}

static void
test_service_wait_wakes_on_a_signal_and_hups_make_one_reload (void **state)
{
    (void) state;
    opd_service_reload (&s_svc);  //  nothing left over from before
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_hup_later, NULL), 0);
    int64_t started = opd_mono_ms ();
    opd_service_wait (5000);
    assert_true (opd_mono_ms () - started < 2000);
    pthread_join (t, NULL);
    assert_int_equal (opd_service_reload (&s_svc), 1);
    assert_int_equal (opd_service_reload (&s_svc), 0);
    //  Without a signal it sleeps the whole time.
    started = opd_mono_ms ();
    opd_service_wait (150);
    assert_true (opd_mono_ms () - started >= 149);
}

static void
test_service_sigterm_stops (void **state)
{
    (void) state;
    assert_false (opd_service_stopping ());
    kill (getpid (), SIGTERM);
    int64_t started = opd_mono_ms ();
    while (!opd_service_stopping () && opd_mono_ms () - started < 2000)
        opd_service_wait (100);
    assert_true (opd_service_stopping ());
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_service_threads_made_after_start_block_the_signals),
        cmocka_unit_test (test_service_sighup_storm_never_cuts_an_actor_start_short),
        cmocka_unit_test (test_service_wait_wakes_on_a_signal_and_hups_make_one_reload),
        cmocka_unit_test (test_service_sigterm_stops),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
