/*  bench-queue: a team queue's first page with 1,000,000 tickets in Redis
    (BENCHMARKS.md, "Team queues"). bench/queue.sh drives it.

    1. Loads N tickets straight into the key layout (proto/keys.md),
       pipelined: per ticket the hash (the fields intake, the router and
       opdesk-slo write: id, kind, status, priority, team, channel,
       requester, subject, body, created_at, updated_at, version, slo_policy,
       team_since, routed_at, fr_/res_ clocks, qteam, cnt) and its index members:
       opd:idx:all, opd:idx:status:<s>, opd:idx:team:<t>, opd:idx:req:<email>,
       and, for tickets not resolved or closed, opd:q:due:<team> scored as
       queue_refresh (prelude.lua) scores them; the counter of its team and
       status in opd:count:team:<team>. Half the tickets go to each
       of the two teams; 60 % are closed, 10 % resolved, 30 % new, open or
       pending, with due times spread over the past day and the next week
       (so some breach).
    2. Times opd_ticket_list ({team, sort=due, limit 25}) --iterations times,
       alternating the two teams: p50, p99, max. Then the same with
       breaching=true, and the second page (from the first page's cursor).
    3. Times the agent console's queue as opdesk-web builds it: both teams
       merged by opd_ticket_queue (50 a page, live clocks) and
       opd_ticket_counts.
    4. With --http PORT --token T, times GET /api/v1/tickets?team=X&sort=due
       &limit=25 on opdesk-web the same number of times, over one kept-alive
       connection (libcurl); then signs in at /login as change-me-admin
       (every team) and times GET /agent, the console's first page.

    The last line it prints is, exactly:
    bench-queue: N tickets, first page p50 A ms p99 B ms max C ms */
#include "opd_config.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIPE_DEPTH 4000
#define QUEUE_LAST 8000000000000000LL
#define HOUR_MS (3600 * 1000LL)

static const char *s_teams[] = {"network", "service-desk"};

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_p (double *sorted, int n, double q)
{
    int i = (int) ((double) n * q);
    return sorted[i >= n ? n - 1 : i];
}

//  ms must be sorted.
static void
s_report (const char *what, double *ms, int n)
{
    printf ("bench-queue: %-40s p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%d runs)\n", what,
            s_p (ms, n, 0.5), s_p (ms, n, 0.99), ms[n - 1], n);
}

static int
s_drain (opd_redis_t *r, long *pending)
{
    for (; *pending > 0; (*pending)--) {
        redisReply *x = opd_redis_get_reply (r);
        if (!x || x->type == REDIS_REPLY_ERROR) {
            fprintf (stderr, "bench-queue: Redis failed: %s\n", x ? x->str : opd_redis_error (r));
            return -1;
        }
        freeReplyObject (x);
    }
    return 0;
}

static int
s_cmd (opd_redis_t *r, opd_args_t *a, long *pending)
{
    if (opd_redis_append_argv (r, a))
        return -1;
    opd_args_free (a);
    opd_args_init (a);
    if (++*pending >= PIPE_DEPTH)
        return s_drain (r, pending);
    return 0;
}

//  Loads n tickets; returns 0 or -1.
static int
s_load (opd_redis_t *r, long n, int64_t now)
{
    static const char *const open_states[] = {"new", "open", "pending"};
    long pending = 0;
    opd_args_t a;
    opd_args_init (&a);
    srand (42);
    for (long i = 1; i <= n; i++) {
        char id[32], key[48];
        snprintf (id, sizeof id, "OPD-%ld", i);
        snprintf (key, sizeof key, OPD_KEY_TICKET_FMT, id);
        const char *team = s_teams[i % 2];
        int roll = rand () % 100;
        const char *status = roll < 60 ? "closed" : roll < 70 ? "resolved" : open_states[rand () % 3];
        int64_t created = now - 30LL * 24 * HOUR_MS + (int64_t) ((double) i / (double) n * 30 * 24 * HOUR_MS);
        //  Deadlines from a day ago to a week ahead.
        int64_t due = now - 24 * HOUR_MS + (int64_t) (rand () % (8 * 24)) * HOUR_MS + rand () % 3600000;
        bool queued = strcmp (status, "closed") && strcmp (status, "resolved");
        const char *res_state = !strcmp (status, "pending") ? "paused"
                                : !queued                   ? "met"
                                : due < now                 ? "breached"
                                                            : "running";
        char email[48];
        snprintf (email, sizeof email, "user%ld@example.com", i % 50000);
        opd_args_add (&a, "HSET");
        opd_args_add (&a, key);
        const char *kv[] = {"id", id, "kind", "incident", "status", status, "priority", i % 4 ? "P3" : "P2",
                            "team", team, "channel", "email", "req_name", "Bench User", "req_email", email,
                            "subject", "Printer on floor 3 is jammed again", "body",
                            "It shows error 42 and the queue is stuck since this morning.",
                            "slo_policy", "standard", "fr_state", "met", "res_state", res_state, NULL};
        for (int k = 0; kv[k]; k++)
            opd_args_add (&a, kv[k]);
        opd_args_add (&a, "created_at");
        opd_args_addi (&a, created);
        opd_args_add (&a, "updated_at");
        opd_args_addi (&a, created);
        opd_args_add (&a, "received_at");
        opd_args_addi (&a, created);
        opd_args_add (&a, "team_since");
        opd_args_addi (&a, created);
        opd_args_add (&a, "routed_at");
        opd_args_addi (&a, created);
        opd_args_add (&a, "fr_due");
        opd_args_addi (&a, created + 4 * HOUR_MS);
        opd_args_add (&a, "fr_met");
        opd_args_addi (&a, created + HOUR_MS);
        opd_args_add (&a, "res_due");
        opd_args_addi (&a, due);
        opd_args_add (&a, "version");
        opd_args_add (&a, "4");
        opd_args_add (&a, "ncomments");
        opd_args_add (&a, "1");
        if (queued) {
            opd_args_add (&a, "qteam");
            opd_args_add (&a, team);
        }
        opd_args_add (&a, "cnt");
        opd_args_addf (&a, "%s|%s", team, status);
        if (s_cmd (r, &a, &pending))
            return -1;
        opd_args_add (&a, "HINCRBY");
        opd_args_addf (&a, OPD_KEY_COUNT_TEAM_FMT, team);
        opd_args_add (&a, status);
        opd_args_add (&a, "1");
        if (s_cmd (r, &a, &pending))
            return -1;
        opd_args_add (&a, "ZADD");
        opd_args_add (&a, OPD_KEY_IDX_ALL);
        opd_args_addi (&a, created);
        opd_args_add (&a, id);
        if (s_cmd (r, &a, &pending))
            return -1;
        opd_args_add (&a, "ZADD");
        opd_args_addf (&a, OPD_KEY_IDX_STATUS_FMT, status);
        opd_args_addi (&a, created);
        opd_args_add (&a, id);
        if (s_cmd (r, &a, &pending))
            return -1;
        opd_args_add (&a, "ZADD");
        opd_args_addf (&a, OPD_KEY_IDX_TEAM_FMT, team);
        opd_args_addi (&a, created);
        opd_args_add (&a, id);
        if (s_cmd (r, &a, &pending))
            return -1;
        opd_args_add (&a, "ZADD");
        opd_args_addf (&a, OPD_KEY_IDX_REQ_FMT, email);
        opd_args_addi (&a, created);
        opd_args_add (&a, id);
        if (s_cmd (r, &a, &pending))
            return -1;
        if (queued) {
            bool running = !strcmp (res_state, "running") || !strcmp (res_state, "breached");
            opd_args_add (&a, "ZADD");
            opd_args_addf (&a, OPD_KEY_QUEUE_DUE_FMT, team);
            opd_args_addi (&a, running ? due : QUEUE_LAST + created);
            opd_args_add (&a, id);
            if (s_cmd (r, &a, &pending))
                return -1;
        }
        if (i % 100000 == 0) {
            printf ("bench-queue: loaded %ld tickets\n", i);
            fflush (stdout);
        }
    }
    opd_args_free (&a);
    if (s_drain (r, &pending))
        return -1;
    redisReply *x = opd_redis_command (r, "SET " OPD_KEY_SEQ " %ld", n);
    if (x)
        freeReplyObject (x);
    return 0;
}

//  Times one kind of query; returns the sorted times.
static double *
s_time_list (opd_redis_t *r, const opd_config_t *cfg, int iterations, bool breaching, bool second)
{
    double *ms = calloc ((size_t) iterations, sizeof *ms);
    for (int i = 0; i < iterations; i++) {
        opd_ticket_query_t q = {0};
        q.team = s_teams[i % 2];
        q.sort = "due";
        q.limit = 25;
        q.breaching = breaching;
        char *cursor = NULL;
        if (second) {
            opd_ticket_error_t err;
            json_t *p = opd_ticket_list (r, cfg, &q, &err);
            cursor = p ? opd_strdup (json_string_value (json_object_get (p, "next_cursor"))) : NULL;
            json_decref (p);
            q.cursor = cursor;
        }
        double t = s_now ();
        opd_ticket_error_t err;
        json_t *page = opd_ticket_list (r, cfg, &q, &err);
        ms[i] = s_now () - t;
        if (!page || json_array_size (json_object_get (page, "items")) != 25) {
            fprintf (stderr, "bench-queue: a page came back %s: %s\n", page ? "short" : "empty",
                     page ? "" : err.message);
            exit (1);
        }
        json_decref (page);
        free (cursor);
    }
    qsort (ms, (size_t) iterations, sizeof *ms, s_cmp);
    return ms;
}

static size_t
s_sink (char *ptr, size_t size, size_t nmemb, void *user)
{
    (void) ptr;
    *(size_t *) user += size * nmemb;
    return size * nmemb;
}

//  One GET of the URL set on curl, in ms; exits unless it answers 200.
static double
s_timed_get (CURL *curl, const char *what)
{
    double t = s_now ();
    CURLcode rc = curl_easy_perform (curl);
    double ms = s_now () - t;
    long status = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        fprintf (stderr, "bench-queue: %s answered %ld (%s)\n", what, status, curl_easy_strerror (rc));
        exit (1);
    }
    return ms;
}

static double *
s_time_http (int port, const char *token, int iterations)
{
    CURL *curl = curl_easy_init ();
    struct curl_slist *h = NULL;
    char auth[256];
    snprintf (auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append (h, auth);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, h);
    size_t got = 0;
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_sink);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &got);
    double *ms = calloc ((size_t) iterations, sizeof *ms);
    for (int i = 0; i < iterations; i++) {
        char url[256];
        snprintf (url, sizeof url, "http://127.0.0.1:%d/api/v1/tickets?team=%s&sort=due&limit=25", port,
                  s_teams[i % 2]);
        curl_easy_setopt (curl, CURLOPT_URL, url);
        ms[i] = s_timed_get (curl, "GET /api/v1/tickets");
    }
    curl_slist_free_all (h);
    curl_easy_cleanup (curl);
    qsort (ms, (size_t) iterations, sizeof *ms, s_cmp);
    return ms;
}

//  The console's queue as opdesk-web builds it: both teams merged
//  (opd_ticket_queue, 50 a page, live clocks) and the counts per status.
//  what: 'q' the queue, 'c' the counts, 'b' both.
static double *
s_time_console (opd_redis_t *r, const opd_config_t *cfg, int iterations, char what)
{
    double *ms = calloc ((size_t) iterations, sizeof *ms);
    for (int i = 0; i < iterations; i++) {
        opd_ticket_query_t q = {0};
        q.limit = what == 'c' ? 1 : 50;
        q.live = true;
        opd_ticket_error_t err;
        long long counts[5];
        double t = s_now ();
        json_t *page = opd_ticket_queue (r, cfg, &q, s_teams, 2, &err);
        if (what == 'c')
            t = s_now ();
        int rc = what == 'q' ? 0 : opd_ticket_counts (r, s_teams, 2, counts);
        ms[i] = s_now () - t;
        if (!page || rc || json_array_size (json_object_get (page, "items")) != (size_t) q.limit) {
            fprintf (stderr, "bench-queue: the console's queue failed: %s\n", page ? "counts" : err.message);
            exit (1);
        }
        json_decref (page);
    }
    qsort (ms, (size_t) iterations, sizeof *ms, s_cmp);
    return ms;
}

typedef struct {
    char *text;
    size_t len;
} s_buf_t;

static size_t
s_keep (char *ptr, size_t size, size_t nmemb, void *user)
{
    s_buf_t *b = user;
    char *more = realloc (b->text, b->len + size * nmemb + 1);
    if (!more)
        abort ();
    memcpy (more + b->len, ptr, size * nmemb);
    b->len += size * nmemb;
    more[b->len] = 0;
    b->text = more;
    return size * nmemb;
}

//  Signs token in at /login as a browser does (the form's CSRF token, the
//  cookies kept by curl's cookie engine). 0, or -1.
static int
s_console_login (CURL *curl, int port, const char *token)
{
    char url[128], form[512];
    s_buf_t b = {0};
    curl_easy_setopt (curl, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_keep);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &b);
    snprintf (url, sizeof url, "http://127.0.0.1:%d/login", port);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    if (curl_easy_perform (curl) != CURLE_OK || !b.text)
        return -1;
    static const char mark[] = "name=\"csrf\" value=\"";
    const char *at = strstr (b.text, mark);
    if (!at || strlen (at) < sizeof mark - 1 + 64)
        return -1;
    snprintf (form, sizeof form, "token=%s&csrf=%.64s", token, at + sizeof mark - 1);
    free (b.text);
    b.text = NULL, b.len = 0;
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, form);
    long status = 0;
    CURLcode rc = curl_easy_perform (curl);
    free (b.text);
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt (curl, CURLOPT_HTTPGET, 1L);
    if (rc != CURLE_OK || status != 303)
        fprintf (stderr, "bench-queue: POST /login answered %ld (%s)\n", status, curl_easy_strerror (rc));
    return rc == CURLE_OK && status == 303 ? 0 : -1;
}

//  GET /agent (the console's first page) signed in as token.
static double *
s_time_console_http (int port, const char *token, int iterations)
{
    CURL *curl = curl_easy_init ();
    if (s_console_login (curl, port, token)) {
        fprintf (stderr, "bench-queue: signing in to the console failed\n");
        exit (1);
    }
    size_t got = 0;
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_sink);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &got);
    char url[128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/agent", port);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    double *ms = calloc ((size_t) iterations, sizeof *ms);
    for (int i = 0; i < iterations; i++)
        ms[i] = s_timed_get (curl, "GET /agent");
    curl_easy_cleanup (curl);
    qsort (ms, (size_t) iterations, sizeof *ms, s_cmp);
    return ms;
}

int
main (int argc, char **argv)
{
    const char *config = NULL, *token = "change-me-agent";
    long n = 1000000;
    int iterations = 1000, http_port = 0;
    bool skip_load = false;
    static struct option opts[] = {{"config", required_argument, 0, 'c'}, {"tickets", required_argument, 0, 'n'},
                                   {"iterations", required_argument, 0, 'i'}, {"http", required_argument, 0, 'p'},
                                   {"token", required_argument, 0, 't'}, {"no-load", no_argument, 0, 'L'},
                                   {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c': config = optarg; break;
        case 'n': n = atol (optarg); break;
        case 'i': iterations = atoi (optarg); break;
        case 'p': http_port = atoi (optarg); break;
        case 't': token = optarg; break;
        case 'L': skip_load = true; break;
        default:
            printf ("usage: bench-queue --config FILE [--tickets N] [--iterations N] [--http PORT "
                    "[--token T]] [--no-load]\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (!config || n < 100 || iterations < 1) {
        fprintf (stderr, "bench-queue: --config FILE is needed (try --help)\n");
        return 2;
    }
    char err[512];
    opd_config_t *cfg = opd_config_load (config, err, sizeof err);
    if (!cfg) {
        fprintf (stderr, "bench-queue: %s: %s\n", config, err);
        return 2;
    }
    opd_redis_t *r = opd_redis_new (cfg);
    opd_redis_set_timeout (r, 60000);
    int64_t now = opd_now_ms ();
    if (!skip_load) {
        double t = s_now ();
        if (s_load (r, n, now))
            return 1;
        printf ("bench-queue: loaded %ld tickets in %.1f s\n", n, (s_now () - t) / 1000.0);
    }
    for (int i = 0; i < 2; i++) {
        redisReply *x = opd_redis_command (r, "ZCARD " OPD_KEY_QUEUE_DUE_FMT, s_teams[i]);
        printf ("bench-queue: queue %s holds %lld open tickets\n", s_teams[i], x ? x->integer : -1);
        if (x)
            freeReplyObject (x);
    }
    //  Warm up the connection and the allocator.
    free (s_time_list (r, cfg, 20, false, false));
    double *first = s_time_list (r, cfg, iterations, false, false);
    s_report ("first page (team, sort=due, limit 25)", first, iterations);
    double *breach = s_time_list (r, cfg, iterations, true, false);
    s_report ("first page breaching=true", breach, iterations);
    double *second = s_time_list (r, cfg, iterations, false, true);
    s_report ("second page (cursor)", second, iterations);
    static const char *const whats[] = {"console queue, 2 teams merged, 50 rows", "console counts, 2 teams",
                                        "console queue + counts"};
    for (int k = 0; k < 3; k++) {
        double *console = s_time_console (r, cfg, iterations, "qcb"[k]);
        s_report (whats[k], console, iterations);
        free (console);
    }
    if (http_port) {
        double *web = s_time_http (http_port, token, iterations);
        s_report ("GET /api/v1/tickets?team=X&sort=due", web, iterations);
        free (web);
        web = s_time_console_http (http_port, "change-me-admin", iterations);
        s_report ("GET /agent (admin: both teams, 50 rows)", web, iterations);
        free (web);
    }
    printf ("bench-queue: %ld tickets, first page p50 %.2f ms p99 %.2f ms max %.2f ms\n", n,
            s_p (first, iterations, 0.5), s_p (first, iterations, 0.99), first[iterations - 1]);
    free (first);
    free (breach);
    free (second);
    opd_redis_destroy (&r);
    opd_config_destroy (&cfg);
    return 0;
}
