/*  opd_agent_prefs: an agent's preferences (opd:agent:AGENT:prefs,
    proto/keys.md), shared by opdesk-web (the settings page, the console's
    header) and opdesk-notifier (which notifications an agent gets, and
    how).

    Notification kinds: assigned (a ticket was assigned to me), handoff (a
    ticket was handed off to my team), p1 (a P1 in my team), slo_warning (a
    clock of a ticket of mine, or unassigned in my team, is about to
    breach). Each is on or off in the console (default on) and by mail
    (default off).

    Shortcuts: the console.js actions, each a single printable key without
    Ctrl, Alt or Meta, or "" (turned off). A field absent from the hash is
    the default, so a reset is an HDEL. */
#ifndef OPD_AGENT_PREFS_H_INCLUDED
#define OPD_AGENT_PREFS_H_INCLUDED
#include "opd_redis.h"
#include <stdbool.h>

typedef enum {
    OPD_NOTICE_ASSIGNED,
    OPD_NOTICE_HANDOFF,
    OPD_NOTICE_P1,
    OPD_NOTICE_SLO_WARNING,
    OPD_NOTICE_COUNT
} opd_notice_t;

typedef enum {
    OPD_KEY_NEXT,
    OPD_KEY_PREV,
    OPD_KEY_OPEN,
    OPD_KEY_SEARCH,
    OPD_KEY_REPLY,
    OPD_KEY_NOTE,
    OPD_KEY_ASSIGN,
    OPD_KEY_RESOLVE,
    OPD_KEY_PICK,
    OPD_KEY_COUNT
} opd_shortcut_t;

//  The kinds' names ("assigned", ...) and labels for people.
extern const char *const opd_notice_names[OPD_NOTICE_COUNT];
extern const char *const opd_notice_labels[OPD_NOTICE_COUNT];
//  The actions' names ("next", ...), labels and default keys ("j", ...).
extern const char *const opd_shortcut_names[OPD_KEY_COUNT];
extern const char *const opd_shortcut_labels[OPD_KEY_COUNT];
extern const char *const opd_shortcut_defaults[OPD_KEY_COUNT];

typedef struct {
    bool console[OPD_NOTICE_COUNT];
    bool mail[OPD_NOTICE_COUNT];
    char key[OPD_KEY_COUNT][2];  //  "" turned off
} opd_agent_prefs_t;

//  The defaults: every kind in the console, none by mail, the default keys.
void opd_agent_prefs_default (opd_agent_prefs_t *p);
//  Fills p from an HGETALL reply of the hash (absent fields: defaults;
//  values that are not valid are taken as the default).
void opd_agent_prefs_from_reply (opd_agent_prefs_t *p, const redisReply *r);
//  Reads the agent's preferences now: 0, or -1 when Redis failed (p holds
//  the defaults then).
int opd_agent_prefs_get (opd_redis_t *redis, const char *agent, opd_agent_prefs_t *p);
//  Writes every field of p: 0, or -1 when Redis failed.
int opd_agent_prefs_set (opd_redis_t *redis, const char *agent, const opd_agent_prefs_t *p);
//  Every shortcut back to its default (HDEL of the key:* fields): 0 or -1.
int opd_agent_prefs_reset_keys (opd_redis_t *redis, const char *agent);

//  Whether text may be a shortcut: "" (off), or one printable ASCII
//  character other than a space. NULL when it may, else a sentence saying
//  why not (static).
const char *opd_agent_key_check (const char *text);
//  The first two actions that share a key: true with *a < *b, else false.
bool opd_agent_keys_clash (const opd_agent_prefs_t *p, int *a, int *b);
#endif
