#!/usr/bin/env bash
# Installs the system packages seatd needs to build and test, if they are missing.
# Swift itself (6.x) is expected on PATH.
#   scripts/install-deps.sh build    building and running seatd (`make build`, `make demo`)
#   scripts/install-deps.sh          also what `make test` uses
#   scripts/install-deps.sh deb      also what `make deb` and `make deb-test` use
set -euo pipefail

mode="${1:-test}"
missing=()
pkg-config --exists lmdb 2>/dev/null || missing+=(liblmdb-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v openssl >/dev/null || missing+=(openssl)
if [ "$mode" != build ]; then
    # The C tests compile against libseatclient with the system C compiler.
    command -v cc >/dev/null || missing+=(gcc libc6-dev)
    if [ "$mode" = deb ]; then
        command -v dpkg-buildpackage >/dev/null || missing+=(dpkg-dev)
        command -v dh >/dev/null || missing+=(debhelper)
        command -v help2man >/dev/null || missing+=(help2man)
        command -v lintian >/dev/null || missing+=(lintian)
        command -v debootstrap >/dev/null || missing+=(debootstrap)
    fi
    command -v mdb_stat >/dev/null || missing+=(lmdb-utils)
    # The dashboard's browser test (Tests/browser): headless Chromium driven by chromedriver.
    command -v chromium >/dev/null || missing+=(chromium)
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    # Debian's python3 (apt's selenium), not whichever python3 is first on PATH.
    /usr/bin/python3 -c 'import selenium' 2>/dev/null || missing+=(python3-selenium)
    # The PostgreSQL high-availability tests (Tests/ClusterTests) start a private server with
    # initdb and postgres, which Debian keeps outside PATH.
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    # systemd-analyze checks the unit (scripts/check-systemd.sh, run by the test suite).
    command -v systemd-analyze >/dev/null || missing+=(systemd)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

command -v swift >/dev/null || { echo "swift (6.x) is required on PATH" >&2; exit 1; }
