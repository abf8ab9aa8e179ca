/*  opd_config_int.h: what the files of opd_config share, and no one else.

    The loader is one class in six files (see opd_config.c for the design):
        opd_config_keys.c     the table of every key (opd_cfg_keys), and
                              the reference in docs/configuration.md
        opd_config_walk.c     the YAML document, the readers of each kind,
                              the formats, and the walk over the table
        opd_config_checks.c   checks of one value or one list item, and the
                              K_CUSTOM rows (hours, categories, retention)
        opd_config_secrets.c  redis password, CURVE key files, secrets
                              outside the demo, and the rules between keys
        opd_config_bounds.c   the size of a document with aliases expanded
        opd_config.c          loading, freeing, restart-only changes, and
                              the look-ups of the public API
    Names opd_cfg_* are private to these files: they are declared here and
    not in opd_config.h. */
#ifndef OPD_CONFIG_INT_H
#define OPD_CONFIG_INT_H

#include "opd_config.h"
#include "opd_log.h"
#include "opd_util.h"
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

//  The checks and readers of the table share one signature, and most use
//  only part of it.
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define MAX_FILE_BYTES (4 * 1024 * 1024)
//  Bounds of a document with its aliases expanded (opd_config_bounds.c): YAML
//  aliases let a 1 KB file name 10^9 nodes, which the walk below would visit
//  one by one. A real configuration is far below these.
#define MAX_NODES 100000
#define MAX_TEXT_BYTES (16 * 1024 * 1024)
#define MAX_DEPTH 64
#define MIN_SECRET_CHARS 16

typedef struct {
    yaml_document_t *doc;
    opd_config_t *cfg;
    char *err;
    size_t errlen;
    bool failed;
    bool in_map;              //  the map that holds the row being read is in the file
    bool demo_given;          //  the file says demo: true or false
    char *password_file;      //  redis.password_file, before it is read
    bool password_from_file;  //  redis.password came from redis.password_file
    //  curve: the certificates read from the files named, until the block
    //  is checked as a whole (opd_cfg_curve_done); wiped after the load.
    opd_cert_t spub, client, ssec;
    bool has_spub, has_client, has_ssec;
} ctx_t;

typedef enum {
    K_STR,      //  text: char *
    K_INT,      //  whole number within [min, max]: int or int64_t (by the field's size)
    K_DUR,      //  duration "30s", "5m", "4h" in ms: int64_t; at least min, at most max (when set)
    K_NUM,      //  number above min, at most max: double
    K_BOOL,     //  true or false: bool
    K_ENUM,     //  one of values ("a|b|c"), kept as text: char *
    K_CHOICE,   //  one of values, kept as its index + min: int
    K_HHMM,     //  "HH:MM" in minutes after midnight: int; max 1440 allows "24:00"
    K_LIST,     //  a list of text: char ** at off, its size_t count at count_off
    K_FLAGS,    //  a list of values ("a|b|c"): consecutive bools at off; none given: all if def
    K_SECTION,  //  a map of the rows below it
    K_ITEMS,    //  a list of maps: array of size-byte items at off, count at count_off
    K_MAPOF,    //  a map of maps by name: as K_ITEMS, the name as char * at id_off
    K_CUSTOM    //  read by parse (values says what it takes, for the docs)
} kind_t;

typedef enum {
    F_NONE, F_EMAIL, F_E164, F_TZ, F_DATE, F_IP, F_ZMQ, F_HOST_PORT, F_SMTP_URL, F_HTTP_URL,
    F_IMAP_URL, F_FOLDER, F_COUNTRY, F_CALENDAR, F_TEAM, F_AGENT, F_CATEGORY, F_STDRESP
} format_t;

#define REQUIRED 1  //  an error when absent from a map that is in the file
#define RESTART 2   //  a SIGHUP does not apply it (opd_config_restart_changes)

typedef struct entry_s entry_t;
//  A rule on a value just read (base: the struct that holds the row's field),
//  or, for a section or list item, on the whole once read; path names it.
typedef bool (check_fn) (ctx_t *c, const char *path, char *base, const entry_t *e);
//  Reads a K_CUSTOM row from n (NULL when absent).
typedef bool (parse_fn) (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e);
//  Frees what a row owns beyond its plain field (regexes, hours).
typedef void (release_fn) (char *base, const entry_t *e);

struct entry_s {
    const char *path;
    kind_t kind;
    size_t off, size;         //  the field in the struct that holds it, and its size
    size_t count_off, id_off; //  K_LIST, K_ITEMS, K_MAPOF: the count; K_MAPOF: the name
    const char *def;          //  the default, written as in the file
    double min, max;          //  bounds (see kind_t)
    const char *values;       //  K_ENUM, K_CHOICE: "a|b|c"; K_CUSTOM: what it takes
    int flags;                //  REQUIRED, RESTART
    format_t is;              //  K_STR, K_LIST: what the text (each item) must be
    check_fn *check;
    parse_fn *parse;
    release_fn *release;
    const char *shown;        //  the default as the docs say it, when computed
    const char *doc;          //  one line for docs/configuration.md
};

//  The table: every key, children after their parent, ended by a NULL path.
extern const entry_t opd_cfg_keys[];

//  In a row: the field f of opd_config_t, or of an item type T.
#define CF(f) .off = offsetof (opd_config_t, f), .size = sizeof (((opd_config_t *) 0)->f)
#define IN(T, f) .off = offsetof (T, f), .size = sizeof (((T *) 0)->f)
//  A list at arr with count n in T; items of type I.
#define LIST_IN(T, arr, n) .off = offsetof (T, arr), .count_off = offsetof (T, n)
#define ITEMS_IN(T, arr, n, I) LIST_IN (T, arr, n), .size = sizeof (I)

//  The fields a row points at.
#define FIELD(T, base, e) ((T *) (void *) ((base) + (e)->off))
#define COUNT(base, e) ((size_t *) (void *) ((base) + (e)->count_off))
//  Item i of sequence node n (in a function with ctx_t *c).
#define ITEM(n, i) opd_cfg_node (c, (n)->data.sequence.items.start[i])

//  The type column of the docs for a format.
const char *opd_cfg_format_doc (format_t f);

//  opd_config_walk.c: the document, the readers of each kind, the walk
bool opd_cfg_fail (ctx_t *c, const char *path, const char *fmt, ...);
yaml_node_t *opd_cfg_node (ctx_t *c, int index);
bool opd_cfg_is_null (yaml_node_t *n);
const char *opd_cfg_type_name (yaml_node_t *n);
const char *opd_cfg_text (yaml_node_t *n);
yaml_node_t *opd_cfg_get (ctx_t *c, yaml_node_t *map, const char *key);
bool opd_cfg_is_map (ctx_t *c, yaml_node_t *n, const char *path);
size_t opd_cfg_seq_len (yaml_node_t *n);
void opd_cfg_path (char *out, size_t size, const char *base, const char *key);
int opd_cfg_str_cmp (const void *a, const void *b);
void opd_cfg_free_list (char **list, size_t n);
char **opd_cfg_str_at (char *base, const entry_t *e);
bool opd_cfg_strlist (ctx_t *c, yaml_node_t *n, const char *path, char ***out, size_t *count);
bool opd_cfg_parse_hhmm (const char *s, int *minutes, bool allow_24);
void opd_cfg_format_ms (char *out, size_t size, double ms);
void opd_cfg_alternatives (char *out, size_t size, const char *values);
int opd_cfg_choice (const char *values, const char *text);
bool opd_cfg_set (ctx_t *c, const entry_t *e, char *base, const char *text, const char *path);
void opd_cfg_child_prefix (char *out, size_t size, const entry_t *e);
const char *opd_cfg_child_name (const entry_t *e, const char *prefix);
const entry_t *opd_cfg_subtree_end (const entry_t *e);
bool opd_cfg_known_keys (ctx_t *c, const entry_t *parent, yaml_node_t *map, const char *path);
bool opd_cfg_children (ctx_t *c, const entry_t *parent, yaml_node_t *map, const char *path,
                       char *base);

//  opd_config_checks.c: checks of one value or one item, K_CUSTOM readers
const char *opd_cfg_custom_text (ctx_t *c, yaml_node_t *n, const char *path);

//  opd_config_secrets.c: redis password, CURVE keys, secrets outside the demo, cross-key rules
bool opd_cfg_finish (ctx_t *c);

//  opd_config_bounds.c: the size of the document with its aliases expanded
bool opd_cfg_check_size (ctx_t *c, yaml_node_t *root);

//  Checks of a value or of a whole section or item (check_fn).
check_fn opd_cfg_prefix_ok, opd_cfg_demo_seen, opd_cfg_keywords_ok, opd_cfg_regex_ok, opd_cfg_rule_done,
    opd_cfg_rule_channels_ok, opd_cfg_rule_domains_ok, opd_cfg_rule_priorities_ok, opd_cfg_rule_tags_ok, opd_cfg_calendar_done,
    opd_cfg_matrix_done, opd_cfg_team_done, opd_cfg_agent_done, opd_cfg_stdresp_done,
    opd_cfg_policy_done, opd_cfg_match_done, opd_cfg_shift_done, opd_cfg_reqtype_done,
    opd_cfg_field_done, opd_cfg_web_done, opd_cfg_phone_done, opd_cfg_attachments_done, opd_cfg_agent_mail_done,
    opd_cfg_burn_done, opd_cfg_token_done, opd_cfg_redis_done, opd_cfg_clients_dir,
    opd_cfg_curve_done;
//  Readers of K_CUSTOM rows (parse_fn).
parse_fn opd_cfg_hours, opd_cfg_categories, opd_cfg_per_category, opd_cfg_per_request_type, opd_cfg_password_file,
    opd_cfg_secret_file, opd_cfg_curve_cert;
//  What rows own beyond their field (release_fn).
release_fn opd_cfg_hours_free, opd_cfg_categories_free, opd_cfg_per_category_free, opd_cfg_per_request_type_free,
    opd_cfg_regex_free, opd_cfg_curve_free;

#endif
