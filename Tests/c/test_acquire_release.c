/* Acquire and release through the installed libseatclient: the grant's details, the
 * events for a program without callbacks, the seat really freed on the server, and the
 * errors for a bad license, a bad CA file and an empty config. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <stdio.h>
#include <string.h>

int main(void) {
    seat_error error;
    seat_config *config = harness_config("c-alice", 0);
    CHECK(strstr(seat_version(), "(commit ") != NULL, "seat_version() is '%s'", seat_version());

    seat_lease *lease = NULL;
    CHECK_OK(seat_acquire(config, "C-TEST-3", SEAT_NO_WAIT, &lease, &error), error);
    seat_event event;
    harness_expect_event(lease, SEAT_STATE_HELD, &event);
    CHECK(strlen(event.session) == 32, "session '%s' is not 32 hex digits", event.session);
    CHECK(event.is_held && !event.is_final && event.seats_total == 3 && event.seats_in_use == 1,
          "held event: held %d final %d seats %u/%u", event.is_held, event.is_final, event.seats_in_use, event.seats_total);
    CHECK(seat_lease_state(lease) == SEAT_STATE_HELD, "state is %s", harness_state_name(seat_lease_state(lease)));

    seat_lease_info info;
    CHECK_OK(seat_lease_get_info(lease, &info, &error), error);
    CHECK(info.is_held && strcmp(info.session, event.session) == 0 && strcmp(info.tier, "c-tier") == 0
              && info.heartbeat_interval_ms > 0 && info.lease_expires_at_ms > 0,
          "info: held %d session %s tier '%s' heartbeat %lld ms", info.is_held, info.session, info.tier, (long long)info.heartbeat_interval_ms);
    char value[8];
    int length = seat_lease_feature(lease, "export", value, sizeof value);
    CHECK(length == 9 && strcmp(value, "step,ig") == 0, "feature export: %d '%s' (want 9, truncated to 'step,ig')", length, value);
    CHECK(seat_lease_feature(lease, "no-such-feature", value, sizeof value) == -1, "an absent feature was found");

    /* The same user and machine again: the server's idempotent acquire returns the same session. */
    seat_lease *again = NULL;
    CHECK_OK(seat_acquire(config, "C-TEST-3", SEAT_NO_WAIT, &again, &error), error);
    seat_lease_info again_info;
    CHECK_OK(seat_lease_get_info(again, &again_info, &error), error);
    CHECK(strcmp(again_info.session, info.session) == 0 && again_info.seats_in_use == 1,
          "a second acquire by the same holder got %s (%u in use), not %s", again_info.session, again_info.seats_in_use, info.session);
    seat_lease_free(again);

    CHECK_OK(seat_lease_release(lease, &error), error);
    harness_expect_event(lease, SEAT_STATE_RELEASED, &event);
    CHECK(event.is_final, "released is not final");
    CHECK(seat_lease_poll(lease, &event, 0) == 0, "an event after the final one");
    CHECK_OK(seat_lease_release(lease, &error), error); /* idempotent */
    seat_lease_free(lease);

    /* Released on the server: the same holder now gets a new session, and one seat is in use. */
    CHECK_OK(seat_acquire(config, "C-TEST-3", SEAT_NO_WAIT, &lease, &error), error);
    CHECK_OK(seat_lease_get_info(lease, &again_info, &error), error);
    CHECK(strcmp(again_info.session, info.session) != 0 && again_info.seats_in_use == 1,
          "after release: session %s (was %s), %u in use", again_info.session, info.session, again_info.seats_in_use);
    CHECK_OK(seat_lease_release(lease, &error), error);
    seat_lease_free(lease);

    int code = seat_acquire(config, "NO-SUCH-LICENSE", SEAT_NO_WAIT, &lease, &error);
    CHECK(code == SEAT_ERR_UNKNOWN_LICENSE && error.code == code && error.message[0] != '\0' && lease == NULL,
          "unknown license: %s (%d) '%s'", seat_error_name(code), code, error.message);

    /* A site policy refusal comes through with the wire code and its own name. */
    CHECK(SEAT_ERR_POLICY_DENIED == 105 && strcmp(seat_error_name(SEAT_ERR_POLICY_DENIED), "SEAT_ERR_POLICY_DENIED") == 0,
          "policy denied: %s (%d)", seat_error_name(SEAT_ERR_POLICY_DENIED), SEAT_ERR_POLICY_DENIED);
    CHECK(SEAT_ERR_NOT_ACTIVE == 204 && strcmp(seat_error_name(SEAT_ERR_NOT_ACTIVE), "SEAT_ERR_NOT_ACTIVE") == 0,
          "not active: %s (%d)", seat_error_name(SEAT_ERR_NOT_ACTIVE), SEAT_ERR_NOT_ACTIVE);

    seat_config *bad_ca = harness_config("c-alice", 0);
    CHECK_OK(seat_config_set_ca_file(bad_ca, "/nonexistent/ca.pem", &error), error);
    code = seat_acquire(bad_ca, "C-TEST-3", SEAT_NO_WAIT, &lease, &error);
    CHECK(code == SEAT_ERR_CA_UNREADABLE && strstr(error.message, "/nonexistent/ca.pem") != NULL,
          "missing CA: %s (%d) '%s'", seat_error_name(code), code, error.message);
    seat_config_free(bad_ca);

    seat_config *empty = seat_config_new();
    code = seat_acquire(empty, "C-TEST-3", SEAT_NO_WAIT, &lease, &error);
    CHECK(code == SEAT_ERR_INVALID_ARGUMENT && strstr(error.message, "server") != NULL,
          "empty config: %s (%d) '%s'", seat_error_name(code), code, error.message);
    CHECK(seat_config_add_server(empty, "127.0.0.1", 70000, NULL, &error) == SEAT_ERR_INVALID_ARGUMENT, "port 70000 accepted");
    CHECK(seat_acquire(NULL, "C-TEST-3", SEAT_NO_WAIT, &lease, NULL) == SEAT_ERR_INVALID_ARGUMENT, "NULL config accepted");
    seat_config_free(empty);

    seat_config_free(config);
    printf("ok - acquire and release\n");
    return 0;
}
