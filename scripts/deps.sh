#!/bin/sh
# Install the Debian packages cbench needs, or say exactly how to.
#
#   sh scripts/deps.sh build [CC]   what compiling needs: the C compiler CC
#                                   (default gcc), libev-dev, libhttp-parser-dev,
#                                   liburing-dev (the uring model)
#   sh scripts/deps.sh              all of it: the build packages plus what
#                                   `make test` and `make bench` run: cmocka,
#                                   hyperfine, gnuplot, wrk, jq, curl, python3
#                                   and the shell linter
#
# `make` calls the first form, `make test`, `make bench` and .ci/run the
# second. As root it runs `apt-get update` once and installs what is missing;
# as anyone else it prints the command to run and fails, so nothing
# half-works.
set -eu

mode=${1:-all}
compiler=${2:-gcc}
compiler=${compiler%% *}   # "ccache gcc" or "gcc -m32": the first word runs

case $mode in
build|all) ;;
*) echo "usage: sh scripts/deps.sh [build [CC] | all]" >&2; exit 2 ;;
esac

# The Debian package that provides the compiler command.
case ${compiler##*/} in
gcc|cc|c99|c89) compiler_package=gcc ;;
gcc-[0-9]*|clang|clang-[0-9]*) compiler_package=${compiler##*/} ;;   # gcc-12, clang-14
*) compiler_package="" ;;
esac

# command-or-header : package
BUILD_PACKAGES="
/usr/include/ev.h:libev-dev
/usr/include/http_parser.h:libhttp-parser-dev
/usr/include/liburing.h:liburing-dev
"
TOOL_PACKAGES="
/usr/include/cmocka.h:libcmocka-dev
/usr/bin/hyperfine:hyperfine
/usr/bin/gnuplot:gnuplot-nox
/usr/bin/wrk:wrk
/usr/bin/jq:jq
/usr/bin/curl:curl
/usr/bin/shellcheck:shellcheck
/usr/bin/python3:python3
/usr/bin/make:make
"
PACKAGES=$BUILD_PACKAGES
[ "$mode" = all ] && PACKAGES="$PACKAGES $TOOL_PACKAGES"

missing=""
if ! command -v "$compiler" >/dev/null 2>&1; then
    if [ -z "$compiler_package" ]; then
        echo "cbench: the C compiler \"$compiler\" is not installed (CC=$compiler)" >&2
        exit 1
    fi
    missing=" $compiler_package"
fi
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
