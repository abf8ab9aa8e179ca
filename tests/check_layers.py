#!/usr/bin/env python3
"""check_layers: the code's dependencies point one way, and stay so.

The layers, lowest first:
  common/    infrastructure: configuration, logging, Redis and ZeroMQ
             clients, the service frame, HTTP glue, calendars
  proto/     the messages and formats programs exchange
  store/     the ticket's store layer (when there is one)
  services/  one folder per program; a folder may also build a library
             that other programs link (libopdmail in services/email/,
             libopdslo in services/slo/, libopdanon in services/anonymiser/)

A C file may include a header of its own layer or of a lower one, never of
a higher one: nothing in common/ includes proto/, store/ or a service, and
nothing in proto/ includes a service. Between services, only a library's
public headers (named opd_*.h) may be included, never another program's
own headers (email.h, slo.h, web.h). common/CMakeLists.txt links nothing
from above either.

Run by ctest as check.layers; prints each offending line and exits 1.
    python3 tests/check_layers.py [ROOT]
"""
import os
import re
import sys

LAYERS = {"common": 0, "proto": 1, "store": 2, "services": 3}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(rel):
    top = rel.split("/", 1)[0]
    return LAYERS.get(top)


def service_of(rel):
    parts = rel.split("/")
    return parts[1] if parts[0] == "services" and len(parts) > 2 else None


def sources(root):
    for top in LAYERS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    files = list(sources(root))
    #  Where each header name lives (a name may live in several folders).
    where = {}
    for rel in files:
        if rel.endswith(".h"):
            where.setdefault(os.path.basename(rel), []).append(rel)
    bad = []
    for rel in files:
        mine = layer_of(rel)
        here = os.path.dirname(rel)
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                name = m.group(1)
                #  A header beside the file (or by a path from it) is its own.
                if os.path.exists(os.path.join(root, here, name)):
                    continue
                found = where.get(os.path.basename(name), [])
                if not found:
                    continue  # generated, or a system header in quotes
                #  The lowest layer that has it is the one the compiler may find.
                target = min(found, key=lambda p: LAYERS[p.split("/", 1)[0]])
                theirs = layer_of(target)
                why = None
                if theirs > mine:
                    why = "%s/ may not include %s (%s/ is a higher layer)" % (
                        rel.split("/", 1)[0], target, target.split("/", 1)[0])
                elif mine == theirs == LAYERS["services"] and service_of(target) != service_of(rel):
                    if not os.path.basename(target).startswith("opd_"):
                        why = "a service may include only another service's library headers (opd_*.h), not %s" % target
                if why:
                    bad.append("%s:%d: %s\n    %s" % (rel, n, line.strip(), why))
    cmake = os.path.join(root, "common", "CMakeLists.txt")
    if os.path.exists(cmake):
        with open(cmake, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                code = line.split("#", 1)[0]
                if re.search(r"\bopdproto\b|\bopdstore\b|\bopdmail\b|\bopdslo\b|\bopdanon\b|\.\./|services/|proto/", code):
                    bad.append("common/CMakeLists.txt:%d: %s\n    common/ may not link or build from a higher layer"
                               % (n, line.strip()))
    for b in bad:
        print(b)
    if bad:
        print("check_layers: %d line(s) against the layers (see tests/check_layers.py)" % len(bad))
        return 1
    print("check_layers: %d files, every include points down or sideways within its layer" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
