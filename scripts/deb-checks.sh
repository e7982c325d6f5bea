#!/usr/bin/env bash
# Runs inside the clean chroot made by scripts/test-deb-chroot.sh (from /tmp/seatd-test,
# holding debs/, demo/ and scripts/). Every step fails the run if its check fails.
set -euo pipefail
cd /tmp/seatd-test
export DEBIAN_FRONTEND=noninteractive
step() { printf '\n=== %s\n' "$*"; }
fail() {
    echo "FAILED: $*" >&2
    [ ! -s /tmp/seatd-service.log ] || { echo "--- seatd (service) log" >&2; tail -n 40 /tmp/seatd-service.log >&2; }
    exit 1
}
libdir=/usr/lib/x86_64-linux-gnu

# Polls until COMMAND succeeds, for up to 60 s.
wait_for() {
    for _ in $(seq 1 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "timed out waiting for: $*"
}

# Starts seatd as its unit does (user seatd, group seatd, seatd-admin, /etc/seatd/seatd.conf).
service_pid=
start_service() {
    install -d -o seatd -g seatd -m 0755 /run/seatd
    # setpriv execs seatd itself (runuser would stay as its parent), so SIGTERM reaches seatd
    # alone and its exit status is seatd's.
    setpriv --reuid=seatd --regid=seatd --groups="$(getent group seatd-admin | cut -d: -f3)" \
        /usr/sbin/seatd --config /etc/seatd/seatd.conf >>/tmp/seatd-service.log 2>&1 &
    service_pid=$!
    wait_for seatctl status
}
stop_service() {
    kill -TERM "$service_pid"
    wait "$service_pid" || fail "seatd exited with status $? on SIGTERM"
}

step "no Swift in this root"
! command -v swift || fail "swift is installed"
[ ! -e /opt/swift ] || fail "/opt/swift exists"

step "install the packages (apt resolves liblmdb0 and adduser from the mirror)"
apt-get update -qq
apt-get install -y -qq ./debs/*.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get install"; }
dpkg-query -W seatd seatctl libseatclient1 libseatclient-dev

step "ldd: only system libraries"
for file in /usr/sbin/seatd /usr/bin/seatctl /usr/bin/seatload $libdir/libseatclient.so.1; do
    echo "$file ($(stat -L -c %s "$file") bytes): $(ldd "$file" | awk '{print $1}' | tr '\n' ' ')"
    ! ldd "$file" | grep -qi 'swift\|not found' || fail "$file needs a library that is not here"
done
seatd --version
seatctl --version
seatload --version

step "user, group, configuration, unit, man pages"
getent passwd seatd
getent group seatd-admin
stat -c '%U:%G %a %n' /etc/seatd /etc/seatd/seatd.conf /etc/seatd/licenses.json /var/lib/seatd
[ "$(stat -c '%U:%G %a' /etc/seatd/seatd.conf)" = "root:seatd 640" ] || fail "seatd.conf is not root:seatd 0640"
dpkg-query -W -f='${Conffiles}\n' seatd | grep -q ' /etc/seatd/seatd.conf ' || fail "seatd.conf is not a conffile"
grep '^ExecStart=/usr/sbin/seatd ' /lib/systemd/system/seatd.service
ls /usr/share/man/man8/seatd.8.gz /usr/share/man/man1/seatctl.1.gz /usr/share/man/man1/seatload.1.gz
seatd --config /etc/seatd/seatd.conf -o state_directory=/tmp/check-state --check-config

step "the demo against the installed binaries"
SEATD=/usr/sbin/seatd SEATCTL=/usr/bin/seatctl DEMO_FOREGROUND=0 bash scripts/demo.sh

step "seatd as the service runs it, on the packaged configuration"
# Local changes to the conffiles, which the upgrade below must keep.
cp demo/licenses.json /etc/seatd/licenses.json
sed -i 's/^development_mode = .*/development_mode = true/' /etc/seatd/seatd.conf
start_service
seatctl status
SEATD_ACCESS_KEY=$(seatctl key create --tenant default --label package-test --json | sed -E 's/.*"secret":"([^"]+)".*/\1/')
export SEATD_ACCESS_KEY SEATD_SERVER=localhost:7420 SEATD_CA=/var/lib/seatd/tls/ca.pem
token=$(seatctl acquire --license DEMO-CAD-5 --user upgrade-user --hardware-id upgrade-hw --json | sed -E 's/.*"token":"([0-9a-f]+)".*/\1/')
echo "session before the upgrade: $token"

step "the C example, built with pkg-config against the installed library"
apt-get install -y -qq gcc libc6-dev pkg-config >/tmp/apt-cc.log 2>&1 || { cat /tmp/apt-cc.log; fail "installing gcc"; }
mkdir -p /tmp/example && cp /usr/share/doc/libseatclient-dev/examples/* /tmp/example/
cd /tmp/example
cc -O2 -Wall -o licensed_app licensed_app.c $(pkg-config --cflags --libs seatclient)
libs=$(pkg-config --static --libs seatclient)
cc -O2 -Wall -o licensed_app_static licensed_app.c $(pkg-config --cflags seatclient) ${libs/-lseatclient/-Wl,-Bstatic -lseatclient -Wl,-Bdynamic}
for program in licensed_app licensed_app_static; do
    echo "$program ($(stat -c %s $program) bytes): $(ldd $program | awk '{print $1}' | tr '\n' ' ')"
    ! ldd $program | grep -qi swift || fail "$program needs a Swift library"
done
! ldd licensed_app_static | grep -q libseatclient || fail "licensed_app_static links libseatclient.so"
USER=carol ./licensed_app DEMO-CAD-5 >/tmp/example.out 2>&1 &
example=$!
wait_for grep -q '^held:' /tmp/example.out
seatctl sessions --user carol | tee /dev/stderr | grep -q DEMO-CAD-5 || fail "carol's seat is not on the server"
kill -TERM $example
wait $example || fail "licensed_app exited with $?"
cat /tmp/example.out
grep -q '^released' /tmp/example.out || fail "licensed_app did not release"
! seatctl sessions --user carol | grep -q DEMO-CAD-5 || fail "carol's seat is still held"
USER=dave ./licensed_app_static --seconds 1 DEMO-CAD-5 >/tmp/example-static.out 2>&1 || { cat /tmp/example-static.out; fail "licensed_app_static"; }
cat /tmp/example-static.out
grep -q '^held:' /tmp/example-static.out && grep -q '^released' /tmp/example-static.out || fail "licensed_app_static did not hold and release"
cd /tmp/seatd-test

step "upgrade: local configuration and sessions survive"
# systemd restarts seatd after the upgrade; here, stop it as systemd would (SIGTERM).
stop_service
version=$(dpkg-query -W -f='${Version}' seatd)
newer="$version+upgradetest1"
mkdir -p /tmp/newer
for deb in debs/*.deb; do
    rm -rf /tmp/unpacked && dpkg-deb -R "$deb" /tmp/unpacked
    sed -i -e "s/^Version: .*/Version: $newer/" -e "s/(= $version)/(= $newer)/g" /tmp/unpacked/DEBIAN/control
    # Uncompressed: these packages only live for this test, and xz on them takes minutes.
    dpkg-deb -Znone -b /tmp/unpacked /tmp/newer/ >/dev/null
done
apt-get install -y -qq /tmp/newer/*.deb >/tmp/apt-upgrade.log 2>&1 || { cat /tmp/apt-upgrade.log; fail "upgrade"; }
[ "$(dpkg-query -W -f='${Version}' seatd)" = "$newer" ] || fail "seatd was not upgraded"
grep -q '^development_mode = true' /etc/seatd/seatd.conf || fail "the upgrade lost the local seatd.conf change"
cmp -s demo/licenses.json /etc/seatd/licenses.json || fail "the upgrade replaced licenses.json"
[ "$(stat -c '%U:%G %a' /etc/seatd/seatd.conf)" = "root:seatd 640" ] || fail "seatd.conf lost its group after the upgrade"
start_service
seatctl heartbeat "$token" || fail "the session did not survive the upgrade"
seatctl sessions --user upgrade-user | grep -q DEMO-CAD-5 || fail "upgrade-user's seat is gone"
stop_service

step "remove keeps configuration and data"
apt-get remove -y -qq seatd >/dev/null
[ ! -e /usr/sbin/seatd ] || fail "/usr/sbin/seatd is still there"
[ -f /etc/seatd/seatd.conf ] && [ -d /var/lib/seatd/data ] || fail "remove deleted configuration or data"
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' seatd)" = "rc " ] || fail "seatd is not in state rc"

step "purge removes them"
apt-get purge -y -qq seatd seatctl libseatclient-dev libseatclient1 >/dev/null
[ ! -e /etc/seatd ] && [ ! -e /var/lib/seatd ] || fail "purge left /etc/seatd or /var/lib/seatd"
[ ! -e /usr/bin/seatctl ] && [ ! -e /usr/include/seat.h ] && [ ! -e $libdir/libseatclient.so.1 ] || fail "purge left files"
getent passwd seatd >/dev/null && echo "(the seatd user stays, as Debian leaves system users)"

printf '\nall package checks passed\n'
