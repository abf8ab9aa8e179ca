/*  opdesk-bench: the end-to-end load generator (BENCHMARKS.md).

    Against a running stack (intake, router, slo, notifier) described by a
    configuration file, it measures:

    1. end to end: N tickets submitted through intake by M DEALER clients,
       each keeping up to K requests in flight; the ack latency of every
       request, and the rate until every ticket is routed and has its SLO
       clocks armed (opd:unrouted and opd:slo:work empty, opd:seq advanced
       by N). Redis memory per ticket over the whole life so far.
    2. a fixed rate (default 2,000 tickets/s, open loop): ack latency
       measured from the moment each request was due, so that a stall is
       not hidden by the generator waiting for it.
    3. the scripts alone: the same create script with the same arguments
       intake sends, issued straight to Redis by one pipelined client, in a
       flushed database of its own (db 1, so that the running services do
       not see it), then the route and arm scripts for the same tickets; and
       the memory one created ticket takes.

    With --pids it also reads the CPU time of every process of the stack
    from /proc/PID/stat before and after the end-to-end phase.

    The last line it prints is, exactly:
    bench: result end_to_end=E ack_p99_ms=P create_alone=C
    where P is the ack p99 at the fixed rate. bench/run.sh runs the
    yardstick (../shared/yardstick) afterwards and prints the line of
    `make bench` from it and this one. */
#include "opd_config.h"
#include "opd_intake.h"
#include "opd_log.h"
#include "opd_redis.h"
#include "opd_store.h"
#include "opd_util.h"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_CLIENTS  64
#define LIMIT_DEPTH  512
#define STALL_MS     30000
#define DRAIN_MS     150000

typedef struct {
    const char *config;
    long n;            //  tickets in the end-to-end run
    int clients;       //  DEALER sockets
    int inflight;      //  per socket
    long rate;         //  tickets/s of the fixed-rate run (0: skip)
    double rate_secs;  //  its length
    long warmup;
    bool slo;          //  wait for opd:slo:work to empty as well
    bool limit;        //  run the create script alone (for the analysis)
    const char *pids;  //  NAME=PID,... of the stack's processes, for CPU per ticket
} opts_t;

#define MAX_PROCS 16

//  One process of the stack whose CPU time is read from /proc/PID/stat.
typedef struct {
    char name[32];
    int pid;
    double cpu0;  //  seconds (utime + stime) when the measured phase began
} proc_t;

typedef struct {
    opd_config_t *cfg;
    opd_redis_t *redis;  //  db of the services: progress and memory
    proc_t procs[MAX_PROCS];
    int nprocs;
    void *zctx;
    const opts_t *o;
    long serial;         //  external ids of this process stay unique
    char run_id[32];
} bench_t;

//  One DEALER socket with a FIFO of the times its requests were sent:
//  intake answers each peer in order.
typedef struct {
    void *sock;
    int64_t *sent_ns;
    long head, tail, cap;
} client_t;

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *s_subjects[] = {
    "VPN is down at site %ld",
    "Printer on floor %ld is jammed",
    "Laptop will not boot after update %ld",
    "Remote access token expired (%ld)",
    "Cannot open shared drive %ld",
};

static const char *s_body =
    "Hello service desk,\n\nsince this morning I cannot do my work: the problem in the "
    "subject started after I came back from lunch and has not gone away after a restart. "
    "Colleagues next to me see the same. Could someone please have a look?\n\nThanks, a user\n";

//  Subject of ticket i into buf.
static void
s_subject (long i, char *buf, size_t size)
{
    snprintf (buf, size, s_subjects[i % 5], i);
}

//  An intake.submit frame for ticket i.
static void
s_pack_submit (bench_t *b, long i, msgpack_sbuffer *buf)
{
    char subject[128], ext[96];
    s_subject (i, subject, sizeof subject);
    snprintf (ext, sizeof ext, "bench-%s-%ld", b->run_id, i);
    msgpack_sbuffer_clear (buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.submit");
    opd_pack_kv_str (&pk, "channel", "api");
    opd_pack_kv_str (&pk, "external_id", ext);
    opd_pack_str (&pk, "requester");
    msgpack_pack_map (&pk, 2);
    opd_pack_kv_str (&pk, "name", "Bench User");
    opd_pack_kv_str (&pk, "email", "bench.user@example.org");
    opd_pack_kv_str (&pk, "subject", subject);
    opd_pack_kv_str (&pk, "body", s_body);
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double p50, p99, max;  //  ms
} lat_t;

static lat_t
s_percentiles (double *ms, long n)
{
    lat_t l = {0, 0, 0};
    if (n <= 0)
        return l;
    qsort (ms, (size_t) n, sizeof (double), s_cmp_double);
    l.p50 = ms[(long) floor (0.50 * (double) (n - 1))];
    l.p99 = ms[(long) floor (0.99 * (double) (n - 1))];
    l.max = ms[n - 1];
    return l;
}

static int
s_clients_open (bench_t *b, client_t *c, int m, long cap)
{
    for (int i = 0; i < m; i++) {
        memset (&c[i], 0, sizeof c[i]);
        c[i].sock = zmq_socket (b->zctx, ZMQ_DEALER);
        int hwm = 0, linger = 0;
        zmq_setsockopt (c[i].sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt (c[i].sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt (c[i].sock, ZMQ_LINGER, &linger, sizeof linger);
        if (opd_curve_client (c[i].sock, &b->cfg->curve) || zmq_connect (c[i].sock, b->cfg->ep_intake)) {
            fprintf (stderr, "bench: cannot connect to %s: %s\n", b->cfg->ep_intake,
                     zmq_strerror (zmq_errno ()));
            return -1;
        }
        c[i].cap = cap;
        c[i].sent_ns = opd_calloc ((size_t) cap, sizeof (int64_t));
    }
    return 0;
}

static void
s_clients_close (client_t *c, int m)
{
    for (int i = 0; i < m; i++) {
        zmq_close (c[i].sock);
        free (c[i].sent_ns);
    }
}

static void
s_send (client_t *c, msgpack_sbuffer *buf, int64_t due_ns)
{
    zmq_send (c->sock, "", 0, ZMQ_SNDMORE);
    zmq_send (c->sock, buf->data, buf->size, 0);
    c->sent_ns[c->tail++ % c->cap] = due_ns;
}

//  Reads one reply from a client whose socket is readable. Returns the
//  latency in ms, or -1 when the reply was not an acceptance (*rejected set).
static double
s_recv (client_t *c, int64_t now_ns, long *rejected)
{
    char frame[2048];
    int more = 0;
    size_t more_len = sizeof more;
    int len = zmq_recv (c->sock, frame, sizeof frame, 0);  //  the empty delimiter
    zmq_getsockopt (c->sock, ZMQ_RCVMORE, &more, &more_len);
    if (len == 0 && more)
        len = zmq_recv (c->sock, frame, sizeof frame, 0);
    int64_t sent = c->sent_ns[c->head++ % c->cap];
    opd_intake_reply_t rep;
    if (len < 0 || opd_intake_reply_decode (frame, (size_t) (len > (int) sizeof frame ? (int) sizeof frame : len), &rep)
        || !rep.accepted) {
        if (*rejected == 0)
            fprintf (stderr, "bench: a request was not accepted: %s %s\n", len < 0 ? "" : rep.code,
                     len < 0 ? zmq_strerror (zmq_errno ()) : rep.error);
        (*rejected)++;
        return -1;
    }
    return (double) (now_ns - sent) / 1e6;
}

//  Closed loop: n tickets, every client keeping up to k in flight.
//  Latencies (ms) go into lat (n long). Returns the number acknowledged.
static long
s_closed_loop (bench_t *b, long n, double *lat, long *rejected)
{
    int m = b->o->clients;
    int k = b->o->inflight;
    client_t c[MAX_CLIENTS];
    if (s_clients_open (b, c, m, k + 1))
        return -1;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    zmq_pollitem_t items[MAX_CLIENTS];
    for (int i = 0; i < m; i++)
        items[i] = (zmq_pollitem_t) {c[i].sock, 0, ZMQ_POLLIN, 0};
    long sent = 0, done = 0, nlat = 0;
    int64_t last_progress = s_now_ns ();
    while (done < n) {
        for (int i = 0; i < m; i++)
            while (sent < n && c[i].tail - c[i].head < k) {
                s_pack_submit (b, b->serial + sent, &buf);
                sent++;
                s_send (&c[i], &buf, s_now_ns ());
            }
        if (zmq_poll (items, m, 1000) < 0)
            break;
        int64_t now = s_now_ns ();
        for (int i = 0; i < m; i++)
            while (c[i].head < c[i].tail) {
                int ev = 0;
                size_t evl = sizeof ev;
                zmq_getsockopt (c[i].sock, ZMQ_EVENTS, &ev, &evl);
                if (!(ev & ZMQ_POLLIN))
                    break;
                double ms = s_recv (&c[i], now, rejected);
                if (ms >= 0)
                    lat[nlat++] = ms;
                done++;
                last_progress = now;
            }
        if ((now - last_progress) / 1000000 > STALL_MS) {
            fprintf (stderr, "bench: no reply for %d s, giving up (sent %ld, answered %ld)\n",
                     STALL_MS / 1000, sent, done);
            break;
        }
    }
    b->serial += sent;
    msgpack_sbuffer_destroy (&buf);
    s_clients_close (c, m);
    return nlat;
}

//  Sleeps until a client may have a reply or until the instant until (ns).
//  Not zmq_poll, whose timeout is in whole milliseconds: the generator
//  would send a request up to a millisecond after its due time, and that
//  wait would count as the stack's latency. Each socket's ZMQ_FD only says
//  that something changed, so its ZMQ_EVENTS is read first (zmq_getsockopt
//  manual). Returns 0, or -1 when the wait failed.
static int
s_wait_until (client_t *c, int m, int64_t until)
{
    struct pollfd fds[MAX_CLIENTS];
    for (int i = 0; i < m; i++) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt (c[i].sock, ZMQ_EVENTS, &events, &len))
            return -1;
        if (events & ZMQ_POLLIN)
            return 0;
        len = sizeof fds[i].fd;
        if (zmq_getsockopt (c[i].sock, ZMQ_FD, &fds[i].fd, &len))
            return -1;
        fds[i].events = POLLIN;
        fds[i].revents = 0;
    }
    int64_t left = until - s_now_ns ();
    if (left <= 0)
        return 0;
    struct timespec ts = {(time_t) (left / 1000000000), (long) (left % 1000000000)};
    if (ppoll (fds, (nfds_t) m, &ts, NULL) < 0 && errno != EINTR)
        return -1;
    return 0;
}

//  Open loop at a fixed rate: request i is due at start + i / rate and its
//  latency counts from then.
static long
s_fixed_rate (bench_t *b, long n, long rate, double *lat, long *rejected, double *late_ms)
{
    int m = b->o->clients;
    client_t c[MAX_CLIENTS];
    if (s_clients_open (b, c, m, n + 1))
        return -1;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    long sent = 0, done = 0, nlat = 0;
    *late_ms = 0;
    int64_t start = s_now_ns () + 1000000;
    int64_t last_progress = start;
    while (done < n) {
        int64_t now = s_now_ns ();
        while (sent < n) {
            int64_t due = start + (int64_t) ((double) sent * 1e9 / (double) rate);
            if (due > now)
                break;
            double late = (double) (now - due) / 1e6;
            if (late > *late_ms)
                *late_ms = late;
            s_pack_submit (b, b->serial + sent, &buf);
            s_send (&c[sent % m], &buf, due);
            sent++;
        }
        int64_t until = now + 100000000;
        if (sent < n)
            until = start + (int64_t) ((double) sent * 1e9 / (double) rate);
        if (s_wait_until (c, m, until) < 0)
            break;
        now = s_now_ns ();
        for (int i = 0; i < m; i++)
            while (c[i].head < c[i].tail) {
                int ev = 0;
                size_t evl = sizeof ev;
                zmq_getsockopt (c[i].sock, ZMQ_EVENTS, &ev, &evl);
                if (!(ev & ZMQ_POLLIN))
                    break;
                double ms = s_recv (&c[i], now, rejected);
                if (ms >= 0)
                    lat[nlat++] = ms;
                done++;
                last_progress = now;
            }
        if (now > last_progress && (now - last_progress) / 1000000 > STALL_MS) {
            fprintf (stderr, "bench: no reply for %d s, giving up\n", STALL_MS / 1000);
            break;
        }
    }
    b->serial += sent;
    msgpack_sbuffer_destroy (&buf);
    s_clients_close (c, m);
    return nlat;
}

//  An integer reply of "VERB key" (GET opd:seq, ZCARD opd:unrouted); -1 on error.
static long long
s_int_command (bench_t *b, const char *verb, const char *key)
{
    redisReply *r = opd_redis_command (b->redis, "%s %s", verb, key);
    long long v = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else if (r && r->type == REDIS_REPLY_STRING)
        v = atoll (r->str);
    else if (r && r->type == REDIS_REPLY_NIL)
        v = 0;
    if (r)
        freeReplyObject (r);
    return v;
}

static long long
s_used_memory (opd_redis_t *redis)
{
    redisReply *r = opd_redis_command (redis, "INFO memory");
    long long v = -1;
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *p = strstr (r->str, "used_memory:");
        if (p)
            v = atoll (p + 12);
    }
    if (r)
        freeReplyObject (r);
    return v;
}

//  Redis's own CPU time (user + sys), in seconds; -1 on error.
static double
s_redis_cpu (opd_redis_t *redis)
{
    redisReply *r = opd_redis_command (redis, "INFO cpu");
    double v = -1;
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *u = strstr (r->str, "used_cpu_user:");
        const char *y = strstr (r->str, "used_cpu_sys:");
        if (u && y)
            v = atof (u + 14) + atof (y + 13);
    }
    if (r)
        freeReplyObject (r);
    return v;
}

//  A number of INFO section (e.g. "total_forks" of "stats"); -1 when
//  missing.
static double
s_info (opd_redis_t *redis, const char *section, const char *field)
{
    redisReply *r = opd_redis_command (redis, "INFO %s", section);
    double v = -1;
    if (r && r->type == REDIS_REPLY_STRING) {
        char key[64];
        snprintf (key, sizeof key, "\n%s:", field);
        const char *at = strstr (r->str, key);
        if (at)
            v = atof (at + strlen (key));
    }
    if (r)
        freeReplyObject (r);
    return v;
}

//  CPU seconds (utime + stime) a process has used so far, from
//  /proc/PID/stat; -1 when it cannot be read (the process is gone).
static double
s_proc_cpu (int pid)
{
    char path[64], line[1024];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    size_t len = fread (line, 1, sizeof line - 1, f);
    fclose (f);
    line[len] = 0;
    //  Fields 14 and 15 (utime, stime), counted after the ')' ending the name.
    const char *p = strrchr (line, ')');
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double) (ut + st) / (double) sysconf (_SC_CLK_TCK);
}

//  Reads the --pids list (NAME=PID,NAME=PID...) and adds this process.
static void
s_procs_parse (bench_t *b, const char *list)
{
    b->nprocs = 0;
    char *copy = opd_strdup (list ? list : "");
    for (char *save = NULL, *t = strtok_r (copy, ",", &save); t && b->nprocs < MAX_PROCS - 1;
         t = strtok_r (NULL, ",", &save)) {
        proc_t *p = &b->procs[b->nprocs];
        if (sscanf (t, "%31[^=]=%d", p->name, &p->pid) == 2)
            b->nprocs++;
    }
    free (copy);
    proc_t *self = &b->procs[b->nprocs++];
    snprintf (self->name, sizeof self->name, "opdesk-bench");
    self->pid = (int) getpid ();
}

static void
s_procs_start (bench_t *b)
{
    for (int i = 0; i < b->nprocs; i++)
        b->procs[i].cpu0 = s_proc_cpu (b->procs[i].pid);
}

//  Sends sig to the notifier and the SMTP sink of the --pids list.
static void
s_procs_signal (bench_t *b, int sig)
{
    for (int i = 0; i < b->nprocs; i++)
        if (!strcmp (b->procs[i].name, "notifier") || !strcmp (b->procs[i].name, "smtp"))
            kill (b->procs[i].pid, sig);
}

//  CPU microseconds per ticket of every process since s_procs_start.
static void
s_procs_print (bench_t *b, long tickets)
{
    char line[1024] = "";
    size_t used = 0;
    double total = 0;
    for (int i = 0; i < b->nprocs; i++) {
        double now = s_proc_cpu (b->procs[i].pid);
        if (now < 0 || b->procs[i].cpu0 < 0)
            continue;
        double us = 1e6 * (now - b->procs[i].cpu0) / (double) tickets;
        total += us;
        int w = snprintf (line + used, sizeof line - used, "%s %.0f, ", b->procs[i].name, us);
        if (w > 0 && (size_t) w < sizeof line - used)
            used += (size_t) w;
    }
    printf ("bench: CPU us per ticket, end to end (/proc/PID/stat): %stotal %.0f\n", line, total);
}

//  Starts Redis's command statistics (and fork count) from zero.
static void
s_reset_stats (opd_redis_t *redis)
{
    redisReply *r = opd_redis_command (redis, "CONFIG RESETSTAT");
    if (r)
        freeReplyObject (r);
}

//  Where Redis spent its time since the last CONFIG RESETSTAT: the commands
//  by total time, each with calls and microseconds per call, per ticket.
static void
s_print_commandstats (opd_redis_t *redis, long tickets, const char *run)
{
    redisReply *r = opd_redis_command (redis, "INFO commandstats");
    if (!r || r->type != REDIS_REPLY_STRING) {
        if (r)
            freeReplyObject (r);
        return;
    }
    //  Lines: cmdstat_fcall:calls=N,usec=U,usec_per_call=P,...
    char *copy = opd_strdup (r->str);
    freeReplyObject (r);
    double total = 0;
    long long ncalls = 0;  //  every command but EVALSHA and FCALL: inside scripts and outside
    char line[1024] = "";
    size_t used = 0;
    for (char *save = NULL, *l = strtok_r (copy, "\r\n", &save); l; l = strtok_r (NULL, "\r\n", &save)) {
        char name[64];
        long long calls = 0, usec = 0;
        if (sscanf (l, "cmdstat_%63[^:]:calls=%lld,usec=%lld", name, &calls, &usec) != 3)
            continue;
        total += (double) usec;
        if (strcmp (name, "evalsha") && strcmp (name, "fcall"))
            ncalls += calls;
        if ((double) usec / (double) tickets < 0.5)  //  below half a microsecond per ticket
            continue;
        int w = snprintf (line + used, sizeof line - used, "%s%s %.0f us/ticket (%lld calls, %.1f us/call)",
                          used ? "; " : "", name, (double) usec / (double) tickets, calls,
                          calls ? (double) usec / (double) calls : 0.0);
        if (w > 0 && (size_t) w < sizeof line - used)
            used += (size_t) w;
    }
    free (copy);
    printf ("bench: redis commands per ticket during the %s run, inside scripts and "
            "outside: %.1f\n", run, (double) ncalls / (double) tickets);
    printf ("bench: redis time by command during the %s run (the commands inside the "
            "scripts count both alone and in fcall): %s\n", run, line);
    (void) total;
}

//  MEMORY USAGE of a key (SAMPLES 0: every element counted); 0 when absent.
static double
s_key_memory (opd_redis_t *redis, const char *key)
{
    redisReply *r = opd_redis_command (redis, "MEMORY USAGE %s SAMPLES 0", key);
    double v = r && r->type == REDIS_REPLY_INTEGER ? (double) r->integer : 0;
    if (r)
        freeReplyObject (r);
    return v;
}

//  Where a routed and armed ticket's memory is: the keys of the last ticket
//  (its hash less subject and body, history, idempotency keys) and each
//  global key's size over every ticket so far (indexes, timers, events).
static void
s_memory_breakdown (bench_t *b)
{
    long long seq = s_int_command (b, "GET", OPD_KEY_SEQ);
    if (seq <= 0)
        return;
    char id[64], key[256];
    snprintf (id, sizeof id, "%s-%lld", b->cfg->ticket_prefix, seq);
    static const char *const wanted[] = {OPD_F_SUBJECT, OPD_F_BODY, OPD_F_CHANNEL, OPD_F_EXTERNAL_ID};
    redisReply *f = opd_store_fields (b->redis, id, wanted, 4);
    if (!f || f->type != REDIS_REPLY_ARRAY || f->elements != 4 || !opd_reply_str (f, 3)) {
        if (f)
            freeReplyObject (f);
        return;
    }
    double text = (double) (strlen (opd_reply_str (f, 0) ? opd_reply_str (f, 0) : "")
                            + strlen (opd_reply_str (f, 1) ? opd_reply_str (f, 1) : ""));
    char line[2048];
    size_t used = 0;
    double total = 0;
    snprintf (key, sizeof key, OPD_KEY_TICKET_FMT, id);
    double v = s_key_memory (b->redis, key) - text;
    total += v;
    used += (size_t) snprintf (line + used, sizeof line - used, "hash %.0f (text excluded)", v);
    const char *own[3][2] = {{"history", OPD_KEY_HISTORY_FMT}, {"idem", NULL}, {"ext", OPD_KEY_EXT_FMT}};
    for (int i = 0; i < 3; i++) {
        if (i == 1)
            snprintf (key, sizeof key, OPD_KEY_IDEM_FMT, opd_reply_str (f, 2) ? opd_reply_str (f, 2) : "",
                      opd_reply_str (f, 3));
        else
            snprintf (key, sizeof key, own[i][1], i == 0 ? id : opd_reply_str (f, 3));
        v = s_key_memory (b->redis, key);
        total += v;
        used += (size_t) snprintf (line + used, sizeof line - used, ", %s %.0f", own[i][0], v);
    }
    freeReplyObject (f);
    //  The global keys, shared out over every ticket.
    const char *global[] = {OPD_KEY_IDX_ALL, "opd:idx:status:*", "opd:idx:req:*", "opd:idx:team:*",
                            "opd:q:due:*", OPD_KEY_TIMERS, OPD_KEY_EVENTS, OPD_KEY_OUTBOX_READY};
    for (size_t g = 0; g < sizeof global / sizeof global[0]; g++) {
        double sum = 0;
        redisReply *keys = strchr (global[g], '*') ? opd_redis_command (b->redis, "KEYS %s", global[g]) : NULL;
        if (keys && keys->type == REDIS_REPLY_ARRAY)
            for (size_t k = 0; k < keys->elements; k++)
                sum += s_key_memory (b->redis, keys->element[k]->str);
        else if (!keys)
            sum = s_key_memory (b->redis, global[g]);
        if (keys)
            freeReplyObject (keys);
        total += sum / (double) seq;
        used += (size_t) snprintf (line + used, sizeof line - used, ", %s %.0f", global[g], sum / (double) seq);
        if (used >= sizeof line)
            break;
    }
    printf ("bench: memory by key per ticket (MEMORY USAGE; global keys over %lld tickets): %s; "
            "total %.0f bytes\n",
            seq, line, total);
}

//  Waits until opd:seq reached target and the work sets are empty.
//  Returns 0, or -1 after DRAIN_MS.
static int
s_wait_drained (bench_t *b, long long target_seq)
{
    int64_t until = opd_mono_ms () + DRAIN_MS;
    while (opd_mono_ms () < until) {
        long long seq = s_int_command (b, "GET", OPD_KEY_SEQ);
        long long unrouted = s_int_command (b, "ZCARD", OPD_KEY_UNROUTED);
        long long todo = b->o->slo ? s_int_command (b, "ZCARD", OPD_KEY_SLO_WORK) : 0;
        if (seq >= target_seq && unrouted == 0 && todo == 0)
            return 0;
        struct timespec ts = {0, 2 * 1000000};
        nanosleep (&ts, NULL);
    }
    fprintf (stderr, "bench: the stack did not drain within %d s (unrouted=%lld todo=%lld)\n",
             DRAIN_MS / 1000, s_int_command (b, "ZCARD", OPD_KEY_UNROUTED),
             s_int_command (b, "ZCARD", OPD_KEY_SLO_WORK));
    return -1;
}

//  Waits (up to DRAIN_MS) until the notifier has sent every queued
//  acknowledgement (after the warm-up, so that its mail does not run
//  into the measured phase).
static void
s_wait_outbox (bench_t *b)
{
    int64_t until = opd_mono_ms () + DRAIN_MS;
    while (opd_mono_ms () < until) {
        long long ready = s_int_command (b, "LLEN", OPD_KEY_OUTBOX_READY);
        long long busy = s_int_command (b, "LLEN", OPD_KEY_OUTBOX_BUSY);
        if (ready <= 0 && busy <= 0)
            return;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep (&ts, NULL);
    }
    fprintf (stderr, "bench: the outbox did not drain within %d s\n", DRAIN_MS / 1000);
}

typedef void (call_fn) (const opd_config_t *cfg, const char *id, int64_t now, opd_store_call_t *c);

//  The router's decision for a VPN ticket.
static void
s_route_call (const opd_config_t *cfg, const char *id, int64_t now, opd_store_call_t *c)
{
    opd_store_route_t d = {"network", "network/vpn", "P2", "vpn", "vpn-basics", "", ""};
    opd_store_route_call (c, cfg, now, id, &d);
}

//  Clocks as opdesk-slo writes them for a routed ticket (version 2).
static void
s_arm_call (const opd_config_t *cfg, const char *id, int64_t now, opd_store_call_t *c)
{
    const int64_t hours[] = {4, 16};
    opd_store_clock_t clocks[2];
    const opd_clock_t which[] = {OPD_CLOCK_FR, OPD_CLOCK_RES};
    for (int i = 0; i < 2; i++)
        clocks[i] = (opd_store_clock_t) {which[i], now + hours[i] * 3600000, now + hours[i] * 2700000,
                                         hours[i] * 3600000, false};
    opd_store_arm_call (c, cfg, now, id, "2", "standard", clocks, 2);
}

//  Runs script once per id, pipelined LIMIT_DEPTH deep; returns the seconds
//  it took, or -1 when Redis failed or a script answered an error.
static double
s_pipeline (opd_redis_t *redis, const char *script, char **ids, long n, const opd_config_t *cfg,
            call_fn *fn)
{
    int64_t t0 = s_now_ns ();
    for (long base = 0; base < n; base += LIMIT_DEPTH) {
        long batch = n - base < LIMIT_DEPTH ? n - base : LIMIT_DEPTH;
        int64_t now = opd_now_ms ();
        for (long j = 0; j < batch; j++) {
            opd_store_call_t c;
            fn (cfg, ids[base + j], now, &c);
            int rc = opd_store_call_append (redis, &c);
            opd_store_call_free (&c);
            if (rc)
                return -1;
        }
        bool bad = false;
        for (long j = 0; j < batch; j++) {
            redisReply *rep = opd_redis_get_reply (redis);
            if (!rep)
                return -1;
            if (rep->type != REDIS_REPLY_INTEGER || rep->integer != 1) {
                if (!bad)
                    fprintf (stderr, "bench: script %s answered %s\n", script,
                             rep->type == REDIS_REPLY_ERROR ? rep->str : "something unexpected");
                bad = true;
            }
            freeReplyObject (rep);
        }
        if (bad)
            return -1;
    }
    return (double) (s_now_ns () - t0) / 1e9;
}

//  The create script alone, straight into a flushed db 1 by one pipelined
//  client. Returns tickets/s; *mem_per is the memory one created ticket takes
//  beyond its subject and body.
static double
s_limit (bench_t *b, long n, double *mem_per)
{
    int saved_db = b->cfg->redis_db;
    b->cfg->redis_db = saved_db + 1;
    opd_redis_t *redis = opd_redis_new (b->cfg);
    b->cfg->redis_db = saved_db;
    opd_redis_set_timeout (redis, 30000);
    redisReply *r = opd_redis_command (redis, "FLUSHDB");
    if (!r) {
        fprintf (stderr, "bench: limit: %s\n", opd_redis_error (redis));
        opd_redis_destroy (&redis);
        return -1;
    }
    freeReplyObject (r);
    long long mem0 = s_used_memory (redis);
    double cpu0 = s_redis_cpu (redis);
    char **ids = opd_calloc ((size_t) n, sizeof (char *));
    double payload = 0;
    int64_t t0 = s_now_ns ();
    long done = 0, failed = 0;
    for (long base = 0; base < n; base += LIMIT_DEPTH) {
        long batch = n - base < LIMIT_DEPTH ? n - base : LIMIT_DEPTH;
        int64_t now = opd_now_ms ();
        for (long j = 0; j < batch; j++) {
            long i = b->serial + base + j;
            char subject[128], ext[96];
            s_subject (i, subject, sizeof subject);
            snprintf (ext, sizeof ext, "limit-%s-%ld", b->run_id, i);
            payload += (double) (strlen (subject) + strlen (s_body));
            //  Exactly what intake sends for such a request.
            opd_args_t f;
            opd_args_init (&f);
            const char *pairs[][2] = {{OPD_F_KIND, "incident"},   {OPD_F_CHANNEL, "api"},
                                      {OPD_F_EXTERNAL_ID, ext},   {OPD_F_SUBJECT, subject},
                                      {OPD_F_BODY, s_body},       {OPD_F_REQ_NAME, "Bench User"},
                                      {OPD_F_REQ_EMAIL, "bench.user@example.org"}};
            for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
                opd_args_add (&f, pairs[p][0]);
                opd_args_add (&f, pairs[p][1]);
            }
            opd_args_add (&f, OPD_F_RECEIVED_AT);
            opd_args_addi (&f, now);
            opd_store_create_t in = {.channel = "api", .external_id = ext, .author = "bench.user@example.org", .fields = &f};
            opd_store_call_t c;
            opd_store_create_call (&c, b->cfg, now, &in);
            if (opd_store_call_append (redis, &c))
                failed++;
            opd_store_call_free (&c);
            opd_args_free (&f);
        }
        for (long j = 0; j < batch; j++) {
            redisReply *rep = opd_redis_get_reply (redis);
            if (!rep) {
                fprintf (stderr, "bench: limit: %s\n", opd_redis_error (redis));
                opd_redis_destroy (&redis);
                for (long i = 0; i < done; i++)
                    free (ids[i]);
                free (ids);
                return -1;
            }
            if (rep->type == REDIS_REPLY_ARRAY && opd_reply_str (rep, 0))
                ids[done++] = opd_strdup (opd_reply_str (rep, 0));
            else
                failed++;
            freeReplyObject (rep);
        }
    }
    double secs = (double) (s_now_ns () - t0) / 1e9;
    long long mem1 = s_used_memory (redis);
    *mem_per = ((double) (mem1 - mem0) - payload) / (double) n;
    if (failed)
        fprintf (stderr, "bench: limit: %ld scripts failed\n", failed);
    //  The other two scripts of a ticket's way in, alone, for the analysis:
    //  the time each took (wall clock) and the CPU time Redis used for it
    //  (INFO cpu: less disturbed than wall time by other work on the
    //  machine; the services are idle and the notifier stopped meanwhile).
    double cpu1 = s_redis_cpu (redis);
    double route_secs = s_pipeline (redis, "route", ids, done, b->cfg, s_route_call);
    double cpu2 = s_redis_cpu (redis);
    double arm_secs = s_pipeline (redis, "arm", ids, done, b->cfg, s_arm_call);
    double cpu3 = s_redis_cpu (redis);
    double create_us = 1e6 * (cpu1 - cpu0), route_us = 1e6 * (cpu2 - cpu1), arm_us = 1e6 * (cpu3 - cpu2);
    if (done && route_secs > 0 && arm_secs > 0) {
        printf ("bench: redis time per ticket, scripts alone and pipelined: create %.0f us, route "
                "%.0f us, arm %.0f us; all three: %.0f tickets/s\n",
                1e6 * secs / (double) done, 1e6 * route_secs / (double) done,
                1e6 * arm_secs / (double) done, (double) done / (secs + route_secs + arm_secs));
        printf ("bench: redis CPU per script call (INFO cpu, scripts alone): create %.1f us, route %.1f us, "
                "arm %.1f us\n",
                create_us / (double) done, route_us / (double) done, arm_us / (double) done);
    }
    for (long i = 0; i < done; i++)
        free (ids[i]);
    free (ids);
    r = opd_redis_command (redis, "FLUSHDB");
    if (r)
        freeReplyObject (r);
    opd_redis_destroy (&redis);
    b->serial += n;
    return (double) done / secs;
}

static void
s_usage (void)
{
    printf ("opdesk-bench: end-to-end load generator for a running opdesk stack\n\n"
            "usage: opdesk-bench --config FILE [options]\n\n"
            "  -n, --tickets N     tickets in the end-to-end run (20000)\n"
            "  -c, --clients M     DEALER clients (8)\n"
            "  -k, --inflight K    requests in flight per client (16)\n"
            "  -r, --rate R        tickets/s of the fixed-rate run, 0 skips it (2000)\n"
            "  -d, --rate-secs S   length of the fixed-rate run (5)\n"
            "  -w, --warmup N      tickets before measuring (1000)\n"
            "      --no-slo        do not wait for opdesk-slo (opd:slo:work)\n"
            "      --no-limit      skip the scripts alone, straight to Redis\n"
            "      --pids LIST     NAME=PID,... of the stack, for CPU per ticket\n");
}

int
main (int argc, char **argv)
{
    opts_t o = {NULL, 20000, 8, 16, 2000, 5.0, 1000, true, true, NULL};
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'f'},   {"tickets", required_argument, 0, 'n'},
        {"clients", required_argument, 0, 'c'},  {"inflight", required_argument, 0, 'k'},
        {"rate", required_argument, 0, 'r'},     {"rate-secs", required_argument, 0, 'd'},
        {"warmup", required_argument, 0, 'w'},   {"no-slo", no_argument, 0, 'S'},
        {"no-limit", no_argument, 0, 'L'},       {"pids", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long (argc, argv, "f:n:c:k:r:d:w:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f': o.config = optarg; break;
        case 'n': o.n = atol (optarg); break;
        case 'c': o.clients = atoi (optarg); break;
        case 'k': o.inflight = atoi (optarg); break;
        case 'r': o.rate = atol (optarg); break;
        case 'd': o.rate_secs = atof (optarg); break;
        case 'w': o.warmup = atol (optarg); break;
        case 'S': o.slo = false; break;
        case 'L': o.limit = false; break;
        case 'P': o.pids = optarg; break;
        case 'h': s_usage (); return 0;
        default: s_usage (); return 2;
        }
    }
    if (o.n < 1 || o.clients < 1 || o.clients > MAX_CLIENTS || o.inflight < 1 || o.rate < 0
        || o.rate_secs <= 0 || o.warmup < 0) {
        fprintf (stderr, "opdesk-bench: bad option value (try --help)\n");
        return 2;
    }
    char err[512];
    bench_t b = {0};
    b.o = &o;
    b.cfg = opd_config_load (opd_config_locate (o.config), err, sizeof err);
    if (!b.cfg) {
        fprintf (stderr, "opdesk-bench: configuration: %s\n", err);
        return 2;
    }
    opd_log_init ("opdesk-bench", OPD_LOG_WARN);
    setvbuf (stdout, NULL, _IOLBF, 0);
    snprintf (b.run_id, sizeof b.run_id, "%" PRId64, opd_now_ms ());
    b.redis = opd_redis_new (b.cfg);
    if (opd_redis_connect (b.redis)) {
        fprintf (stderr, "opdesk-bench: %s\n", opd_redis_error (b.redis));
        return 1;
    }
    b.zctx = zmq_ctx_new ();
    s_procs_parse (&b, o.pids);
    long rejected = 0;
    int rc = 0;

    printf ("bench: intake=%s redis=%s:%d clients=%d inflight=%d tickets=%ld slo=%s\n",
            b.cfg->ep_intake, b.cfg->redis_host, b.cfg->redis_port, o.clients, o.inflight, o.n,
            o.slo ? "yes" : "no");
    //  Warm-up: connections, script cache, allocator.
    double *lat = opd_calloc ((size_t) (o.n > o.warmup ? o.n : o.warmup) + 1, sizeof (double));
    if (o.warmup) {
        long long seq0 = s_int_command (&b, "GET", OPD_KEY_SEQ);
        s_closed_loop (&b, o.warmup, lat, &rejected);
        if (s_wait_drained (&b, seq0 + o.warmup))
            rc = 1;
        s_wait_outbox (&b);
    }

    //  1. End to end.
    long long seq0 = s_int_command (&b, "GET", OPD_KEY_SEQ);
    long long mem0 = s_used_memory (b.redis);
    s_reset_stats (b.redis);
    double cpu0 = s_redis_cpu (b.redis);
    s_procs_start (&b);
    int64_t t0 = s_now_ns ();
    long acked = s_closed_loop (&b, o.n, lat, &rejected);
    double ack_secs = (double) (s_now_ns () - t0) / 1e9;
    if (acked != o.n || s_wait_drained (&b, seq0 + o.n))
        rc = 1;
    double e2e_secs = (double) (s_now_ns () - t0) / 1e9;
    long long mem1 = s_used_memory (b.redis);
    double cpu1 = s_redis_cpu (b.redis);
    double e2e = (double) o.n / e2e_secs;
    lat_t cl = s_percentiles (lat, acked);
    double payload = 0;
    for (long i = 0; i < o.n; i++) {
        char subject[128];
        s_subject (seq0 + i, subject, sizeof subject);
        payload += (double) (strlen (subject) + strlen (s_body));
    }
    payload /= (double) o.n;
    double mem_e2e = ((double) (mem1 - mem0)) / (double) o.n - payload;
    printf ("bench: end to end: %ld tickets in %.2f s = %.0f tickets/s (acks done after %.2f s = "
            "%.0f/s)\n",
            o.n, e2e_secs, e2e, ack_secs, (double) acked / ack_secs);
    printf ("bench: ack latency closed loop (%d clients x %d in flight): p50 %.2f ms, p99 %.2f "
            "ms, max %.2f ms\n",
            o.clients, o.inflight, cl.p50, cl.p99, cl.max);
    printf ("bench: redis busy %.0f%% of the end-to-end run, %.0f us of CPU per ticket\n",
            100.0 * (cpu1 - cpu0) / e2e_secs, 1e6 * (cpu1 - cpu0) / (double) o.n);
    s_procs_print (&b, o.n);
    s_print_commandstats (b.redis, o.n, "end-to-end");
    printf ("bench: memory per routed and armed ticket (events, history, indexes; payload "
            "excluded): %.0f bytes\n",
            mem_e2e);
    s_memory_breakdown (&b);

    //  2. Fixed rate. The notifier is still sending the acknowledgements of
    //  phase 1 (about 1,000 mails/s here, with the SMTP sink on the same
    //  cores), as it would after a burst.
    lat_t fr = {0, 0, 0};
    if (o.rate > 0) {
        long n = (long) ((double) o.rate * o.rate_secs);
        double *flat = opd_calloc ((size_t) n + 1, sizeof (double));
        double late = 0;
        long long s0 = s_int_command (&b, "GET", OPD_KEY_SEQ);
        s_reset_stats (b.redis);
        double forks0 = s_info (b.redis, "stats", "total_forks");
        double rcpu0 = s_redis_cpu (b.redis);
        int64_t f0 = s_now_ns ();
        long got = s_fixed_rate (&b, n, o.rate, flat, &rejected, &late);
        double send_secs = (double) (s_now_ns () - f0) / 1e9;
        int64_t d0 = s_now_ns ();
        if (got != n || s_wait_drained (&b, s0 + n))
            rc = 1;
        double drain_ms = (double) (s_now_ns () - d0) / 1e6;
        double rcpu = s_redis_cpu (b.redis) - rcpu0;
        fr = s_percentiles (flat, got);
        printf ("bench: fixed rate %ld tickets/s for %.1f s (%ld tickets, %.2f s): ack p50 %.2f "
                "ms, p99 %.2f ms, max %.2f ms; generator at most %.2f ms late; routed and armed "
                "%.0f ms after the last ack\n",
                o.rate, o.rate_secs, n, send_secs, fr.p50, fr.p99, fr.max, late, drain_ms);
        //  Below saturation the services' own round trips (a sweep per
        //  doorbell, the looks at the timers) weigh more than in phase 1.
        printf ("bench: redis CPU during the fixed-rate run: %.0f us a ticket (INFO cpu; the "
                "acknowledgements of phase 1 included)\n",
                rcpu * 1e6 / (double) n);
        s_print_commandstats (b.redis, n, "fixed-rate");
        //  A fork (an AOF rewrite) stops Redis for its length: say so.
        printf ("bench: redis forks during the fixed-rate run: %.0f (the latest took %.0f us)\n",
                s_info (b.redis, "stats", "total_forks") - forks0, s_info (b.redis, "stats", "latest_fork_usec"));
        free (flat);
    }
    else
        fr = cl;

    //  3. The scripts alone, with the notifier and the SMTP sink stopped
    //  (SIGSTOP) meanwhile, so that only these scripts run in Redis.
    double limit = 0, mem_created = 0;
    if (o.limit) {
        s_procs_signal (&b, SIGSTOP);
        limit = s_limit (&b, o.n, &mem_created);
        s_procs_signal (&b, SIGCONT);
        if (limit <= 0)
            rc = 1;
        printf ("bench: create script alone (pipelined %d deep, one client, flushed db %d): "
                "%.0f tickets/s\n",
                LIMIT_DEPTH, b.cfg->redis_db + 1, limit);
        printf ("bench: memory per created ticket (payload excluded): %.0f bytes\n", mem_created);
    }
    if (rejected) {
        printf ("bench: %ld requests were not accepted\n", rejected);
        rc = 1;
    }
    free (lat);
    zmq_ctx_term (b.zctx);
    opd_redis_destroy (&b.redis);
    opd_config_destroy (&b.cfg);
    printf ("bench: result end_to_end=%.0f ack_p99_ms=%.2f create_alone=%.0f\n", e2e, fr.p99, limit);
    fflush (stdout);
    return rc;
}
