/*  opd_reply_token: see opd_reply_token.h.

    A token is the first 100 bits of HMAC-SHA256(secret, "TICKET\nAGENT"),
    written in lower-case base32 (RFC 4648 alphabet): 20 characters that
    survive the lower-casing some MTAs do to local parts. 100 bits cannot be
    guessed by mail, and the token names both the ticket and the agent, so
    an agent's address for one ticket is worth nothing on another. */
#include "opd_reply_token.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

bool
opd_reply_token (const opd_config_t *cfg, const char *ticket_id, const char *agent_id, char *out)
{
    out[0] = 0;
    if (!cfg->agent_mail_secret || !ticket_id || !agent_id)
        return false;
    GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) cfg->agent_mail_secret,
                           strlen (cfg->agent_mail_secret));
    g_hmac_update (h, (const guchar *) ticket_id, -1);
    g_hmac_update (h, (const guchar *) "\n", 1);
    g_hmac_update (h, (const guchar *) agent_id, -1);
    guint8 mac[32];
    gsize len = sizeof mac;
    g_hmac_get_digest (h, mac, &len);
    g_hmac_unref (h);
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    for (int i = 0; i < OPD_REPLY_TOKEN_LEN; i++) {
        int bit = i * 5, byte = bit / 8, shift = bit % 8;
        unsigned v = ((unsigned) mac[byte] << 8 | mac[byte + 1]) >> (11 - shift);
        out[i] = alphabet[v & 31];
    }
    out[OPD_REPLY_TOKEN_LEN] = 0;
    return true;
}

//  The desk's reply address, split at its last '@'.
static bool
s_base_address (const opd_config_t *cfg, char **local, const char **domain)
{
    const char *base = cfg->agent_mail_address ? cfg->agent_mail_address : cfg->smtp_from;
    const char *at = base ? strrchr (base, '@') : NULL;
    if (!at || at == base)
        return false;
    *local = opd_strndup (base, (size_t) (at - base));
    *domain = at + 1;
    return true;
}

char *
opd_reply_address (const opd_config_t *cfg, const char *ticket_id, const char *agent_id)
{
    char token[OPD_REPLY_TOKEN_LEN + 1], *local = NULL;
    const char *domain = NULL;
    if (!opd_reply_token (cfg, ticket_id, agent_id, token) || !s_base_address (cfg, &local, &domain))
        return NULL;
    char *addr = opd_sprintf ("%s+%s@%s", local, token, domain);
    free (local);
    return addr;
}
