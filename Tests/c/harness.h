/* Shared by the C tests: the daemon's coordinates from the environment run.sh sets,
 * failing loudly, waiting for lease events with deadlines, and running seatctl. */
#ifndef SEAT_TEST_HARNESS_H
#define SEAT_TEST_HARNESS_H

#include <seat.h>
#include <stdint.h>

/* Prints the message with the test's name and exits 1. */
#define FAIL(...) harness_fail(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(condition, ...) do { if (!(condition)) FAIL(__VA_ARGS__); } while (0)
/* Checks that a seat.h call returned SEAT_OK, printing its error otherwise. */
#define CHECK_OK(call, error) do { int check_ok_code_ = (call); \
    if (check_ok_code_ != SEAT_OK) FAIL("%s: %s (%d): %s", #call, seat_error_name(check_ok_code_), check_ok_code_, (error).message); } while (0)

/* Generous: the suite runs on loaded CI machines. */
#define EVENT_TIMEOUT_MS 30000

void harness_fail(const char *file, int line, const char *format, ...) __attribute__((noreturn, format(printf, 3, 4)));

/* The value of an environment variable run.sh sets; fails if it is missing. */
const char *harness_env(const char *name);

/* A config for the test daemon (SEAT_TEST_PORT, SEAT_TEST_CA) at `port` (0: the daemon's
 * own port), acting as `user` on a hardware id of the same name. */
seat_config *harness_config(const char *user, int port);

/* Polls `lease` until an event in `state` arrives (within EVENT_TIMEOUT_MS) and returns it
 * in *event; events in other states on the way are printed, and a final one fails. */
void harness_expect_event(seat_lease *lease, seat_state state, seat_event *event);

/* Monotonic milliseconds. */
int64_t harness_now_ms(void);

/* Runs $SEATCTL with the arguments (NULL-terminated) and the admin socket from
 * SEAT_TEST_ADMIN_SOCKET; returns its exit status. Its output goes to `output` (may be NULL). */
int harness_seatctl(char *output, size_t size, const char *first, ...) __attribute__((sentinel));

/* Runs arguments[0] with the arguments (a NULL-terminated array) and returns its exit
 * status; its standard output goes to `output` (may be NULL). */
int harness_run(const char *const *arguments, char *output, size_t size);

/* The name of a state, for messages. */
const char *harness_state_name(seat_state state);

#endif
