#include "seatd_build_info.h"

/* SEATD_VERSION and SEATD_COMMIT come from Package.swift (cSettings of this target). */
const char *seatd_build_version(void) { return SEATD_VERSION; }
const char *seatd_build_commit(void) { return SEATD_COMMIT; }
const char *seatd_build_version_line(void) { return SEATD_VERSION " (commit " SEATD_COMMIT ")"; }
