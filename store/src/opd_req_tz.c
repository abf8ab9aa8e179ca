/*  opd_req_tz: see opd_req_tz.h. */
#include "opd_req_tz.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_template.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

//  A requester's choice is kept a little over a year from the last time it
//  was made; the anonymiser deletes it earlier, with the address's last
//  ticket (anonymise.lua).
#define REQ_TZ_KEEP_S (400 * 24 * 3600)

const char *
opd_req_tz_check (const char *zone)
{
    if (!zone || !*zone)
        return "Choose a time zone.";
    size_t len = strlen (zone);
    //  GLib would also take an offset ("+05:00"), a POSIX rule ("EST5EDT,M3.2.0,M11.1.0")
    //  or a file's path: only the names of the time zone database pass.
    bool ok = len <= 64 && g_ascii_isalpha (zone[0]) && !strstr (zone, "..") && !strstr (zone, "//");
    for (size_t i = 0; ok && i < len; i++)
        ok = g_ascii_isalnum (zone[i]) || strchr ("/_-+", zone[i]);
    GTimeZone *tz = ok ? g_time_zone_new_identifier (zone) : NULL;
    if (tz)
        g_time_zone_unref (tz);
    return tz ? NULL : "This is not a time zone we know: choose one from the list, such as Europe/London.";
}

//  opd:req:EMAIL:tz for the lower-cased address; -1 when it does not fit.
static int
s_key (char *buf, size_t size, const char *email)
{
    if (!email || !*email)
        return -1;
    gchar *lower = g_ascii_strdown (email, -1);
    int rc = opd_key_req_tz (buf, size, lower);
    g_free (lower);
    return rc < 0 ? -1 : 0;
}

int
opd_req_tz_get (opd_redis_t *redis, const char *email, char **zone)
{
    *zone = NULL;
    char key[400];
    if (s_key (key, sizeof key, email))
        return 0;
    redisReply *r = opd_redis_command (redis, "GET %s", key);
    int rc = r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL) ? 0 : -1;
    if (r && r->type == REDIS_REPLY_STRING && !opd_req_tz_check (r->str))
        *zone = opd_strdup (r->str);
    if (r)
        freeReplyObject (r);
    return rc;
}

int
opd_req_tz_set (opd_redis_t *redis, const char *email, const char *zone)
{
    char key[400];
    if (s_key (key, sizeof key, email) || (zone && *zone && opd_req_tz_check (zone)))
        return -1;
    redisReply *r = zone && *zone ? opd_redis_command (redis, "SET %s %s EX %d", key, zone, REQ_TZ_KEEP_S)
                                  : opd_redis_command (redis, "DEL %s", key);
    int rc = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

const char *
opd_req_tz_pick (const opd_config_t *cfg, const char *chosen, const char *policy)
{
    if (chosen && !opd_req_tz_check (chosen))
        return chosen;
    const opd_policy_t *p = policy && *policy ? opd_store_policy_named (cfg, policy) : NULL;
    const opd_calendar_t *cal = p && p->calendar ? opd_config_calendar (cfg, p->calendar) : NULL;
    return cal && cal->timezone ? cal->timezone : "UTC";
}

void
opd_req_tz_when (int64_t ms, const char *zone, char *buf, size_t size)
{
    opd_template_when (ms, zone, buf, size);
}
