/*  opd_agent_prefs: see opd_agent_prefs.h. The hash's fields are
    console:KIND and mail:KIND ("1" or "0") and key:ACTION (the key, or ""
    for off). */
#include "opd_agent_prefs.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const opd_notice_names[OPD_NOTICE_COUNT] = {"assigned", "handoff", "p1", "slo_warning"};
const char *const opd_notice_labels[OPD_NOTICE_COUNT]
    = {"A ticket is assigned to me", "A ticket is handed off to my team", "A P1 ticket in my team",
       "A clock of my ticket (or an unassigned one of my team) is about to breach"};
const char *const opd_shortcut_names[OPD_KEY_COUNT]
    = {"next", "prev", "open", "search", "reply", "note", "assign", "resolve", "pick"};
const char *const opd_shortcut_labels[OPD_KEY_COUNT]
    = {"Queue: next ticket", "Queue: previous ticket", "Queue: open the selected ticket", "Queue: search",
       "Ticket: reply",      "Ticket: internal note",  "Ticket: assignee",               "Ticket: resolve",
       "Queue: tick the selected ticket for a bulk action"};
const char *const opd_shortcut_defaults[OPD_KEY_COUNT] = {"j", "k", "o", "/", "r", "n", "a", "e", "x"};

void
opd_agent_prefs_default (opd_agent_prefs_t *p)
{
    memset (p, 0, sizeof *p);
    for (int i = 0; i < OPD_NOTICE_COUNT; i++)
        p->console[i] = true;
    for (int i = 0; i < OPD_KEY_COUNT; i++)
        snprintf (p->key[i], sizeof p->key[i], "%s", opd_shortcut_defaults[i]);
}

//  One field of the hash into p; unknown fields and bad values are left.
static void
s_field (opd_agent_prefs_t *p, const char *name, const char *value)
{
    for (int i = 0; i < OPD_NOTICE_COUNT; i++) {
        bool on = !strcmp (value, "1"), valid = on || !strcmp (value, "0");
        if (!strncmp (name, "console:", 8) && !strcmp (name + 8, opd_notice_names[i]) && valid)
            p->console[i] = on;
        if (!strncmp (name, "mail:", 5) && !strcmp (name + 5, opd_notice_names[i]) && valid)
            p->mail[i] = on;
    }
    for (int i = 0; i < OPD_KEY_COUNT; i++)
        if (!strncmp (name, "key:", 4) && !strcmp (name + 4, opd_shortcut_names[i])
            && !opd_agent_key_check (value))
            snprintf (p->key[i], sizeof p->key[i], "%s", value);
}

void
opd_agent_prefs_from_reply (opd_agent_prefs_t *p, const redisReply *r)
{
    opd_agent_prefs_default (p);
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
            s_field (p, r->element[i]->str, r->element[i + 1]->str);
}

int
opd_agent_prefs_get (opd_redis_t *redis, const char *agent, opd_agent_prefs_t *p)
{
    char key[300];
    opd_key_agent_prefs (key, sizeof key, agent);
    redisReply *r = opd_redis_command (redis, "HGETALL %s", key);
    opd_agent_prefs_from_reply (p, r);
    int rc = r && r->type == REDIS_REPLY_ARRAY ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

int
opd_agent_prefs_set (opd_redis_t *redis, const char *agent, const opd_agent_prefs_t *p)
{
    char key[300];
    opd_key_agent_prefs (key, sizeof key, agent);
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "HSET");
    opd_args_add (&a, key);
    for (int i = 0; i < OPD_NOTICE_COUNT; i++) {
        opd_args_addf (&a, "console:%s", opd_notice_names[i]);
        opd_args_add (&a, p->console[i] ? "1" : "0");
        opd_args_addf (&a, "mail:%s", opd_notice_names[i]);
        opd_args_add (&a, p->mail[i] ? "1" : "0");
    }
    for (int i = 0; i < OPD_KEY_COUNT; i++) {
        opd_args_addf (&a, "key:%s", opd_shortcut_names[i]);
        opd_args_add (&a, p->key[i]);
    }
    redisReply *r = opd_redis_argv (redis, &a);
    opd_args_free (&a);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

int
opd_agent_prefs_reset_keys (opd_redis_t *redis, const char *agent)
{
    char key[300];
    opd_key_agent_prefs (key, sizeof key, agent);
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "HDEL");
    opd_args_add (&a, key);
    for (int i = 0; i < OPD_KEY_COUNT; i++)
        opd_args_addf (&a, "key:%s", opd_shortcut_names[i]);
    redisReply *r = opd_redis_argv (redis, &a);
    opd_args_free (&a);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

//  A modifier named in text ("Ctrl+W", "alt-x", "Meta+k", "Cmd+L").
static bool
s_names_modifier (const char *text)
{
    static const char *const mods[] = {"ctrl", "control", "alt", "meta", "cmd", "command", "option", "super",
                                       "win"};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (!strncasecmp (text, mods[i], strlen (mods[i])))
            return true;
    return false;
}

const char *
opd_agent_key_check (const char *text)
{
    if (!text || !*text)
        return NULL;
    size_t n = strlen (text);
    if (n > 1 && (strchr (text, '+') || strchr (text, '-')) && s_names_modifier (text))
        return "Combinations with Ctrl, Alt or Meta belong to the browser: choose one key without them.";
    if (n == 1 && text[0] == ' ')
        return "The space bar scrolls the page: choose a letter, digit or punctuation mark.";
    if (n > 1 || (unsigned char) text[0] < 0x21 || (unsigned char) text[0] > 0x7e)
        return "A shortcut is one letter, digit or punctuation mark (leave it empty to turn it off).";
    return NULL;
}

bool
opd_agent_keys_clash (const opd_agent_prefs_t *p, int *a, int *b)
{
    for (int i = 0; i < OPD_KEY_COUNT; i++)
        for (int j = i + 1; j < OPD_KEY_COUNT; j++)
            if (p->key[i][0] && !strcmp (p->key[i], p->key[j])) {
                *a = i, *b = j;
                return true;
            }
    return false;
}
