#!/bin/sh
# The certificate of the nginx proxy (docker-compose.yml, profile proxy):
# when DIR has no fullchain.pem and privkey.pem yet, writes a self-signed
# pair for $TLS_HOSTNAME (default localhost), valid 825 days, so that the
# proxy starts; a pair that exists is never touched. To use a real
# certificate, copy it over the two files in the volume and reload nginx
# (docs/deploy.md, "nginx in front of opdesk-web").
#
#   sh deploy/tls-init.sh DIR
set -eu
dir=${1:?usage: tls-init.sh DIR}
host=${TLS_HOSTNAME:-localhost}
mkdir -p "$dir"
if [ -s "$dir/fullchain.pem" ] && [ -s "$dir/privkey.pem" ]; then
    echo "tls-init: $dir holds a certificate; keeping it"
    exit 0
fi
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host" \
    -keyout "$dir/privkey.pem.new" -out "$dir/fullchain.pem.new" 2>/dev/null
chmod 0644 "$dir/fullchain.pem.new"
mv "$dir/privkey.pem.new" "$dir/privkey.pem"
mv "$dir/fullchain.pem.new" "$dir/fullchain.pem"
echo "tls-init: wrote a self-signed certificate for $host into $dir; replace it with a real one (docs/deploy.md)"
