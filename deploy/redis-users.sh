#!/bin/sh
# Writes the Redis users of opdesk into DIR, once:
#   DIR/redis-NAME   the password of the user opdesk-NAME (and redis-admin for
#                    opdesk-admin): 64 random hex digits, made on the first run
#                    and kept afterwards
#   DIR/users.acl    deploy/redis-users.acl with each password's SHA-256 in
#                    place of @PASSWORD@ (rewritten on every run, so that a
#                    changed template or a deleted password file takes effect)
#
#   sh deploy/redis-users.sh DIR [TEMPLATE]
#
# OWNERS="intake=10011 router=10012 ..." (docker-compose.yml) gives each
# password file to that uid, readable by it alone; without it the files
# belong to whoever runs this, mode 0600. POSIX sh and coreutils only: it
# runs in the redis:7 image as the init step of docker-compose.yml, and in
# tests/integration/test_redis_acl.py.
set -eu
dir=${1:?usage: redis-users.sh DIR [TEMPLATE]}
template=${2:-$(dirname "$0")/redis-users.acl}
[ -r "$template" ] || { echo "redis-users: cannot read $template" >&2; exit 1; }
mkdir -p "$dir"
umask 077
commands=$(sed -n 's/^commands //p' "$template")
[ -n "$commands" ] || { echo "redis-users: $template has no 'commands' line" >&2; exit 1; }

owner_of() {  # NAME -> uid from OWNERS, or nothing (status 0 either way: set -e)
    for pair in ${OWNERS:-}; do
        if [ "${pair%%=*}" = "$1" ]; then
            echo "${pair#*=}"
            return 0
        fi
    done
    return 0
}

tmp="$dir/users.acl.new"
: > "$tmp"
created=0
while IFS= read -r line; do
    case "$line" in
        ''|'#'*|commands\ *) continue ;;
    esac
    case "$line" in
        *@PASSWORD@*)
            user=$(echo "$line" | cut -d' ' -f2)
            name=${user#opdesk-}
            file="$dir/redis-$name"
            if [ ! -s "$file" ]; then
                head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file"
                created=$((created + 1))
            fi
            uid=$(owner_of "$name")
            if [ -n "$uid" ]; then
                chown "$uid" "$file" && chmod 0400 "$file"
            else
                chmod 0600 "$file"
            fi
            hash=$(tr -d '\n' < "$file" | sha256sum | cut -d' ' -f1)
            line=$(echo "$line" | sed "s/@PASSWORD@/#$hash/")
            ;;
    esac
    echo "$line" | sed "s/@OPDESK_COMMANDS@/$commands/" >> "$tmp"
done < "$template"
# Hashes only: Redis (another uid) must read it.
chmod 0444 "$tmp"
mv "$tmp" "$dir/users.acl"
echo "redis-users: $dir/users.acl written; $created new password(s)"
