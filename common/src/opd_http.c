/*  opd_http: see opd_http.h.

    libmicrohttpd calls s_access several times per request: once when the
    headers are in (the header deadline is met, the client is counted, a
    declared Content-Length over the limit is refused), once per piece of
    the body (kept until it passes the limit), and once at the end, when the
    handler runs. Each connection has a record (conn_t, libmicrohttpd's
    socket context) from its start to its close: its peer address for the
    per-address count, its socket and its header deadline for the watchdog. */
#include "opd_http.h"
#include "opd_log.h"
#include "opd_util.h"
#include <arpa/inet.h>
#include <glib.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MEMORY_LIMIT (64 * 1024)  //  per connection: request line, headers, buffers
#define DRAIN_FACTOR 4            //  of an oversized body, this many limits are read away
#define WATCH_MS 100              //  how often the watchdog looks at header deadlines

//  One connection, from accept to close.
typedef struct conn_s {
    struct conn_s *prev, *next;
    int fd;
    char peer[INET6_ADDRSTRLEN];
    bool trusted;      //  the peer is a trusted proxy
    int64_t deadline;  //  monotonic ms by which the next request's headers must be in; 0: they are
    bool cut;          //  shut down by the watchdog
} conn_t;

//  One request being read.
typedef struct {
    char *buf;
    size_t len, cap;
    size_t drained;    //  bytes thrown away after the limit was passed
    size_t limit;      //  this request's body limit (body_limit, or large_limit)
    bool too_large;
    bool answered;
    bool counted;      //  counted in clients (behind a proxy)
    char client[64];
    bool via_proxy, https;
} req_t;

//  A streamed answer, from opd_http_stream to the end of its connection.
typedef struct stream_s {
    struct stream_s *next;  //  in sleeping
    opd_http_t *http;
    struct MHD_Connection *conn;
    opd_http_stream_t s;
} stream_t;

struct _opd_http_t {
    struct MHD_Daemon *daemon;
    pthread_mutex_t stream_lock;  //  the three below
    stream_t *sleeping;           //  streams waiting for opd_http_wake (suspended)
    unsigned long wakes;          //  opd_http_wake calls so far
    bool streams_over;            //  the server is stopping
    opd_http_handler_fn *fn;
    void *arg;
    pthread_mutex_t lock;    //  everything below
    int per_client;
    int64_t header_timeout_ms;
    size_t body_limit;
    opd_http_large_fn *large_fn;  //  which requests may carry large_limit
    size_t large_limit;
    char **trusted;
    size_t ntrusted;
    GHashTable *peers;       //  peer address -> connections open
    GHashTable *clients;     //  client address behind a proxy -> requests in flight
    conn_t *conns;           //  every open connection
    pthread_t watchdog;
    bool watching, stopping;
    long answers[600];       //  by status, atomically
};

//  --- Addresses -----------------------------------------------------------

static bool
s_trusted (char *const *trusted, size_t n, const char *addr)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp (trusted[i], addr))
            return true;
    return false;
}

//  An address as text, IPv4-mapped IPv6 addresses as IPv4.
static void
s_addr_text (const struct sockaddr *sa, char *out, size_t size)
{
    out[0] = 0;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop (AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, out, (socklen_t) size);
    else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED (a))
            inet_ntop (AF_INET, &a->s6_addr[12], out, (socklen_t) size);
        else
            inet_ntop (AF_INET6, a, out, (socklen_t) size);
    }
}

//  True when text is an IPv4 or IPv6 address.
static bool
s_is_address (const char *text)
{
    unsigned char buf[16];
    return inet_pton (AF_INET, text, buf) == 1 || inet_pton (AF_INET6, text, buf) == 1;
}

bool
opd_http_client (const char *peer, const char *xff, char *const *trusted, size_t ntrusted, char *out,
                 size_t size)
{
    snprintf (out, size, "%s", peer);
    if (!s_trusted (trusted, ntrusted, peer))
        return false;
    if (!xff)
        return true;
    //  From the right: the first hop no trusted proxy vouches for is the
    //  client; anything left of it may be made up by that client.
    gchar **hops = g_strsplit (xff, ",", 64);
    int n = (int) g_strv_length (hops);
    const char *leftmost = NULL;
    for (int i = n - 1; i >= 0; i--) {
        char *hop = g_strstrip (hops[i]);
        if (!s_is_address (hop))
            break;
        leftmost = hop;
        if (!s_trusted (trusted, ntrusted, hop)) {
            snprintf (out, size, "%s", hop);
            g_strfreev (hops);
            return true;
        }
    }
    if (leftmost)
        snprintf (out, size, "%s", leftmost);
    g_strfreev (hops);
    return true;
}

//  --- Counting ------------------------------------------------------------

static int
s_count (GHashTable *t, const char *key, int delta)
{
    int n = GPOINTER_TO_INT (g_hash_table_lookup (t, key)) + delta;
    if (n > 0)
        g_hash_table_insert (t, g_strdup (key), GINT_TO_POINTER (n));
    else
        g_hash_table_remove (t, key);
    return n;
}

//  Refuses a connection from a peer that already has per_client open,
//  unless it is a trusted proxy (behind which every client shares its
//  address: they are counted by request in s_headers_in).
static enum MHD_Result
s_accept (void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void) addrlen;
    opd_http_t *self = cls;
    char peer[INET6_ADDRSTRLEN];
    s_addr_text (addr, peer, sizeof peer);
    pthread_mutex_lock (&self->lock);
    bool ok = s_trusted (self->trusted, self->ntrusted, peer)
              || GPOINTER_TO_INT (g_hash_table_lookup (self->peers, peer)) < self->per_client;
    pthread_mutex_unlock (&self->lock);
    return ok ? MHD_YES : MHD_NO;
}

static void
s_notify_connection (void *cls, struct MHD_Connection *connection, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
    opd_http_t *self = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_t *c = opd_calloc (1, sizeof *c);
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        c->fd = fd ? fd->connect_fd : -1;
        s_addr_text (ad ? ad->client_addr : NULL, c->peer, sizeof c->peer);
        pthread_mutex_lock (&self->lock);
        c->trusted = s_trusted (self->trusted, self->ntrusted, c->peer);
        c->deadline = opd_mono_ms () + self->header_timeout_ms;
        s_count (self->peers, c->peer, 1);
        c->next = self->conns;
        if (self->conns)
            self->conns->prev = c;
        self->conns = c;
        pthread_mutex_unlock (&self->lock);
        *socket_context = c;
    }
    else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        //  Called before libmicrohttpd closes the socket: once unlinked under
        //  the lock, the watchdog can no longer touch this descriptor.
        conn_t *c = *socket_context;
        pthread_mutex_lock (&self->lock);
        s_count (self->peers, c->peer, -1);
        if (c->prev)
            c->prev->next = c->next;
        else
            self->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        pthread_mutex_unlock (&self->lock);
        free (c);
        *socket_context = NULL;
    }
}

static conn_t *
s_conn (struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

//  Ends connections whose headers are overdue. Shutting the socket down
//  (never closing it: it is libmicrohttpd's) makes libmicrohttpd see the end
//  of the stream and close the connection on its own thread.
static void *
s_watchdog (void *arg)
{
    opd_http_t *self = arg;
    for (;;) {
        struct timespec ts = {0, WATCH_MS * 1000000L};
        nanosleep (&ts, NULL);
        int64_t now = opd_mono_ms ();
        int cut = 0;
        pthread_mutex_lock (&self->lock);
        bool stopping = self->stopping;
        for (conn_t *c = self->conns; c && !stopping; c = c->next)
            if (c->deadline && now > c->deadline && !c->cut && c->fd >= 0) {
                shutdown (c->fd, SHUT_RDWR);
                c->cut = true;
                cut++;
            }
        pthread_mutex_unlock (&self->lock);
        if (stopping)
            return NULL;
        if (cut)
            opd_info ("closed slow connections count=%d reason=header_timeout", cut);
    }
}

//  --- Answers -------------------------------------------------------------

void
opd_http_reply (opd_http_exchange_t *ex, int status, const char *content_type, char *body, size_t len)
{
    free (ex->out);
    ex->status = status;
    ex->out = body;
    ex->out_len = body ? len : 0;
    ex->content_type = content_type;
}

void
opd_http_add_header (opd_http_exchange_t *ex, const char *name, const char *value)
{
    if (ex->nheaders == OPD_HTTP_MAX_HEADERS)
        return;
    ex->hname[ex->nheaders] = opd_strdup (name);
    ex->hvalue[ex->nheaders] = opd_strdup (value);
    ex->nheaders++;
}

static void
s_exchange_free (opd_http_exchange_t *ex)
{
    free (ex->out);
    ex->out = NULL;
    for (int i = 0; i < ex->nheaders; i++) {
        free (ex->hname[i]);
        free (ex->hvalue[i]);
    }
    ex->nheaders = 0;
}

//  --- Streamed answers ----------------------------------------------------

void
opd_http_stream (opd_http_exchange_t *ex, int status, const char *content_type, opd_http_stream_t stream)
{
    opd_http_reply (ex, status, content_type, NULL, 0);
    ex->stream = stream;
}

//  A stream that has nothing now sleeps (libmicrohttpd's suspended
//  connection: no thread waits on it); the next opd_http_wake resumes it.
//  A wake that came while it was reading makes it read again at once:
//  returning 0 without suspending would leave the connection waiting for
//  a socket event that may never come.
static ssize_t
s_stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    stream_t *st = cls;
    opd_http_t *self = st->http;
    for (;;) {
        pthread_mutex_lock (&self->stream_lock);
        unsigned long wakes = self->wakes;
        bool over = self->streams_over;
        pthread_mutex_unlock (&self->stream_lock);
        if (over)
            return MHD_CONTENT_READER_END_OF_STREAM;
        ssize_t n = st->s.read (st->s.cls, buf, max);
        if (n != OPD_HTTP_STREAM_WAIT)
            return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock (&self->stream_lock);
        bool sleep = self->wakes == wakes && !self->streams_over;
        if (sleep) {
            st->next = self->sleeping;
            self->sleeping = st;
            MHD_suspend_connection (st->conn);
        }
        pthread_mutex_unlock (&self->stream_lock);
        if (sleep)
            return 0;
    }
}

//  The connection is over. It is never asleep here: opd_http_destroy wakes
//  every stream before libmicrohttpd closes the connections.
static void
s_stream_done (void *cls)
{
    stream_t *st = cls;
    if (st->s.done)
        st->s.done (st->s.cls);
    free (st);
}

void
opd_http_wake (opd_http_t *self)
{
    pthread_mutex_lock (&self->stream_lock);
    self->wakes++;
    for (stream_t *st = self->sleeping, *next; st; st = next) {
        next = st->next;
        MHD_resume_connection (st->conn);
    }
    self->sleeping = NULL;
    pthread_mutex_unlock (&self->stream_lock);
}

static struct MHD_Response *
s_response (opd_http_t *self, struct MHD_Connection *conn, opd_http_exchange_t *ex)
{
    if (ex->stream.read) {
        stream_t *st = opd_calloc (1, sizeof *st);
        st->http = self;
        st->conn = conn;
        st->s = ex->stream;
        ex->stream = (opd_http_stream_t) {0};
        struct MHD_Response *resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 4096, s_stream_read,
                                                                       st, s_stream_done);
        if (!resp)
            s_stream_done (st);
        return resp;
    }
    char *out = ex->out ? ex->out : opd_strdup ("");
    ex->out = NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer (ex->out_len, out, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        free (out);
    return resp;
}

static enum MHD_Result
s_queue (opd_http_t *self, struct MHD_Connection *conn, opd_http_exchange_t *ex)
{
    struct MHD_Response *resp = s_response (self, conn, ex);
    if (!resp) {
        s_exchange_free (ex);
        return MHD_NO;
    }
    if (ex->content_type)
        MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, ex->content_type);
    MHD_add_response_header (resp, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < ex->nheaders; i++)
        MHD_add_response_header (resp, ex->hname[i], ex->hvalue[i]);
    s_exchange_free (ex);
    int status = ex->status >= 100 && ex->status < 600 ? ex->status : 500;
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned) status, resp);
    MHD_destroy_response (resp);
    if (rc == MHD_YES)
        __atomic_fetch_add (&self->answers[status], 1, __ATOMIC_RELAXED);
    return rc;
}

long
opd_http_answers (opd_http_t *self, int status)
{
    return status >= 0 && status < 600 ? __atomic_load_n (&self->answers[status], __ATOMIC_RELAXED) : 0;
}

//  A JSON error answer of the server itself (413, 429), closing the connection.
static enum MHD_Result
s_refuse (opd_http_t *self, struct MHD_Connection *conn, req_t *r, int status, const char *code,
          const char *message, const char *retry_after)
{
    opd_http_exchange_t ex = {0};
    char *body = opd_sprintf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
    opd_http_reply (&ex, status, "application/json", body, strlen (body));
    opd_http_add_header (&ex, MHD_HTTP_HEADER_CONNECTION, "close");
    if (retry_after)
        opd_http_add_header (&ex, "Retry-After", retry_after);
    enum MHD_Result rc = s_queue (self, conn, &ex);
    if (rc == MHD_YES)
        r->answered = true;
    return rc;
}

//  --- Requests ------------------------------------------------------------

//  The headers are in: the deadline is met; the client is found and, behind
//  a trusted proxy, counted. Returns MHD_YES to go on reading.
static enum MHD_Result
s_headers_in (opd_http_t *self, struct MHD_Connection *conn, req_t *r, const char *method, const char *url)
{
    conn_t *c = s_conn (conn);
    const char *xff = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, "X-Forwarded-For");
    const char *proto = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    pthread_mutex_lock (&self->lock);
    if (c)
        c->deadline = 0;
    r->via_proxy = opd_http_client (c ? c->peer : "", xff, self->trusted, self->ntrusted, r->client,
                                    sizeof r->client);
    r->https = r->via_proxy && proto && !g_ascii_strcasecmp (proto, "https");
    int in_flight = 0;
    if (r->via_proxy) {
        in_flight = s_count (self->clients, r->client, 1);
        r->counted = true;
    }
    bool over = r->via_proxy && in_flight > self->per_client;
    size_t limit = self->body_limit;
    if (self->large_fn && self->large_limit > limit && self->large_fn (method, url))
        limit = self->large_limit;
    r->limit = limit;
    pthread_mutex_unlock (&self->lock);
    if (over)
        return s_refuse (self, conn, r, 429, "too_many_requests",
                         "too many requests from this address at once", "1");
    const char *cl = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end = NULL;
        unsigned long long n = strtoull (cl, &end, 10);
        if (end != cl && n > limit) {
            r->too_large = true;
            return s_refuse (self, conn, r, 413, "too_large", "the request body is larger than the limit", NULL);
        }
    }
    return MHD_YES;
}

//  A piece of the body: kept while within the limit, else read away.
static enum MHD_Result
s_body_piece (opd_http_t *self, req_t *r, const char *data, size_t n)
{
    (void) self;
    size_t limit = r->limit;
    if (r->too_large || r->answered) {
        //  Already answered or about to be: read the rest away, up to a
        //  point, so the client sees the answer; then drop the connection.
        r->drained += n;
        return r->drained > DRAIN_FACTOR * limit ? MHD_NO : MHD_YES;
    }
    if (r->len + n > limit) {
        r->too_large = true;
        free (r->buf);
        r->buf = NULL;
        r->len = r->cap = 0;
        return MHD_YES;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *nb = realloc (r->buf, cap);
        if (!nb)
            return MHD_NO;
        r->buf = nb;
        r->cap = cap;
    }
    memcpy (r->buf + r->len, data, n);
    r->len += n;
    return MHD_YES;
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    opd_http_t *self = cls;
    req_t *r = *con_cls;
    if (!r) {
        r = opd_calloc (1, sizeof *r);
        *con_cls = r;
        return s_headers_in (self, conn, r, method, url);
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return s_body_piece (self, r, upload_data, n);
    }
    if (r->answered)
        return MHD_YES;
    if (r->too_large)
        return s_refuse (self, conn, r, 413, "too_large", "the request body is larger than the limit", NULL);
    opd_http_exchange_t ex = {0};
    ex.conn = conn;
    ex.method = method;
    ex.path = url;
    ex.body = r->buf ? r->buf : "";
    if (r->buf)
        r->buf[r->len] = 0;
    ex.body_len = r->len;
    snprintf (ex.client, sizeof ex.client, "%s", r->client);
    ex.via_proxy = r->via_proxy;
    ex.https = r->https;
    self->fn (self->arg, &ex);
    r->answered = true;
    return s_queue (self, conn, &ex);
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void) toe;
    opd_http_t *self = cls;
    req_t *r = *con_cls;
    conn_t *c = s_conn (conn);
    pthread_mutex_lock (&self->lock);
    if (r && r->counted)
        s_count (self->clients, r->client, -1);
    //  A kept-alive connection owes the next request's headers in time too.
    if (c)
        c->deadline = opd_mono_ms () + self->header_timeout_ms;
    pthread_mutex_unlock (&self->lock);
    if (r) {
        free (r->buf);
        free (r);
        *con_cls = NULL;
    }
}

//  --- Request values ------------------------------------------------------

const char *
opd_http_header (const opd_http_exchange_t *ex, const char *name)
{
    return MHD_lookup_connection_value (ex->conn, MHD_HEADER_KIND, name);
}

const char *
opd_http_arg (const opd_http_exchange_t *ex, const char *name)
{
    return MHD_lookup_connection_value (ex->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
opd_http_cookie (const opd_http_exchange_t *ex, const char *name)
{
    return MHD_lookup_connection_value (ex->conn, MHD_COOKIE_KIND, name);
}

typedef struct {
    bool (*fn) (const char *name);
    const char *bad;
} args_check_t;

static enum MHD_Result
s_arg_iter (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    (void) value;
    args_check_t *a = cls;
    if (!a->fn (key)) {
        a->bad = key;
        return MHD_NO;
    }
    return MHD_YES;
}

const char *
opd_http_args_check (const opd_http_exchange_t *ex, bool (*fn) (const char *name))
{
    args_check_t a = {fn, NULL};
    MHD_get_connection_values (ex->conn, MHD_GET_ARGUMENT_KIND, s_arg_iter, &a);
    return a.bad;
}

//  --- Life cycle ----------------------------------------------------------

static void
s_mhd_log (void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    char buf[512];
    vsnprintf (buf, sizeof buf, fmt, ap);
    size_t n = strlen (buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    opd_warn ("libmicrohttpd message=\"%s\"", buf);
}

//  "HOST:PORT" or "[V6]:PORT" into an address.
static int
s_resolve (const char *ep, struct sockaddr_storage *addr, socklen_t *alen)
{
    const char *colon = strrchr (ep, ':');
    if (!colon || colon == ep || !colon[1])
        return -1;
    char host[256];
    size_t hlen = (size_t) (colon - ep);
    if (hlen >= sizeof host)
        return -1;
    memcpy (host, ep, hlen);
    host[hlen] = 0;
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        memmove (host, host + 1, hlen - 2);
        host[hlen - 2] = 0;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo (strcmp (host, "localhost") ? host : "127.0.0.1", colon + 1, &hints, &res) || !res)
        return -1;
    memcpy (addr, res->ai_addr, res->ai_addrlen);
    *alen = res->ai_addrlen;
    freeaddrinfo (res);
    return 0;
}

void
opd_http_set_config (opd_http_t *self, const opd_http_config_t *cfg, size_t body_limit)
{
    char **trusted = opd_calloc (cfg->ntrusted_proxies + 1, sizeof (char *));
    for (size_t i = 0; i < cfg->ntrusted_proxies; i++)
        trusted[i] = opd_strdup (cfg->trusted_proxies[i]);
    pthread_mutex_lock (&self->lock);
    char **old = self->trusted;
    size_t nold = self->ntrusted;
    self->trusted = trusted;
    self->ntrusted = cfg->ntrusted_proxies;
    self->per_client = cfg->per_client;
    self->header_timeout_ms = cfg->header_timeout_ms;
    self->body_limit = body_limit;
    pthread_mutex_unlock (&self->lock);
    for (size_t i = 0; i < nold; i++)
        free (old[i]);
    free (old);
}

void
opd_http_set_large (opd_http_t *self, opd_http_large_fn *fn, size_t limit)
{
    pthread_mutex_lock (&self->lock);
    self->large_fn = fn;
    self->large_limit = limit;
    pthread_mutex_unlock (&self->lock);
}

opd_http_t *
opd_http_new (const char *endpoint, const opd_http_config_t *cfg, size_t body_limit, int threads,
              opd_http_handler_fn *fn, void *arg)
{
    struct sockaddr_storage addr;
    socklen_t alen = 0;
    if (s_resolve (endpoint, &addr, &alen)) {
        opd_error ("not a HOST:PORT endpoint endpoint=%s", endpoint);
        return NULL;
    }
    opd_http_t *self = opd_calloc (1, sizeof *self);
    self->fn = fn;
    self->arg = arg;
    pthread_mutex_init (&self->lock, NULL);
    pthread_mutex_init (&self->stream_lock, NULL);
    self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    opd_http_set_config (self, cfg, body_limit);
    if (pthread_create (&self->watchdog, NULL, s_watchdog, self) == 0)
        self->watching = true;
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned timeout_s = (unsigned) (cfg->timeout_ms / 1000 > 0 ? cfg->timeout_ms / 1000 : 1);
    self->daemon = MHD_start_daemon (
        flags, 0, s_accept, self, s_access, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned) (threads > 0 ? threads : 1),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) MEMORY_LIMIT,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 128,
        MHD_OPTION_NOTIFY_CONNECTION, s_notify_connection, self,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_END);
    if (!self->daemon) {
        opd_error ("cannot listen endpoint=%s", endpoint);
        opd_http_destroy (&self);
        return NULL;
    }
    return self;
}

void
opd_http_destroy (opd_http_t **self_p)
{
    opd_http_t *self = *self_p;
    if (!self)
        return;
    //  libmicrohttpd refuses to stop with a connection suspended.
    pthread_mutex_lock (&self->stream_lock);
    self->streams_over = true;
    pthread_mutex_unlock (&self->stream_lock);
    opd_http_wake (self);
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    if (self->watching) {
        pthread_mutex_lock (&self->lock);
        self->stopping = true;
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->watchdog, NULL);
    }
    for (size_t i = 0; i < self->ntrusted; i++)
        free (self->trusted[i]);
    free (self->trusted);
    g_hash_table_destroy (self->peers);
    g_hash_table_destroy (self->clients);
    pthread_mutex_destroy (&self->lock);
    pthread_mutex_destroy (&self->stream_lock);
    free (self);
    *self_p = NULL;
}
