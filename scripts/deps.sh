#!/bin/sh
# Install the Debian packages cbench needs, or say exactly how to.
#
# Called by the Makefile before building and by .ci/run. As root it runs
# `apt-get update` once and installs what is missing; as anyone else it prints
# the command to run and fails, so nothing half-works.
set -eu

# command-or-header : package
PACKAGES="
/usr/include/ev.h:libev-dev
/usr/include/http_parser.h:libhttp-parser-dev
/usr/include/cmocka.h:libcmocka-dev
/usr/bin/hyperfine:hyperfine
/usr/bin/gnuplot:gnuplot-nox
/usr/bin/wrk:wrk
/usr/bin/jq:jq
/usr/bin/curl:curl
/usr/bin/shellcheck:shellcheck
/usr/bin/gcc:gcc
/usr/bin/make:make
"

missing=""
for entry in $PACKAGES; do
    path=${entry%%:*}
    package=${entry#*:}
    [ -e "$path" ] || missing="$missing $package"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "cbench: missing Debian packages:$missing" >&2
    echo "cbench: install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "cbench: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086  # the package list is meant to split into words
apt-get install -y -q --no-install-recommends $missing >&2
