#!/usr/bin/env python3
"""Writes opdesk's generated code and tables from proto/schema.yaml.

    python3 proto/gen.py            write every output into the tree
    python3 proto/gen.py --check    write into a temporary folder and fail
                                    (exit 1, with a diff) when any committed
                                    output differs from it

Outputs (each says it is generated): proto/include/opd_schema.h,
proto/src/opd_schema.c, proto/include/opd_submit_msg.h,
proto/src/opd_submit_msg.c, common/lua/schema.lua, the unit tests' sample
round trips (tests/unit/*_samples.inc), and the parts of
proto/keys.md and proto/README.md between "<!-- generated: NAME" and
"<!-- end generated: NAME -->" markers (the prose around them is kept).
Plain on purpose: one function per output, strings joined in order."""
import difflib
import os
import re
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANNER = "Generated from proto/schema.yaml by proto/gen.py. Do not edit: edit the schema and run the generator."


def c_name(s):
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").upper()


def params(pattern):
    return re.findall(r"\{(\w+)\}", pattern)


# --- C -------------------------------------------------------------------

def c_header(s):
    o = ["/*  " + BANNER, "", "    opd_schema: the names of opdesk's data, from one definition: Redis key",
         "    builders, ticket hash fields, the SLO clocks, set members, personal",
         "    fields, event topics. proto/keys.md and proto/README.md say what each is. */",
         "#ifndef OPD_SCHEMA_H_INCLUDED", "#define OPD_SCHEMA_H_INCLUDED",
         "#include <stdbool.h>", "#include <stddef.h>", "#include <stdint.h>", "",
         "#define OPD_SCHEMA_VERSION %d" % s["version"],
         "#define OPD_ID_MAX 64  //  the longest ticket id", "",
         "//  --- The SLO clocks " + "-" * 50]
    o.append("typedef enum {")
    for c in s["clocks"]:
        o.append("    OPD_CLOCK_%s,  //  %s: %s" % (c_name(c["id"]), c["name"], c["doc"]))
    o += ["    OPD_CLOCK_COUNT", "} opd_clock_t;",
          "extern const char *const opd_clock_ids[OPD_CLOCK_COUNT];    //  \"fr\": hash fields, set members",
          "extern const char *const opd_clock_names[OPD_CLOCK_COUNT];  //  \"first_response\": events, JSON",
          "//  The clock of a short id or a long name; -1 when unknown.",
          "int opd_clock_from_id (const char *id);", "int opd_clock_from_name (const char *name);", "",
          "//  A clock's fields in the ticket hash are <clock id>_<field>: opd_clock_fields[c][f].",
          "typedef enum {"]
    for f in s["clock_fields"]:
        o.append("    OPD_CF_%s,  //  %s" % (c_name(f["name"]), f["doc"]))
    o += ["    OPD_CF_COUNT", "} opd_clock_field_t;",
          "extern const char *const opd_clock_fields[OPD_CLOCK_COUNT][OPD_CF_COUNT];", ""]
    states = next(f for f in s["clock_fields"] if f["name"] == "state")["values"]
    o.append("typedef enum {\n    OPD_CLOCK_NONE = 0,  //  no state stored")
    for v in states:
        o.append("    OPD_CLOCK_%s," % c_name(v))
    o += ["} opd_clock_state_t;", "//  \"running\" ... by state; NULL for OPD_CLOCK_NONE.",
          "extern const char *const opd_clock_states[%d];" % (len(states) + 1),
          "opd_clock_state_t opd_clock_state_parse (const char *text);", "",
          "//  --- The ticket hash (the key ticket) " + "-" * 32]
    for f in s["ticket"]:
        if f.get("pattern"):
            o.append("#define OPD_F_%s_PREFIX \"%s\"  //  %s" % (c_name(f["name"].split(":")[0]),
                                                           f["name"].split(":")[0] + ":", f["doc"]))
        else:
            o.append("#define OPD_F_%s \"%s\"" % (c_name(f["name"]), f["name"]))
    o += ["", "//  The ticket as stored, read in one place (opd_store_ticket_read): every",
          "//  field's text, borrowed from the reply it was read from, NULL when absent.",
          "typedef struct {"]
    for f in s["ticket"]:
        if not f.get("pattern"):
            o.append("    const char *%s;  //  %s%s" % (f["name"], f["type"], ", personal" if f.get("personal") else ""))
    o.append("    struct {")
    o.append("        const char *%s;" % ", *".join(f["name"] for f in s["clock_fields"]))
    o += ["    } clock[OPD_CLOCK_COUNT];", "} opd_ticket_t;",
          "//  Sets the member of field to value (borrowed); false for a field the",
          "//  struct does not hold (team_ms:TEAM, unknown ones).",
          "bool opd_ticket_set (opd_ticket_t *t, const char *field, const char *value);", "",
          "//  Personal fields of the hash: what the anonymiser does with each.",
          "typedef struct {", "    const char *field;", "    const char *replace;  //  the new text; NULL: the field is deleted",
          "    bool partly;          //  only some values are personal (fields: pii of the request type)",
          "    bool text;            //  free text kept, the personal data inside replaced (redact)",
          "} opd_personal_t;", "extern const opd_personal_t opd_personal_fields[];",
          "extern const size_t opd_personal_count;", "",
          "//  --- Redis keys " + "-" * 54,
          "//  OPD_KEY_X is a key without parameters, OPD_KEY_X_FMT a printf format",
          "//  whose %s are the parameters in order; opd_key_x writes the key into buf",
          "//  and returns its length, or -1 when it does not fit."]
    spaces = {k["pattern"].split(":", 1)[0] + ":" for k in s["keys"]}
    if len(spaces) != 1:
        sys.exit("gen.py: every key pattern must start with the same NAMESPACE: (found %s)" % sorted(spaces))
    for k in s["keys"]:
        tagged = "{{id}}" in k["pattern"]
        if (k["scope"] == "ticket") != tagged or k["pattern"].count("{{") > (1 if tagged else 0):
            sys.exit("gen.py: key %s: a key of scope ticket names its ticket in a hash tag ({{id}}), "
                     "once; no other key has one" % k["name"])
    o += ["//  OPD_KEY_X_LUA(\"a\", ...): the key as a Lua expression of the Lua",
          "//  expressions a ... (for the few scripts kept in C, opd_rota_store.c).",
          "//  Every key begins with OPD_KEY_NAMESPACE (SCAN MATCH " + next(iter(spaces)) + "* reads them all).",
          "#define OPD_KEY_NAMESPACE \"%s\"" % next(iter(spaces))]
    for k in s["keys"]:
        ps = params(k["pattern"])
        o.append("//  %s (%s, %s): %s" % (k["pattern"], k["type"], k["scope"], k["doc"].split(";")[0][:80]))
        if not ps:
            o.append("#define OPD_KEY_%s \"%s\"" % (c_name(k["name"]), k["pattern"]))
        else:
            fmt = re.sub(r"\{\w+\}", "%s", k["pattern"])
            o.append("#define OPD_KEY_%s_FMT \"%s\"" % (c_name(k["name"]), fmt))
            o.append("int opd_key_%s (char *buf, size_t size, %s);" % (
                k["name"], ", ".join("const char *" + p for p in ps)))
            parts = [p for p in re.split(r"(\{\w+\})", k["pattern"]) if p]
            lua = ' " .. " '.join(p[1:-1] if p.startswith("{") else "\"'%s'\"" % p for p in parts)
            o.append("#define OPD_KEY_%s_LUA(%s) %s" % (c_name(k["name"]), ", ".join(ps), lua))
    o += ["", "typedef enum { OPD_SCOPE_TICKET, OPD_SCOPE_GLOBAL } opd_key_scope_t;",
          "typedef struct {", "    const char *name, *pattern;", "    opd_key_scope_t scope;",
          "    bool personal;",
          "    const char *sweep;  //  how the anonymiser's sweep reads it (schema.yaml), NULL: not swept",
          "} opd_key_info_t;", "extern const opd_key_info_t opd_keys[];",
          "extern const size_t opd_key_count;", "",
          "//  --- Set members " + "-" * 53,
          "//  Parts joined with '|'. make returns the length written, or -1 when it",
          "//  does not fit; parse returns 0, or -2 when text is malformed (the id is",
          "//  everything before the last separators, so any id parses)."]
    for m in s["members"]:
        o.append("//  %s: %s" % ("|".join(p["name"].upper() for p in m["parts"]), m["doc"]))
        o.append("typedef struct {")
        for p in m["parts"]:
            o.append("    " + {"id": "char %s[OPD_ID_MAX + 1];", "clock": "opd_clock_t %s;",
                               "char": "char %s;", "ms": "int64_t %s;"}[p["type"]] % p["name"])
        o += ["} opd_member_%s_t;" % m["name"],
              "int opd_member_%s_make (char *buf, size_t size, const opd_member_%s_t *m);" % (m["name"], m["name"]),
              "int opd_member_%s_parse (const char *text, size_t len, opd_member_%s_t *m);" % (m["name"], m["name"])]
    o += ["#define OPD_MEMBER_MAX (OPD_ID_MAX + 48)  //  room for any member and its NUL", "",
          "//  --- Events " + "-" * 58]
    for e in s["events"]:
        o.append("#define OPD_EV_%s \"%s\"" % (c_name(e["topic"]), e["topic"]))
    o += ["typedef struct {", "    const char *topic;", "    bool ticket_id;     //  carries ticket_id",
          "    const char *keys;   //  the further keys, space separated",
          "    bool personal;      //  may hold personal data: swept from opd:events once its ticket is anonymised",
          "} opd_event_info_t;",
          "extern const opd_event_info_t opd_events[];", "extern const size_t opd_event_count;",
          "//  The keys that events type ms (times), \"at\" first; NULL-terminated.",
          "extern const char *const opd_event_time_keys[];", "",
          "//  --- intake.submit " + "-" * 51,
          "typedef struct {", "    const char *key, *type;", "    bool required, personal;", "} opd_intake_key_t;",
          "extern const opd_intake_key_t opd_intake_keys[];", "extern const size_t opd_intake_key_count;",
          "#endif", ""]
    return "\n".join(o)


def c_source(s):
    o = ["/*  " + BANNER + " */", "#include \"opd_schema.h\"", "#include <stdio.h>", "#include <stdlib.h>",
         "#include <string.h>", ""]
    o.append("const char *const opd_clock_ids[OPD_CLOCK_COUNT] = {%s};" % ", ".join('"%s"' % c["id"] for c in s["clocks"]))
    o.append("const char *const opd_clock_names[OPD_CLOCK_COUNT] = {%s};" % ", ".join('"%s"' % c["name"] for c in s["clocks"]))
    o.append("const char *const opd_clock_fields[OPD_CLOCK_COUNT][OPD_CF_COUNT] = {")
    for c in s["clocks"]:
        o.append("    {%s}," % ", ".join('"%s_%s"' % (c["id"], f["name"]) for f in s["clock_fields"]))
    o.append("};")
    states = next(f for f in s["clock_fields"] if f["name"] == "state")["values"]
    o.append("const char *const opd_clock_states[%d] = {NULL, %s};" % (len(states) + 1, ", ".join('"%s"' % v for v in states)))
    o += ["", "static int", "s_find (const char *const *names, int n, const char *text)", "{",
          "    for (int i = 0; text && i < n; i++)", "        if (names[i] && !strcmp (names[i], text))",
          "            return i;", "    return -1;", "}", "",
          "int\nopd_clock_from_id (const char *id)\n{\n    return s_find (opd_clock_ids, OPD_CLOCK_COUNT, id);\n}", "",
          "int\nopd_clock_from_name (const char *name)\n{\n    return s_find (opd_clock_names, OPD_CLOCK_COUNT, name);\n}", "",
          "opd_clock_state_t\nopd_clock_state_parse (const char *text)\n{",
          "    int i = s_find (opd_clock_states, %d, text);" % (len(states) + 1),
          "    return i < 0 ? OPD_CLOCK_NONE : (opd_clock_state_t) i;", "}", ""]
    # The field table, sorted by name for bsearch.
    slots = [(f["name"], "offsetof (opd_ticket_t, %s)" % f["name"]) for f in s["ticket"] if not f.get("pattern")]
    for i, c in enumerate(s["clocks"]):
        for f in s["clock_fields"]:
            slots.append(("%s_%s" % (c["id"], f["name"]), "offsetof (opd_ticket_t, clock[%d].%s)" % (i, f["name"])))
    slots.sort()
    o += ["typedef struct {", "    const char *name;", "    size_t offset;", "} slot_t;",
          "static const slot_t s_slots[] = {"]
    o += ["    {\"%s\", %s}," % (n, off) for n, off in slots]
    o += ["};", "", "static int", "s_slot_cmp (const void *key, const void *slot)", "{",
          "    return strcmp (key, ((const slot_t *) slot)->name);", "}", "",
          "bool", "opd_ticket_set (opd_ticket_t *t, const char *field, const char *value)", "{",
          "    const slot_t *s = bsearch (field, s_slots, sizeof s_slots / sizeof s_slots[0], sizeof *s, s_slot_cmp);",
          "    if (!s)", "        return false;", "    *(const char **) ((char *) t + s->offset) = value;",
          "    return true;", "}", "", "const opd_personal_t opd_personal_fields[] = {"]
    personal = [f for f in s["ticket"] if f.get("personal")]
    for f in personal:
        a = f.get("anonymise")
        o.append("    {\"%s\", %s, %s, %s}," % (f["name"], "NULL" if a in (None, "delete") else '"%s"' % a,
                                              "true" if f["personal"] == "partly" else "false",
                                              "true" if f["personal"] == "text" else "false"))
    o += ["};", "const size_t opd_personal_count = %d;" % len(personal), ""]
    for k in s["keys"]:
        ps = params(k["pattern"])
        if ps:
            o += ["int", "opd_key_%s (char *buf, size_t size, %s)" % (k["name"], ", ".join("const char *" + p for p in ps)),
                  "{", "    int n = snprintf (buf, size, OPD_KEY_%s_FMT, %s);" % (c_name(k["name"]), ", ".join(ps)),
                  "    return n < 0 || (size_t) n >= size ? -1 : n;", "}", ""]
    o.append("const opd_key_info_t opd_keys[] = {")
    for k in s["keys"]:
        o.append("    {\"%s\", \"%s\", OPD_SCOPE_%s, %s, %s}," % (
            k["name"], k["pattern"], k["scope"].upper(), "true" if k.get("personal") else "false",
            '"%s"' % k["sweep"] if k.get("sweep") else "NULL"))
    o += ["};", "const size_t opd_key_count = %d;" % len(s["keys"]), ""]
    o += ["//  Splits text into n parts at the last n - 1 separators.", "static int",
          "s_split (const char *text, size_t len, int n, const char **start, size_t *plen)", "{",
          "    size_t end = len;", "    for (int i = n - 1; i > 0; i--) {", "        size_t j = end;",
          "        while (j > 0 && text[j - 1] != '|')", "            j--;", "        if (j == 0)",
          "            return -2;", "        start[i] = text + j;", "        plen[i] = end - j;", "        end = j - 1;",
          "    }", "    start[0] = text;", "    plen[0] = end;", "    return 0;", "}", "",
          "static int", "s_ms (const char *p, size_t len, int64_t *out)", "{", "    int64_t v = 0;",
          "    for (size_t i = 0; i < len; i++) {", "        if (p[i] < '0' || p[i] > '9' || i > 17)",
          "            return -2;", "        v = v * 10 + (p[i] - '0');", "    }", "    *out = v;", "    return 0;", "}", "",
          "static int", "s_clock (const char *p, size_t len, opd_clock_t *out)", "{",
          "    for (int c = 0; c < OPD_CLOCK_COUNT; c++)",
          "        if (strlen (opd_clock_ids[c]) == len && !memcmp (opd_clock_ids[c], p, len)) {",
          "            *out = (opd_clock_t) c;", "            return 0;", "        }", "    return -2;", "}", ""]
    for m in s["members"]:
        ps = m["parts"]
        fmt, args = [], []
        for p in ps:
            fmt.append({"id": "%s", "clock": "%s", "char": "%c", "ms": "%lld"}[p["type"]])
            args.append({"id": "m->%s", "clock": "opd_clock_ids[m->%s]", "char": "m->%s",
                         "ms": "(long long) m->%s"}[p["type"]] % p["name"])
        o += ["int", "opd_member_%s_make (char *buf, size_t size, const opd_member_%s_t *m)" % (m["name"], m["name"]), "{"]
        if any(p["type"] == "clock" for p in ps):
            cl = next(p["name"] for p in ps if p["type"] == "clock")
            o += ["    if ((int) m->%s < 0 || m->%s >= OPD_CLOCK_COUNT)" % (cl, cl), "        return -1;"]
        o += ["    int n = snprintf (buf, size, \"%s\", %s);" % ("|".join(fmt), ", ".join(args)),
              "    return n < 0 || (size_t) n >= size ? -1 : n;", "}", "",
              "int", "opd_member_%s_parse (const char *text, size_t len, opd_member_%s_t *m)" % (m["name"], m["name"]), "{",
              "    const char *p[%d];" % len(ps), "    size_t l[%d];" % len(ps),
              "    memset (m, 0, sizeof *m);",
              "    if (!text || s_split (text, len, %d, p, l))" % len(ps), "        return -2;"]
        for i, p in enumerate(ps):
            t = p["type"]
            if t == "id":
                o += ["    if (l[%d] == 0 || l[%d] > OPD_ID_MAX || memchr (p[%d], 0, l[%d]))" % (i, i, i, i),
                      "        return -2;", "    memcpy (m->%s, p[%d], l[%d]);" % (p["name"], i, i)]
            elif t == "clock":
                o += ["    if (s_clock (p[%d], l[%d], &m->%s))" % (i, i, p["name"]), "        return -2;"]
            elif t == "ms":
                o += ["    if (s_ms (p[%d], l[%d], &m->%s))" % (i, i, p["name"]), "        return -2;"]
            elif t == "char":
                o += ["    if (l[%d] != 1 || !strchr (\"%s\", p[%d][0]))" % (i, "".join(p["values"]), i),
                      "        return -2;", "    m->%s = p[%d][0];" % (p["name"], i)]
        o += ["    return 0;", "}", ""]
    o.append("const opd_event_info_t opd_events[] = {")
    for e in s["events"]:
        o.append("    {\"%s\", %s, \"%s\", %s}," % (e["topic"], "false" if e.get("ticket_id") is False else "true",
                                                  " ".join(k.split(":")[0] for k in e["keys"]),
                                                  "true" if e.get("personal") else "false"))
    times = ["at"]
    for e in s["events"]:
        for k in e["keys"]:
            name, typ = [x.strip() for x in k.split("--")[0].split(":")]
            if typ.rstrip("?") == "ms" and name not in times:
                times.append(name)
    o += ["};", "const size_t opd_event_count = %d;" % len(s["events"]),
          "const char *const opd_event_time_keys[] = {%s, NULL};" % ", ".join('"%s"' % t for t in times), "",
          "const opd_intake_key_t opd_intake_keys[] = {"]
    n = 0
    for k in s["intake"]["submit"]:
        for name in [k["key"]] + ([k["also"]] if k.get("also") else []):
            o.append("    {\"%s\", \"%s\", %s, %s}," % (name, k["type"], "true" if k.get("required") else "false",
                                                       "true" if k.get("personal") else "false"))
            n += 1
    o += ["};", "const size_t opd_intake_key_count = %d;" % n, ""]
    return "\n".join(o)


def c_samples(s):
    """The round-trip tests of the schema's samples (tests/unit/test_schema.c includes them)."""
    o = ["/*  " + BANNER + " */", ""]
    for m in s["members"]:
        n = m["name"]
        o += ["static void", "test_member_%s_samples_round_trip (void **state)" % n, "{", "    (void) state;",
              "    char buf[OPD_MEMBER_MAX];", "    opd_member_%s_t m;" % n]
        for smp in m["samples"]:
            init = []
            for p in m["parts"]:
                v = smp[p["name"]]
                init.append({"id": '"%s"', "clock": "OPD_CLOCK_%s", "char": "'%s'", "ms": "%sLL"}[p["type"]]
                            % (c_name(v) if p["type"] == "clock" else v))
            t = smp["text"]
            o += ["    {", "        opd_member_%s_t want = {%s};" % (n, ", ".join(init)),
                  "        assert_int_equal (opd_member_%s_make (buf, sizeof buf, &want), %d);" % (n, len(t)),
                  "        assert_string_equal (buf, \"%s\");" % t,
                  "        assert_int_equal (opd_member_%s_parse (buf, strlen (buf), &m), 0);" % n,
                  ] + ["        assert_%s (m.%s, want.%s);" % ("string_equal" if p["type"] == "id" else "int_equal",
                                                                   p["name"], p["name"]) for p in m["parts"]] + ["    }"]
        o += ["}", ""]
    o += ["static void", "test_key_builders_write_the_patterns (void **state)", "{", "    (void) state;",
          "    char buf[256];"]
    for k in s["keys"]:
        ps = params(k["pattern"])
        if ps:
            want = k["pattern"]
            for i, p in enumerate(ps):
                want = want.replace("{%s}" % p, "v%d" % i)
            o.append("    assert_int_equal (opd_key_%s (buf, sizeof buf, %s), %d);" % (
                k["name"], ", ".join('"v%d"' % i for i in range(len(ps))), len(want)))
            o.append("    assert_string_equal (buf, \"%s\");" % want)
            o.append("    assert_int_equal (opd_key_%s (buf, %d, %s), -1);" % (
                k["name"], len(want), ", ".join('"v%d"' % i for i in range(len(ps)))))
        else:
            o.append("    assert_string_equal (OPD_KEY_%s, \"%s\");" % (c_name(k["name"]), k["pattern"]))
    o += ["}", "", "#define SCHEMA_SAMPLE_TESTS \\"]
    o += ["    cmocka_unit_test (test_member_%s_samples_round_trip), \\" % m["name"] for m in s["members"]]
    o += ["    cmocka_unit_test (test_key_builders_write_the_patterns)", ""]
    return "\n".join(o)


# --- intake.submit for senders (opd_submit_msg.h) --------------------------

def submit_keys(s):
    """The keys a sender fills: every submit key but v and type, with `also` as its own key."""
    out = []
    for k in s["intake"]["submit"]:
        if k["key"] in ("v", "type"):
            continue
        out.append(k)
        if k.get("also"):
            out.append(dict(k, key=k["also"], sample=k.get("also_sample")))
    return out


def c_submit_header(s):
    o = ["/*  " + BANNER, "", "    opd_submit_msg: intake.submit as a sender writes it (CONTRACT.md section 3).",
         "    Every adapter of opdesk packs its requests with opd_submit_msg_pack, so the",
         "    message is defined once; intake decodes and validates it (opd_intake.h). */",
         "#ifndef OPD_SUBMIT_MSG_H_INCLUDED", "#define OPD_SUBMIT_MSG_H_INCLUDED",
         "#include <jansson.h>", "#include <msgpack.h>", "#include <stdbool.h>", "#include <stddef.h>",
         "#include <stdint.h>", "", "//  Unset members (NULL, 0, false) are not sent.", "typedef struct {"]
    import textwrap
    for k in submit_keys(s):
        doc = k["doc"].replace("`", "")
        o += ["    //  " + line for line in textwrap.wrap(doc, 86)]
        if k.get("parts"):
            o.append("    struct {")
            o.append("        const char *%s;" % ", *".join(k["parts"]))
            o.append("    } %s;" % k["key"])
        elif k.get("c") == "json":
            o.append("    const json_t *%s;" % k["key"])
        elif k.get("c") == "strs":
            o.append("    const char *const *%s;" % k["key"])
            o.append("    size_t %s_count;" % k["key"])
        else:
            o.append("    %s%s;" % ({"str": "const char *", "int": "int64_t ", "bool": "bool "}[k["type"]], k["key"]))
    o += ["} opd_submit_msg_t;", "",
          "//  Packs the message into buf (which the caller initialised). Returns -1,",
          "//  packing nothing, when a required string is missing (a map that is",
          "//  required, the requester, is sent even when empty, for intake to refuse).",
          "int opd_submit_msg_pack (const opd_submit_msg_t *m, msgpack_sbuffer *buf);", "", "#endif", ""]
    return "\n".join(o)


def c_submit_source(s):
    keys = submit_keys(s)
    o = ["/*  " + BANNER + " */", "#include \"opd_submit_msg.h\"", "#include \"opd_intake.h\"", "",
         "static void", "s_pack_kv_bool (msgpack_packer *pk, const char *key)", "{",
         "    opd_pack_str (pk, key);", "    msgpack_pack_true (pk);", "}", "",
         "static bool", "s_has (const opd_submit_msg_t *m, int i)", "{", "    switch (i) {"]
    for i, k in enumerate(keys):
        if k.get("parts") and k.get("required"):
            cond = "true;  //  sent even when empty: intake says what is missing"
        elif k.get("parts"):
            cond = " || ".join("m->%s.%s" % (k["key"], p) for p in k["parts"])
        elif k.get("c") == "strs":
            cond = "m->%s_count > 0" % k["key"]
        elif k["type"] == "int":
            cond = "m->%s != 0" % k["key"]
        else:
            cond = "m->%s" % k["key"]
        o.append("    case %d: return %s%s" % (i, cond, "" if cond.endswith("missing") else ";"))
    o += ["    default: return false;", "    }", "}", ""]
    for k in keys:
        if k.get("parts"):
            o += ["static void", "s_pack_%s (msgpack_packer *pk, const opd_submit_msg_t *m)" % k["key"], "{",
                  "    msgpack_pack_map (pk, %s);" % " + ".join("(m->%s.%s != NULL)" % (k["key"], p) for p in k["parts"])]
            for p in k["parts"]:
                o += ["    if (m->%s.%s)" % (k["key"], p), "        opd_pack_kv_str (pk, \"%s\", m->%s.%s);" % (p, k["key"], p)]
            o += ["}", ""]
    o += ["int", "opd_submit_msg_pack (const opd_submit_msg_t *m, msgpack_sbuffer *buf)", "{"]
    req = [i for i, k in enumerate(keys) if k.get("required") and k["type"] == "str"]
    o += ["    if (%s)" % " || ".join("!s_has (m, %d)" % i for i in req), "        return -1;",
          "    size_t n = 2;", "    for (int i = 0; i < %d; i++)" % len(keys), "        n += s_has (m, i);",
          "    msgpack_packer pk;", "    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);",
          "    msgpack_pack_map (&pk, n);", "    opd_pack_kv_int (&pk, \"v\", %d);" % s["version"],
          "    opd_pack_kv_str (&pk, \"type\", \"intake.submit\");"]
    for i, k in enumerate(keys):
        o.append("    if (s_has (m, %d)) {" % i)
        if k.get("parts"):
            o += ["        opd_pack_str (&pk, \"%s\");" % k["key"], "        s_pack_%s (&pk, m);" % k["key"]]
        elif k.get("c") == "json":
            o += ["        opd_pack_str (&pk, \"%s\");" % k["key"], "        opd_pack_json (&pk, m->%s);" % k["key"]]
        elif k.get("c") == "strs":
            o += ["        opd_pack_str (&pk, \"%s\");" % k["key"],
                  "        msgpack_pack_array (&pk, m->%s_count);" % k["key"],
                  "        for (size_t j = 0; j < m->%s_count; j++)" % k["key"],
                  "            opd_pack_str (&pk, m->%s[j]);" % k["key"]]
        else:
            o.append("        " + {"str": "opd_pack_kv_str (&pk, \"%s\", m->%s);",
                                    "int": "opd_pack_kv_int (&pk, \"%s\", m->%s);",
                                    "bool": "s_pack_kv_bool (&pk, \"%s\");"}[k["type"]]
                     .replace("%s", k["key"], 1).replace("%s", k["key"]))
        o.append("    }")
    o += ["    return 0;", "}", ""]
    return "\n".join(o)


def c_lit(v):
    return '"%s"' % str(v).replace("\\", "\\\\").replace('"', '\\"')


def c_submit_samples(s):
    """The round trip of the schema's samples: packed by opd_submit_msg_pack,
    decoded by opd_submit_decode (tests/unit/test_intake.c includes it)."""
    import json
    keys = submit_keys(s)
    o = ["/*  " + BANNER + " */", "", "static void", "test_submit_samples_round_trip (void **state)", "{",
         "    (void) state;"]
    for k in keys:
        if k.get("c") == "json":
            o.append("    json_t *%s = json_loads (%s, 0, NULL);" % (k["key"], c_lit(json.dumps(k["sample"]))))
        elif k.get("c") == "strs":
            o.append("    const char *%s[] = {%s};" % (k["key"], ", ".join(c_lit(v) for v in k["sample"])))
    o.append("    opd_submit_msg_t m = {")
    for k in keys:
        v = k["sample"]
        if k.get("parts"):
            o.append("        .%s = {%s}," % (k["key"], ", ".join(".%s = %s" % (p, c_lit(v[p])) for p in k["parts"])))
        elif k.get("c") == "json":
            o.append("        .%s = %s," % (k["key"], k["key"]))
        elif k.get("c") == "strs":
            o.append("        .%s = %s, .%s_count = %d," % (k["key"], k["key"], k["key"], len(v)))
        elif k["type"] == "int":
            o.append("        .%s = %dLL," % (k["key"], v))
        elif k["type"] == "bool":
            o.append("        .%s = %s," % (k["key"], "true" if v else "false"))
        else:
            o.append("        .%s = %s," % (k["key"], c_lit(v)))
    o += ["    };", "    msgpack_sbuffer buf;", "    msgpack_sbuffer_init (&buf);",
          "    assert_int_equal (opd_submit_msg_pack (&m, &buf), 0);", "    opd_submit_t *d = NULL;",
          "    opd_reject_t rej;", "    int rc = opd_submit_decode (buf.data, buf.size, s_cfg, NOW, &d, &rej);",
          "    if (rc != 0)", "        fail_msg (\"the schema's samples were refused: %s (key %s)\", rej.message, rej.key);"]
    for k in keys:
        v = k["sample"]
        if k.get("parts"):
            for p in k["parts"]:
                o.append("    assert_string_equal (d->req_%s, %s);" % (p, c_lit(v[p])))
        elif k.get("c") in ("json", "strs"):
            o += ["    {", "        json_t *got = json_loads (d->%s_json, 0, NULL);" % k["key"],
                  "        json_t *want = json_loads (%s, 0, NULL);" % c_lit(json.dumps(v)),
                  "        assert_true (json_equal (got, want));", "        json_decref (got);",
                  "        json_decref (want);", "    }"]
        elif k["type"] == "int":
            o.append("    assert_int_equal (d->%s, %dLL);" % (k["key"], v))
        elif k["type"] == "bool":
            o.append("    assert_%s (d->%s);" % ("true" if v else "false", k["key"]))
        else:
            o.append("    assert_string_equal (d->%s, %s);" % (k["key"], c_lit(v)))
    o += ["    opd_submit_destroy (&d);", "    msgpack_sbuffer_destroy (&buf);"]
    o += ["    json_decref (%s);" % k["key"] for k in keys if k.get("c") == "json"]
    o += ["    //  A message without a required member is not packed at all.", "    m.subject = NULL;",
          "    msgpack_sbuffer_init (&buf);", "    assert_int_equal (opd_submit_msg_pack (&m, &buf), -1);",
          "    assert_int_equal (buf.size, 0);", "    msgpack_sbuffer_destroy (&buf);", "}", ""]
    return "\n".join(o)


# --- Lua -----------------------------------------------------------------

def lua(s):
    o = ["-- " + BANNER, "-- The top of the Redis function library opdesk, before prelude.lua (common/embed_lua.cmake).", "",
         "-- The SLO clocks: short id (hash fields, members) -> long name (events).",
         "local CLOCKS = {%s}" % ", ".join("'%s'" % c["id"] for c in s["clocks"]),
         "local SLO_NAMES = {%s}" % ", ".join("%s = '%s'" % (c["id"], c["name"]) for c in s["clocks"]), "",
         "-- Redis keys (proto/keys.md): a string, or a function of the parameters.", "local KEY = {"]
    for k in s["keys"]:
        ps = params(k["pattern"])
        if not ps:
            o.append("  %s = '%s'," % (k["name"], k["pattern"]))
        else:
            parts = re.split(r"(\{\w+\})", k["pattern"])
            expr = " .. ".join(p[1:-1] if p.startswith("{") else "'%s'" % p for p in parts if p)
            o.append("  %s = function (%s) return %s end," % (k["name"], ", ".join(ps), expr))
    o += ["}", "", "-- The keys of one ticket that take only its id (migrate.lua renames them).",
          "local TICKET_KEYS = {%s}" % ", ".join("'%s'" % k["name"] for k in s["keys"]
                                                if k["scope"] == "ticket" and params(k["pattern"]) == ["id"])]
    o += ["", "-- Set members: MEMBER.x(parts...) makes one, MEMBER.x_parse(text) returns its",
          "-- parts (nil when malformed); the id is what precedes the last separators.", "local MEMBER = {"]
    for m in s["members"]:
        names = [p["name"] for p in m["parts"]]
        o.append("  %s = function (%s) return %s end," % (m["name"], ", ".join(names), " .. '|' .. ".join(names)))
        pat = "^(.+)" + "".join({"clock": "|(%a+)", "char": "|(%a)", "ms": "|(%d*)", "id": "|(.+)"}[p["type"]]
                                for p in m["parts"][1:]) + "$"
        o.append("  %s_parse = function (text) return string.match(text, '%s') end," % (m["name"], pat))
    o += ["}", "", "-- Personal fields of the ticket hash: replace = the new text, or nil to delete.",
          "-- partly: only some values are personal; the caller (C) decides which.", "local PERSONAL = {"]
    for f in s["ticket"]:
        if f.get("personal"):
            a = f.get("anonymise")
            bits = ["field = '%s'" % f["name"]]
            if a not in (None, "delete"):
                bits.append("replace = '%s'" % a)
            if f["personal"] == "partly":
                bits.append("partly = true")
            if f["personal"] == "text":
                bits.append("text = true")
            o.append("  {%s}," % ", ".join(bits))
    o += ["}", ""]
    return "\n".join(o)


# --- Markdown tables -----------------------------------------------------

def md_keys(s):
    o = ["| key | type | scope | written by | read by | what |", "| --- | --- | --- | --- | --- | --- |"]
    for k in s["keys"]:
        pat = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), k["pattern"])
        what = k["doc"] + (" **Personal data.**" if k.get("personal") else "")
        o.append("| `%s` | %s | %s | %s | %s | %s |" % (pat, k["type"], k["scope"], k["writers"], k["readers"],
                                                     what.replace("|", "\\|")))
    return "\n".join(o)


def md_ticket(s):
    o = ["| field | type | personal | meaning |", "| --- | --- | --- | --- |"]
    for f in s["ticket"]:
        t = f["type"] + (" (%s)" % ", ".join(f["values"]) if f.get("values") else "") + \
            (" %s" % f["shape"] if f.get("shape") else "")
        p = {True: "yes", "partly": "partly", "text": "text", None: ""}[f.get("personal")]
        if f.get("anonymise"):
            p += ": " + ("deleted" if f["anonymise"] == "delete" else "becomes `%s`" % f["anonymise"])
        o.append("| `%s` | %s | %s | %s |" % (f["name"], t, p, f["doc"]))
    o.append("| `CLOCK_FIELD` | | | the clocks %s (CLOCK %s), each with the fields below |" % (
        ", ".join(c["name"] for c in s["clocks"]), ", ".join("`%s`" % c["id"] for c in s["clocks"])))
    o += ["", "| clock field | type | meaning |", "| --- | --- | --- |"]
    for f in s["clock_fields"]:
        t = f["type"] + (" (%s)" % ", ".join(f["values"]) if f.get("values") else "")
        o.append("| `CLOCK_%s` | %s | %s |" % (f["name"], t, f["doc"]))
    o += ["", "| set member | parts | example | what |", "| --- | --- | --- | --- |"]
    for m in s["members"]:
        o.append("| %s | `%s` | `%s` | %s |" % (m["name"], "\\|".join(p["name"].upper() for p in m["parts"]),
                                               m["samples"][0]["text"].replace("|", "\\|"), m["doc"]))
    return "\n".join(o)


def md_intake(s):
    o = ["| key | type | required | meaning |", "| --- | --- | --- | --- |"]
    for k in s["intake"]["submit"]:
        name = "`%s`" % k["key"] + (", `%s`" % k["also"] if k.get("also") else "")
        doc = ("**opdesk addition**: " if k.get("addition") else "") + k["doc"]
        o.append("| %s | %s | %s | %s |" % (name, k["type"], "yes" if k.get("required") else "no", doc))
    return "\n".join(o)


def md_events(s):
    o = ["| topic | further keys |", "| --- | --- |"]
    ev = s["events"]
    i = 0
    while i < len(ev):
        e = ev[i]
        n = e.get("group", 1)
        topics = ", ".join("`%s`" % x["topic"] for x in ev[i:i + n])
        keys = []
        for k in e["keys"]:
            name, _, note = k.partition(" -- ")
            keys.append("`%s`" % name.split(":")[0] + (" (%s)" % note if note else ""))
        text = ", ".join(keys) or "none"
        pre = ("**opdesk addition**" if e.get("addition") else "")
        if e.get("ticket_id") is False:
            pre += (", no" if pre else "no") + " `ticket_id`"
        o.append("| %s | %s |" % (topics, (pre + ": " if pre else "") + text))
        i += n
    return "\n".join(o)


def splice(text, name, table, path):
    begin = "<!-- generated: %s" % name
    end = "<!-- end generated: %s -->" % name
    b, e = text.find(begin), text.find(end)
    if b < 0 or e < 0:
        sys.exit("gen.py: %s lacks the markers of %s" % (path, name))
    head = text[:b] + "%s (%s) -->\n" % (begin, "from proto/schema.yaml by proto/gen.py; do not edit between the markers")
    return head + table + "\n" + text[e:]


def outputs(s):
    def doc(path, tables):
        text = open(os.path.join(ROOT, path)).read()
        for name, table in tables:
            text = splice(text, name, table, path)
        return text
    return {
        "proto/include/opd_schema.h": c_header(s),
        "proto/src/opd_schema.c": c_source(s),
        "common/lua/schema.lua": lua(s),
        "tests/unit/schema_samples.inc": c_samples(s),
        "proto/include/opd_submit_msg.h": c_submit_header(s),
        "proto/src/opd_submit_msg.c": c_submit_source(s),
        "tests/unit/submit_samples.inc": c_submit_samples(s),
        "proto/keys.md": doc("proto/keys.md", [("keys", md_keys(s)), ("ticket", md_ticket(s))]),
        "proto/README.md": doc("proto/README.md", [("intake", md_intake(s)), ("events", md_events(s))]),
    }


def main():
    s = yaml.safe_load(open(os.path.join(ROOT, "proto/schema.yaml")))
    out = outputs(s)
    if "--check" not in sys.argv[1:]:
        for path, text in out.items():
            with open(os.path.join(ROOT, path), "w") as f:
                f.write(text)
        return 0
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path, text in out.items():
            fresh = os.path.join(tmp, path.replace("/", "_"))
            with open(fresh, "w") as f:
                f.write(text)
            committed = os.path.join(ROOT, path)
            old = open(committed).read() if os.path.exists(committed) else ""
            if old != open(fresh).read():
                bad = 1
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                           path, path + " (regenerated)"))
    if bad:
        print("gen-check: generated files differ from proto/schema.yaml; run python3 proto/gen.py and commit")
    else:
        print("gen-check: every generated file matches proto/schema.yaml")
    return bad


if __name__ == "__main__":
    sys.exit(main())
