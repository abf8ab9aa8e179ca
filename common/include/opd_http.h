/*  opd_http: the HTTP server layer opdesk-web and opdesk-phone share, on
    libmicrohttpd. What a server owes its clients and itself lives here once:

    - every limit set explicitly: connections in all, an idle timeout, memory
      per connection (request line and headers; 414 or 431 beyond);
    - a header deadline: a request's whole headers must arrive within
      header_timeout of the connection's start (or of the previous answer on
      a kept-alive connection), however slowly they trickle; a watchdog
      thread shuts such connections down;
    - per-address accounting: at most per_client connections from one peer
      address, except from trusted proxies; behind a trusted proxy, at most
      per_client requests in flight for one client address, taken from
      X-Forwarded-For (the rightmost hop that is not a trusted proxy);
    - request bodies read within a limit: a declared Content-Length above it
      is answered 413 before any of the body is read, a chunked body as soon
      as it passes it (what follows is read away, up to a point, then the
      connection is closed); libmicrohttpd's POST processor is never used;
    - counts of answers by status, for /metrics.

    A handler sees one complete request (opd_http_exchange_t) on one of the
    server's threads and fills in the answer; the server sends it. Log lines
    never carry client addresses (personal data). */
#ifndef OPD_HTTP_H_INCLUDED
#define OPD_HTTP_H_INCLUDED
#include "opd_config.h"
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct _opd_http_t opd_http_t;

#define OPD_HTTP_MAX_HEADERS 12

//  A streamed answer (Server-Sent Events): read runs on a server thread
//  whenever the client can take more, and writes up to max bytes into buf.
//  It returns the count, OPD_HTTP_STREAM_WAIT when it has nothing now (the
//  connection then sleeps, holding no thread, until the next opd_http_wake),
//  or OPD_HTTP_STREAM_END to finish the answer. done runs once, when the
//  connection is over (closed by either side, or the server stopping).
#define OPD_HTTP_STREAM_WAIT 0
#define OPD_HTTP_STREAM_END (-1)
typedef ssize_t (opd_http_stream_fn) (void *cls, char *buf, size_t max);
typedef struct {
    opd_http_stream_fn *read;
    void (*done) (void *cls);
    void *cls;
} opd_http_stream_t;

//  One request and its answer, valid while the handler runs.
typedef struct {
    void *conn;            //  struct MHD_Connection *
    const char *method;    //  "GET", "POST", ...
    const char *path;      //  decoded, without the query
    const char *body;      //  NUL-terminated (body_len bytes before the NUL)
    size_t body_len;
    char client[64];       //  the client's address (see above), as text
    bool via_proxy;        //  it came through a trusted proxy
    bool https;            //  X-Forwarded-Proto: https from a trusted proxy
    //  The answer: set through opd_http_reply and opd_http_add_header.
    int status;
    char *out;             //  owned
    size_t out_len;
    const char *content_type;  //  static text
    char *hname[OPD_HTTP_MAX_HEADERS], *hvalue[OPD_HTTP_MAX_HEADERS];
    int nheaders;
    opd_http_stream_t stream;  //  set by opd_http_stream: the answer is streamed
} opd_http_exchange_t;

typedef void (opd_http_handler_fn) (void *arg, opd_http_exchange_t *ex);

//  Starts a server on endpoint ("HOST:PORT", "[V6]:PORT") with the limits of
//  cfg (copied), bodies up to body_limit bytes and threads threads. fn runs
//  on those threads, several at once. NULL when it cannot listen (logged).
opd_http_t *opd_http_new (const char *endpoint, const opd_http_config_t *cfg, size_t body_limit,
                          int threads, opd_http_handler_fn *fn, void *arg);
//  Stops the server: waits for running handlers, closes every connection.
void opd_http_destroy (opd_http_t **self_p);
//  Applies a reloaded configuration: per_client, header_timeout,
//  trusted_proxies and body_limit at once; max_connections and timeout
//  need a restart (libmicrohttpd fixes them at start).
void opd_http_set_config (opd_http_t *self, const opd_http_config_t *cfg, size_t body_limit);
//  Requests for which fn (method, url; any server thread; pure) answers true
//  may carry bodies up to limit instead of body_limit (uploads); NULL fn:
//  none. Applies to requests whose headers arrive afterwards.
typedef bool (opd_http_large_fn) (const char *method, const char *url);
void opd_http_set_large (opd_http_t *self, opd_http_large_fn *fn, size_t limit);
//  Answers sent with status so far.
long opd_http_answers (opd_http_t *self, int status);

//  The request's values; NULL when absent.
const char *opd_http_header (const opd_http_exchange_t *ex, const char *name);
const char *opd_http_arg (const opd_http_exchange_t *ex, const char *name);
const char *opd_http_cookie (const opd_http_exchange_t *ex, const char *name);
//  Calls fn for every query argument name; returns the first name fn
//  answers false for, else NULL.
const char *opd_http_args_check (const opd_http_exchange_t *ex, bool (*fn) (const char *name));

//  The answer: body is taken (NULL for none), content_type is static text.
void opd_http_reply (opd_http_exchange_t *ex, int status, const char *content_type, char *body,
                     size_t len);
void opd_http_add_header (opd_http_exchange_t *ex, const char *name, const char *value);
//  A streamed answer instead (see opd_http_stream_t); stream.done runs even
//  when the answer cannot be sent.
void opd_http_stream (opd_http_exchange_t *ex, int status, const char *content_type,
                      opd_http_stream_t stream);
//  Wakes every sleeping stream: its read runs again soon. Any thread.
void opd_http_wake (opd_http_t *self);

//  Pure helpers (unit-tested; no server needed).
//  The client of a request from peer whose X-Forwarded-For is xff (may be
//  NULL): peer itself unless it is one of trusted; else the rightmost
//  address of xff that is not trusted (the leftmost when all are), peer when
//  xff holds no address. Into out (size bytes). Returns true when peer is
//  trusted.
bool opd_http_client (const char *peer, const char *xff, char *const *trusted, size_t ntrusted,
                      char *out, size_t size);
#endif
