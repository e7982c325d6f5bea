#ifndef SEATD_BUILD_INFO_H
#define SEATD_BUILD_INFO_H

/* The release and the commit a binary was built from. Package.swift passes both as
 * -D defines (VERSION file, git), so only this one small file is rebuilt when they change.
 * Named seatd_*, not seat_*: libseatclient exports exactly the seat_* functions of seat.h. */

/* "0.9.0" */
const char *seatd_build_version(void);
/* The commit's first 12 hex digits, "-dirty" appended for uncommitted changes, or "unknown". */
const char *seatd_build_commit(void);
/* "0.9.0 (commit 1a2b3c4d5e6f)", what every --version prints. */
const char *seatd_build_version_line(void);

#endif
