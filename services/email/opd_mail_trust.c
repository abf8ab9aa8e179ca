/*  opd_mail_trust: see opd_mail_trust.h. The tokens themselves are made
    by opd_reply_token (proto/), which the notifier shares. */
#include "opd_mail_trust.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

//  True when one of the recipients is the agent's reply address for the
//  ticket. The comparison looks at every character, so its time says
//  nothing about how much of a guess was right.
static bool
s_token_addressed (const opd_config_t *cfg, const opd_mail_claim_t *claim, const char *ticket_id,
                   const char *agent_id)
{
    //  want is "local+TOKEN@domain"; local and domain as configured.
    char *want = opd_reply_address (cfg, ticket_id, agent_id);
    if (!want)
        return false;
    const char *at_want = strrchr (want, '@');
    const char *domain = at_want + 1, *token = at_want - OPD_REPLY_TOKEN_LEN;
    size_t llen = (size_t) (token - 1 - want);
    bool found = false;
    for (size_t i = 0; i < claim->nrecipients; i++) {
        const char *r = claim->recipients[i];
        const char *at = r ? strrchr (r, '@') : NULL;
        if (!at || g_ascii_strcasecmp (at + 1, domain) || (size_t) (at - r) != llen + 1 + OPD_REPLY_TOKEN_LEN
            || g_ascii_strncasecmp (r, want, llen) || r[llen] != '+')
            continue;
        unsigned diff = 0;
        for (int k = 0; k < OPD_REPLY_TOKEN_LEN; k++)
            diff |= (unsigned) (g_ascii_tolower (r[llen + 1 + k]) ^ token[k]);
        if (!diff)
            found = true;
    }
    free (want);
    return found;
}

//  The value without RFC 5322 comments ("(p=none dis=none)").
static char *
s_strip_comments (const char *value)
{
    char *out = opd_strdup (value), *w = out;
    int depth = 0;
    for (const char *p = value; *p; p++) {
        if (*p == '\\' && depth && p[1]) {
            p++;
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && depth)
            depth--;
        else if (!depth)
            *w++ = *p;
    }
    *w = 0;
    return out;
}

//  Parses one Authentication-Results value: *ours when authserv_id wrote
//  it; returns true when it also says dmarc=pass for header.from=domain.
static bool
s_auth_results (const char *value, const char *authserv_id, const char *domain, bool *ours)
{
    *ours = false;
    if (!value || !authserv_id || !domain)
        return false;
    char *text = s_strip_comments (value);
    char **parts = g_strsplit (text, ";", -1);
    free (text);
    if (!parts[0]) {
        g_strfreev (parts);
        return false;
    }
    //  authserv-id [version]
    char *id = g_strstrip (parts[0]);
    size_t idlen = strcspn (id, " \t\r\n");
    *ours = idlen == strlen (authserv_id) && !g_ascii_strncasecmp (id, authserv_id, idlen);
    bool pass = false;
    for (int i = 1; *ours && parts[i] && !pass; i++) {
        char *ri = g_strstrip (parts[i]);
        if (g_ascii_strncasecmp (ri, "dmarc", 5))
            continue;
        const char *p = ri + 5;
        p += strspn (p, " \t\r\n");
        if (*p != '=')
            continue;
        p++;
        p += strspn (p, " \t\r\n");
        size_t rlen = strcspn (p, " \t\r\n");
        if (rlen != 4 || g_ascii_strncasecmp (p, "pass", 4))
            continue;
        //  Properties: header.from=domain, maybe quoted.
        char *lower = g_ascii_strdown (p + 4, -1);
        const char *q = strstr (lower, "header.from");
        if (q) {
            q += 11;
            q += strspn (q, " \t\r\n");
            if (*q == '=') {
                q++;
                q += strspn (q, " \t\r\n\"");
                size_t dlen = strcspn (q, " \t\r\n\"");
                pass = dlen == strlen (domain) && !g_ascii_strncasecmp (q, domain, dlen);
            }
        }
        g_free (lower);
    }
    g_strfreev (parts);
    return pass;
}

bool
opd_auth_results_dmarc_pass (const char *value, const char *authserv_id, const char *domain)
{
    bool ours;
    return s_auth_results (value, authserv_id, domain, &ours);
}

//  The topmost Authentication-Results header of the configured MTA says
//  dmarc=pass for the From domain. Lower ones with the same id are not
//  read: the MTA's own is on top, anything below came with the mail.
static bool
s_dmarc_passed (const opd_config_t *cfg, const opd_mail_claim_t *claim)
{
    const char *at = strrchr (claim->from_email, '@');
    if (!at || !cfg->agent_mail_authserv_id)
        return false;
    for (size_t i = 0; i < claim->nauth_results; i++) {
        bool ours;
        bool pass = s_auth_results (claim->auth_results[i], cfg->agent_mail_authserv_id, at + 1, &ours);
        if (ours)
            return pass;
    }
    return false;
}

const opd_agent_t *
opd_mail_trusted_agent (const opd_config_t *cfg, const opd_mail_claim_t *claim, const char *ticket_id,
                        const char **how)
{
    const opd_agent_t *agent = opd_config_agent_by_email (cfg, claim->from_email);
    if (!agent) {
        *how = "not_agent";
        return NULL;
    }
    if (!ticket_id) {
        *how = "no_ticket";
        return NULL;
    }
    if ((cfg->agent_mail_trust & OPD_AGENT_TRUST_TOKEN) && s_token_addressed (cfg, claim, ticket_id, agent->id)) {
        *how = "token";
        return agent;
    }
    if ((cfg->agent_mail_trust & OPD_AGENT_TRUST_DMARC) && s_dmarc_passed (cfg, claim)) {
        *how = "dmarc";
        return agent;
    }
    *how = "unverified_agent";
    return NULL;
}

