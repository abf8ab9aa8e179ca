/*  bench-timers: how late opdesk-slo fires warnings and breaches with
    1,000,000 running clocks in Redis and intake under load (BENCHMARKS.md,
    "SLO timers"). bench/timers.sh drives it.

    1. Loads N running first-response clocks straight into the key layout,
       pipelined: per clock a ticket hash (id, version, status, priority,
       team, slo_policy, received_at, created_at, fr_state running, fr_due,
       fr_warn) and its one member of opd:timers ("ID|fr|w" at the warning,
       which opdesk-slo turns into "ID|fr|b" at the due time as it fires). Due times are spread evenly over
       [start + lead, start + lead + spread); each warning is 20 s before its
       due time. Redis memory per clock is used_memory after less before, over N.
    2. Starts opdesk-slo (--slo PATH) and, at the same time, a client that
       submits tickets to intake at a fixed rate (--rate per second, open
       loop), which the router and opdesk-slo then route and arm as usual.
    3. Reads the durable event stream (opd:events) as it grows and, for
       every slo.breach and slo.warning of a loaded clock, takes how late it
       fired: breached_at - due_at for a breach, at - (due_at - 20 s) for a
       warning. After --measure seconds of due times it stops opdesk-slo
       (SIGTERM) and prints p50, p99 and max, the clocks that came due but did
       not fire (lost), and the intake rate achieved.

    The last line it prints is, exactly:
    bench-timers: N clocks, breach late p50 A ms p99 B ms max C ms, warning p99 D ms, lost L, intake R/s */
#include "opd_config.h"
#include "opd_intake.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <getopt.h>
#include <math.h>
#include <msgpack.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define WARN_BEFORE_MS 20000
#define PIPE_DEPTH     2000

typedef struct {
    const char *config, *slo, *slo_log;
    long n;
    int lead_s, spread_s, measure_s, rate;
    bool settle;  //  rewrite the append-only file after the load (s_settle_aof)
    opd_config_t *cfg;
    int64_t t0;  //  due of clock 0
    atomic_bool stop;
    atomic_long sent, accepted, rejected;
    double ack_p99;
    char ack_by_span[512]; //  the ack p99 of each ACK_SPAN_MS of the load, for where the tail is
} bench_t;

static int64_t
s_due (const bench_t *b, long i)
{
    return b->t0 + (int64_t) ((double) i * (double) b->spread_s * 1000.0 / (double) b->n);
}

static long long
s_used_memory (opd_redis_t *r)
{
    redisReply *x = opd_redis_command (r, "INFO memory");
    long long v = -1;
    if (x && x->type == REDIS_REPLY_STRING) {
        const char *p = strstr (x->str, "used_memory:");
        if (p)
            v = atoll (p + 12);
    }
    if (x)
        freeReplyObject (x);
    return v;
}

static void
s_drain (opd_redis_t *r, long *pending)
{
    while (*pending > 0) {
        redisReply *x = opd_redis_get_reply (r);
        if (!x) {
            fprintf (stderr, "bench-timers: Redis failed: %s\n", opd_redis_error (r));
            exit (1);
        }
        freeReplyObject (x);
        (*pending)--;
    }
}

//  Whether Redis is rewriting its append-only file (or has one scheduled).
static bool
s_rewriting (opd_redis_t *r)
{
    redisReply *x = opd_redis_command (r, "INFO persistence");
    bool busy = x && x->type == REDIS_REPLY_STRING
                && (strstr (x->str, "aof_rewrite_in_progress:1") || strstr (x->str, "aof_rewrite_scheduled:1"));
    if (x)
        freeReplyObject (x);
    return busy;
}

//  The freshly loaded desk as one in steady state holds it: its
//  append-only file rewritten once (Redis does it on its own as the file
//  grows; here, before measuring, so that the loading's rewrites do not
//  fall in the measured minutes). Returns the seconds it took.
static double
s_settle_aof (opd_redis_t *r)
{
    int64_t t = opd_mono_ms ();
    while (s_rewriting (r))
        usleep (100000);
    redisReply *x = opd_redis_command (r, "BGREWRITEAOF");
    if (x)
        freeReplyObject (x);
    usleep (100000);
    while (s_rewriting (r))
        usleep (100000);
    return (double) (opd_mono_ms () - t) / 1000.0;
}

static void
s_load (bench_t *b, opd_redis_t *r)
{
    long pending = 0;
    for (long i = 0; i < b->n; i++) {
        char id[32], member[OPD_MEMBER_MAX];
        snprintf (id, sizeof id, "TB-%07ld", i);
        int64_t due = s_due (b, i), warn = due - WARN_BEFORE_MS, rx = due - 4 * WARN_BEFORE_MS;
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HSET");
        opd_args_addf (&a, OPD_KEY_TICKET_FMT, id);
        const char *kv[] = {"id", id, "version", "1", "status", "open", "priority", "P1", "team",
                            "service-desk", "slo_policy", "p1", "fr_state", "running", NULL};
        for (int k = 0; kv[k]; k++)
            opd_args_add (&a, kv[k]);
        opd_args_add (&a, "received_at");
        opd_args_addi (&a, rx);
        opd_args_add (&a, "created_at");
        opd_args_addi (&a, rx);
        opd_args_add (&a, "fr_due");
        opd_args_addi (&a, due);
        opd_args_add (&a, "fr_warn");
        opd_args_addi (&a, warn);
        opd_redis_append_argv (r, &a);
        opd_args_free (&a);
        opd_args_init (&a);
        opd_args_add (&a, "ZADD");
        opd_args_add (&a, OPD_KEY_TIMERS);
        opd_args_addi (&a, warn);
        opd_member_timer_t warning = {"", OPD_CLOCK_FR, 'w'};
        snprintf (warning.id, sizeof warning.id, "%s", id);
        opd_member_timer_make (member, sizeof member, &warning);
        opd_args_add (&a, member);
        opd_redis_append_argv (r, &a);
        opd_args_free (&a);
        pending += 2;
        if (pending >= PIPE_DEPTH)
            s_drain (r, &pending);
    }
    s_drain (r, &pending);
}

//  --- Intake under load ----------------------------------------------------------

static int
s_cmp_double (const void *x, const void *y)
{
    double a = *(const double *) x, c = *(const double *) y;
    return a < c ? -1 : a > c;
}

//  The ack p99 of each ACK_SPAN_MS of the intake load (by due time), into
//  b->ack_by_span: where in the run the tail is (opdesk-slo's start, the
//  measured window, a rewrite).
#define ACK_SPAN_MS 5000
static void
s_ack_by_span (bench_t *b, const double *lat, const int64_t *due, size_t n)
{
    double *part = calloc (n ? n : 1, sizeof *part);
    size_t used = 0;
    b->ack_by_span[0] = 0;
    for (int64_t from = 0; part; from += ACK_SPAN_MS) {
        size_t k = 0, later = 0;
        for (size_t i = 0; i < n; i++) {
            if (due[i] >= from && due[i] < from + ACK_SPAN_MS)
                part[k++] = lat[i];
            later += due[i] >= from + ACK_SPAN_MS;
        }
        if (k)
            qsort (part, k, sizeof *part, s_cmp_double);
        //  A span without acks is "-", so that every later value keeps its place.
        if (k)
            used += (size_t) snprintf (b->ack_by_span + used, sizeof b->ack_by_span - used, "%s%.0f",
                                       used ? " " : "", part[(size_t) ceil (0.99 * (double) k) - 1]);
        else
            used += (size_t) snprintf (b->ack_by_span + used, sizeof b->ack_by_span - used, "%s-", used ? " " : "");
        if (!later || used >= sizeof b->ack_by_span)
            break;
    }
    free (part);
}

static void *
s_intake_thread (void *arg)
{
    bench_t *b = arg;
    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    opd_curve_client (s, &b->cfg->curve);
    zmq_connect (s, b->cfg->ep_intake);
    size_t cap = 1 << 20;
    int64_t *sent_at = calloc (cap, sizeof *sent_at);
    double *lat = calloc (cap, sizeof *lat);
    int64_t *lat_due = calloc (cap, sizeof *lat_due);
    size_t head = 0, tail = 0, nlat = 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    int64_t start = opd_mono_ms ();
    long i = 0;
    char ext[64];
    while (!atomic_load (&b->stop)) {
        //  Open loop: everything due by now is sent, whatever the replies do.
        int64_t now = opd_mono_ms ();
        while ((double) i < (double) (now - start) * b->rate / 1000.0 && tail - head < cap) {
            msgpack_sbuffer_clear (&buf);
            msgpack_packer pk;
            msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
            msgpack_pack_map (&pk, 8);
            opd_pack_kv_int (&pk, "v", 1);
            opd_pack_kv_str (&pk, "type", "intake.submit");
            opd_pack_kv_str (&pk, "channel", "api");
            snprintf (ext, sizeof ext, "bench-timers-%d-%ld", (int) getpid (), i);
            opd_pack_kv_str (&pk, "external_id", ext);
            opd_pack_str (&pk, "requester");
            msgpack_pack_map (&pk, 1);
            opd_pack_kv_str (&pk, "email", "bench.user@example.org");
            opd_pack_kv_str (&pk, "subject", "Printer on floor 3 is jammed again");
            opd_pack_kv_str (&pk, "body", "It shows error 42 and will not print.");
            opd_pack_kv_str (&pk, "priority", "P3");
            zmq_send (s, "", 0, ZMQ_SNDMORE);
            zmq_send (s, buf.data, buf.size, 0);
            sent_at[tail++ % cap] = start + (int64_t) ((double) i * 1000.0 / b->rate);
            i++;
            atomic_fetch_add (&b->sent, 1);
        }
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 1) <= 0)
            continue;
        while (true) {
            char frame[1024];
            int len = zmq_recv (s, frame, sizeof frame, ZMQ_DONTWAIT);
            if (len < 0)
                break;
            if (len == 0)
                len = zmq_recv (s, frame, sizeof frame, 0);
            opd_intake_reply_t rep;
            if (len > 0 && !opd_intake_reply_decode (frame, (size_t) len, &rep) && rep.accepted)
                atomic_fetch_add (&b->accepted, 1);
            else
                atomic_fetch_add (&b->rejected, 1);
            if (head < tail && nlat < cap) {
                lat_due[nlat] = sent_at[head % cap] - start;
                lat[nlat++] = (double) (opd_mono_ms () - sent_at[head++ % cap]);
            }
        }
    }
    s_ack_by_span (b, lat, lat_due, nlat);
    qsort (lat, nlat, sizeof *lat, s_cmp_double);
    b->ack_p99 = nlat ? lat[(size_t) ceil (0.99 * (double) nlat) - 1] : 0;
    msgpack_sbuffer_destroy (&buf);
    free (sent_at);
    free (lat);
    free (lat_due);
    zmq_close (s);
    zmq_ctx_term (ctx);
    return NULL;
}

//  --- Reading the event stream ------------------------------------------------------

static bool
s_get_int (const msgpack_object *map, const char *key, int64_t *v)
{
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key, *x = &map->via.map.ptr[i].val;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen (key)
            && !memcmp (k->via.str.ptr, key, k->via.str.size)) {
            if (x->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                *v = (int64_t) x->via.u64;
            else if (x->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                *v = x->via.i64;
            else
                return false;
            return true;
        }
    }
    return false;
}

static bool
s_get_str (const msgpack_object *map, const char *key, char *out, size_t size)
{
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key, *x = &map->via.map.ptr[i].val;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen (key)
            && !memcmp (k->via.str.ptr, key, k->via.str.size) && x->type == MSGPACK_OBJECT_STR) {
            snprintf (out, size, "%.*s", (int) x->via.str.size, x->via.str.ptr);
            return true;
        }
    }
    return false;
}

typedef struct {
    double *v;
    long n;
} series_t;

static void
s_stats (series_t *s, double *p50, double *p99, double *max)
{
    *p50 = *p99 = *max = 0;
    if (!s->n)
        return;
    qsort (s->v, (size_t) s->n, sizeof *s->v, s_cmp_double);
    *p50 = s->v[(long) ceil (0.50 * (double) s->n) - 1];
    *p99 = s->v[(long) ceil (0.99 * (double) s->n) - 1];
    *max = s->v[s->n - 1];
}

int
main (int argc, char **argv)
{
    bench_t b = {.slo_log = "/dev/null", .n = 1000000, .lead_s = 60, .spread_s = 1800, .measure_s = 180, .rate = 2000,
                 .settle = true};
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'}, {"slo", required_argument, 0, 's'},
        {"clocks", required_argument, 0, 'n'}, {"lead", required_argument, 0, 'l'},
        {"spread", required_argument, 0, 'p'}, {"measure", required_argument, 0, 'm'},
        {"rate", required_argument, 0, 'r'},   {"slo-log", required_argument, 0, 'g'},
        {"no-settle", no_argument, 0, 'S'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long (argc, argv, "c:s:n:l:p:m:r:g:h", longopts, NULL)) != -1) {
        switch (o) {
        case 'c': b.config = optarg; break;
        case 's': b.slo = optarg; break;
        case 'n': b.n = atol (optarg); break;
        case 'l': b.lead_s = atoi (optarg); break;
        case 'p': b.spread_s = atoi (optarg); break;
        case 'm': b.measure_s = atoi (optarg); break;
        case 'r': b.rate = atoi (optarg); break;
        case 'g': b.slo_log = optarg; break;
        case 'S': b.settle = false; break;
        default:
            printf ("usage: bench-timers --config FILE --slo PATH/opdesk-slo [--clocks N (1000000)]\n"
                    "       [--lead S (60)] [--spread S (1800)] [--measure S (180)] [--rate R/s (2000)]\n"
                    "       [--slo-log FILE (/dev/null)] [--no-settle]\n");
            return o == 'h' ? 0 : 2;
        }
    }
    char err[512];
    if (b.lead_s * 1000 <= WARN_BEFORE_MS + 2000) {
        fprintf (stderr, "bench-timers: --lead must be more than %d s, so that the first warnings are "
                         "due after opdesk-slo started\n", WARN_BEFORE_MS / 1000 + 2);
        return 2;
    }
    if (!b.config || !b.slo || b.n <= 0 || b.spread_s <= 0) {
        fprintf (stderr, "bench-timers: --config and --slo are needed (try --help)\n");
        return 2;
    }
    b.cfg = opd_config_load (b.config, err, sizeof err);
    if (!b.cfg) {
        fprintf (stderr, "bench-timers: %s: %s\n", b.config, err);
        return 2;
    }
    opd_redis_t *r = opd_redis_new (b.cfg);
    opd_redis_set_timeout (r, 60000);
    if (opd_redis_connect (r)) {
        fprintf (stderr, "bench-timers: Redis: %s\n", opd_redis_error (r));
        return 1;
    }

    //  1. Load, timing it and measuring memory.
    long long mem0 = s_used_memory (r);
    redisReply *x = opd_redis_command (r, "MEMORY USAGE " OPD_KEY_TIMERS);
    long long timers0 = x && x->type == REDIS_REPLY_INTEGER ? x->integer : 0;
    if (x)
        freeReplyObject (x);
    int64_t load_start = opd_mono_ms ();
    //  Due times start after the load (planned as 20 s per million) and the lead.
    b.t0 = opd_now_ms () + (int64_t) (b.n / 50) + b.lead_s * 1000LL;
    s_load (&b, r);
    double load_s = (double) (opd_mono_ms () - load_start) / 1000.0;
    long long mem1 = s_used_memory (r);
    x = opd_redis_command (r, "MEMORY USAGE " OPD_KEY_TIMERS);
    long long timers1 = x && x->type == REDIS_REPLY_INTEGER ? x->integer : 0;
    if (x)
        freeReplyObject (x);
    x = opd_redis_command (r, "MEMORY USAGE " OPD_KEY_TICKET_FMT, "TB-0000001");
    long long hash1 = x && x->type == REDIS_REPLY_INTEGER ? x->integer : 0;
    if (x)
        freeReplyObject (x);
    double per_clock = (double) (mem1 - mem0) / (double) b.n;
    double per_timer = (double) (timers1 - timers0) / (double) b.n;
    printf ("bench-timers: loaded %ld running clocks in %.1f s (%.0f/s); Redis memory %.0f bytes per clock "
            "(the ticket hash ~%lld bytes, its timer ~%.0f bytes in opd:timers)\n",
            b.n, load_s, (double) b.n / load_s, per_clock, hash1, per_timer);
    if (b.settle)
        printf ("bench-timers: append-only file rewritten after the load in %.1f s (--no-settle: not)\n",
                s_settle_aof (r));
    if (opd_now_ms () > b.t0 - 2000)
        fprintf (stderr, "bench-timers: warning: the load took longer than planned; the first clocks "
                         "may be due before opdesk-slo starts (raise --lead)\n");

    //  Where the stream stands now: only later events are read.
    x = opd_redis_command (r, "XREVRANGE " OPD_KEY_EVENTS " + - COUNT 1");
    char last_id[64] = "0-0";
    if (x && x->type == REDIS_REPLY_ARRAY && x->elements == 1)
        snprintf (last_id, sizeof last_id, "%s", opd_reply_str (x->element[0], 0));
    if (x)
        freeReplyObject (x);

    //  2. opdesk-slo and the intake load.
    fflush (stdout);
    fflush (stderr);
    pid_t slo = fork ();
    if (slo == 0) {
        if (!freopen (b.slo_log, "a", stdout) || !freopen (b.slo_log, "a", stderr))
            _exit (127);
        execl (b.slo, b.slo, "--config", b.config, (char *) NULL);
        _exit (127);
    }
    pthread_t intake;
    if (b.rate > 0)
        pthread_create (&intake, NULL, s_intake_thread, &b);
    int64_t intake_start = opd_mono_ms ();

    //  3. Read events until the measured due times have passed (+3 s).
    long measured = (long) ((double) b.n * (double) (b.measure_s < b.spread_s ? b.measure_s : b.spread_s)
                            / (double) b.spread_s);
    int64_t end = s_due (&b, measured > 0 ? measured - 1 : 0) + 3000;
    series_t breach = {calloc ((size_t) measured + 1, sizeof (double)), 0};
    series_t warning = {calloc ((size_t) measured + 1, sizeof (double)), 0};
    char *fired = calloc ((size_t) b.n, 1);
    long dup = 0;
    while (opd_now_ms () < end) {
        x = opd_redis_command (r, "XREAD COUNT 5000 BLOCK 200 STREAMS " OPD_KEY_EVENTS " %s", last_id);
        if (!x) {
            fprintf (stderr, "bench-timers: Redis: %s\n", opd_redis_error (r));
            break;
        }
        if (x->type == REDIS_REPLY_ARRAY && x->elements == 1) {
            const redisReply *entries = x->element[0]->element[1];
            for (size_t i = 0; i < entries->elements; i++) {
                const redisReply *e = entries->element[i];
                snprintf (last_id, sizeof last_id, "%s", e->element[0]->str);
                const redisReply *f = e->element[1];
                const char *topic = NULL;
                const redisReply *m = NULL;
                for (size_t k = 0; k + 1 < f->elements; k += 2) {
                    if (!strcmp (f->element[k]->str, "t"))
                        topic = f->element[k + 1]->str;
                    else if (!strcmp (f->element[k]->str, "m"))
                        m = f->element[k + 1];
                }
                if (!topic || !m || (strcmp (topic, "slo.breach") && strcmp (topic, "slo.warning")))
                    continue;
                msgpack_unpacked u;
                msgpack_unpacked_init (&u);
                if (msgpack_unpack_next (&u, m->str, m->len, NULL) == MSGPACK_UNPACK_SUCCESS
                    && u.data.type == MSGPACK_OBJECT_MAP) {
                    char tid[64];
                    int64_t due = 0, at = 0;
                    bool isb = !strcmp (topic, "slo.breach");
                    if (s_get_str (&u.data, "ticket_id", tid, sizeof tid) && !strncmp (tid, "TB-", 3)
                        && s_get_int (&u.data, "due_at", &due)
                        && s_get_int (&u.data, isb ? "breached_at" : "at", &at)) {
                        long idx = atol (tid + 3);
                        if (idx >= 0 && idx < b.n) {
                            if (fired[idx] & (isb ? 2 : 1))
                                dup++;
                            fired[idx] |= isb ? 2 : 1;
                            series_t *s = isb ? &breach : &warning;
                            if (idx < measured)
                                s->v[s->n++] = (double) (at - (isb ? due : due - WARN_BEFORE_MS));
                        }
                    }
                }
                msgpack_unpacked_destroy (&u);
            }
        }
        freeReplyObject (x);
    }
    atomic_store (&b.stop, true);
    double intake_s = (double) (opd_mono_ms () - intake_start) / 1000.0;
    if (b.rate > 0)
        pthread_join (intake, NULL);
    kill (slo, SIGTERM);
    int status = 0;
    waitpid (slo, &status, 0);

    long lost = 0;
    for (long i = 0; i < measured; i++)
        if (fired[i] != 3)
            lost++;
    double bp50, bp99, bmax, wp50, wp99, wmax;
    s_stats (&breach, &bp50, &bp99, &bmax);
    s_stats (&warning, &wp50, &wp99, &wmax);
    double fire_rate = (double) (breach.n + warning.n) / (double) (b.measure_s < b.spread_s ? b.measure_s : b.spread_s);
    printf ("bench-timers: %ld clocks due in the measured %d s (%.0f timers/s fired); breaches %ld, "
            "warnings %ld, fired twice %ld; opdesk-slo exit %d\n",
            measured, b.measure_s < b.spread_s ? b.measure_s : b.spread_s, fire_rate, breach.n, warning.n,
            dup, WIFEXITED (status) ? WEXITSTATUS (status) : -1);
    printf ("bench-timers: breach late ms p50 %.0f p99 %.0f max %.0f; warning late ms p50 %.0f p99 %.0f max %.0f\n",
            bp50, bp99, bmax, wp50, wp99, wmax);
    printf ("bench-timers: intake at the same time: %ld sent, %ld accepted, %ld rejected in %.1f s = %.0f/s "
            "accepted, ack p99 %.0f ms\n",
            atomic_load (&b.sent), atomic_load (&b.accepted), atomic_load (&b.rejected), intake_s,
            (double) atomic_load (&b.accepted) / intake_s, b.ack_p99);
    printf ("bench-timers: intake ack p99 in each %d s from opdesk-slo's start (ms): %s\n", ACK_SPAN_MS / 1000,
            b.ack_by_span);
    printf ("bench-timers: %ld clocks, breach late p50 %.0f ms p99 %.0f ms max %.0f ms, warning p99 %.0f ms, "
            "lost %ld, intake %.0f/s\n",
            b.n, bp50, bp99, bmax, wp99, lost, (double) atomic_load (&b.accepted) / intake_s);
    free (fired);
    free (breach.v);
    free (warning.v);
    opd_redis_destroy (&r);
    opd_config_destroy (&b.cfg);
    return lost == 0 && dup == 0 ? 0 : 1;
}
