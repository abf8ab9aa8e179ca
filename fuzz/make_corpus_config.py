#!/usr/bin/python3
"""Writes the seed corpus of fuzz_config into fuzz/corpus/config/ (one file per configuration).

The shipped configurations (deploy/*.yaml), the one the integration tests
write (tests/integration/harness.py base_config), alias bombs, and broken
files the loader must refuse with one line. Run again after changing any of them:
    /usr/bin/python3 fuzz/make_corpus_config.py   (the system Python: harness.py needs its modules)
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "corpus", "config")

BOMB = "categories:\n  a: &a {a: {}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}, h: {}, i: {}, j: {}}\n"
for prev, name in zip("abcdefgh", "bcdefghi"):
    BOMB += "  %s: &%s {%s}\n" % (name, name, ", ".join("%s: *%s" % (k, prev) for k in "abcdefghij"))

SMALL = """ticket_prefix: OPD
calendars: {always: {timezone: UTC, hours: 24x7}, office: {timezone: Europe/London, hours: {mon: ["08:00-18:00"]}}}
slo_policies: [{name: all, match: {category: hardware}, calendar: office, first_response: 1h, next_reply: 2h}]
categories: {hardware: {laptop: {}}, network: [vpn, wifi]}
teams: [{id: t, calendar: office}]
default_team: t
agents: [{id: a, email: a@example.org, teams: [t]}]
shifts: [{agent: a, team: t, days: [mon], from: "22:00", to: "06:00"}]
routing_rules: [{name: r, when: {keywords: [vpn], in: [subject]}, then: {team: t, category: network/vpn}}]
tokens: [{token: "sha256:%s", role: admin}]
""" % ("ab" * 32)

SEEDS = {
    "alias-bomb.yaml": BOMB,
    "alias-text-bomb.yaml": "routing_rules:\n  - name: x\n    when: {keywords: [&k %s%s]}\n"
                            % ("v" * 8192, ", *k" * 1000),
    "alias-cycle.yaml": "categories: &a {x: *a}\n",
    "alias-merge.yaml": "calendars:\n  base: &b {timezone: UTC, hours: 24x7}\n  other: {<<: *b}\n",
    "deep.yaml": "categories: " + "{a: " * 80 + "{}" + "}" * 80 + "\n",
    "small.yaml": SMALL,
    "broken-unclosed.yaml": "redis: {host: [unclosed\n",
    "broken-indent.yaml": "a: b\n  c: d\n",
    "broken-list.yaml": "- just\n- a list\n",
    "broken-complex-key.yaml": "calendars:\n  ? [a, b]\n  : {timezone: UTC, hours: 24x7}\n",
    "broken-newline-value.yaml": 'endpoints: {intake: "udp://x\\ny:1"}\n',
    "broken-tab.yaml": "redis:\n\thost: x\n",
    "broken-utf8.yaml": b"ticket_prefix: \"\xff\xfe\"\nfooter: \"\xc3\"\n",
    "broken-unknown-key.yaml": "colour: blue\n",
    "broken-anchor.yaml": "teams: [*nowhere]\n",
    "empty.yaml": "",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*")):
        os.remove(old)
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy", "*.yaml"))):
        with open(path, "rb") as f:
            data = f.read()
        with open(os.path.join(OUT, "deploy-" + os.path.basename(path)), "wb") as f:
            f.write(data)
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    try:
        import harness
        with open(os.path.join(OUT, "harness-base.yaml"), "w") as f:
            json.dump(harness.base_config(), f, indent=1)
    except ImportError as e:
        print("skipped harness-base.yaml: %s" % e)
    for name, text in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
    print("wrote %d seeds into fuzz/corpus/config/" % len(os.listdir(OUT)))


if __name__ == "__main__":
    main()
