#!/usr/bin/env bash
# Generates the man pages from the programs' own argument-parser help (help2man runs
# --help and --version): seatd.8, seatctl.1 (with every subcommand's help) and seatload.1.
#   scripts/man-pages.sh BIN_DIR OUTPUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
out=$2
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ArgumentParser's --version prints only "0.9.0 (commit …)"; help2man takes the program's
# name from the first word of that line, so it is given "NAME VERSION" instead.
version=$("$bin/seatd" --version)
manpage() {
    local program=$1 section=$2 name=$3
    help2man --no-info --version-string "$program $version" --section "$section" --name "$name" \
        --include "$work/$program.h2m" --output "$out/$program.$section" "$bin/$program"
}

# Each subcommand's help as a preformatted block (roff needs leading dots and backslashes escaped).
subcommand_section() {
    local program=$1 title=$2
    echo "[$title]"
    for command in $("$bin/$program" --help | sed -n '/^SUBCOMMANDS:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'); do
        echo ".SS \"$program $command\""
        echo ".nf"
        "$bin/$program" help "$command" | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
        echo ".fi"
    done
}

cat > "$work/seatd.h2m" <<'TEXT'
[FILES]
.TP
/etc/seatd/seatd.conf
the configuration (key = value); \fBseatd \-\-print\-default\-config\fR lists every key
.TP
/etc/seatd/licenses.json
the signed license file
.TP
/var/lib/seatd
the seat store (LMDB) and the generated development CA (tls/ca.pem)
.TP
/run/seatd/admin.sock
the admin socket for seatctl (group seatd\-admin)
[SEE ALSO]
seatctl(1), /usr/share/doc/seatd/operations.md
TEXT
subcommand_section seatd "SUBCOMMANDS" >> "$work/seatd.h2m"
manpage seatd 8 "floating-license seat server"

{ subcommand_section seatctl "COMMANDS"; printf '[SEE ALSO]\nseatd(8), /usr/share/doc/seatctl/client.md\n'; } > "$work/seatctl.h2m"
manpage seatctl 1 "seatd license server client and administration"

{ subcommand_section seatload "COMMANDS"; printf '[SEE ALSO]\nseatd(8)\n'; } > "$work/seatload.h2m"
manpage seatload 1 "load generator for seatd"
