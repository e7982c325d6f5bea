/* A network blip: every connection through a proxy is cut; the lease reports
 * reconnecting, then regained, re-attached to the same session (no second seat). */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"
#include "tcp_proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    seat_error error;
    tcp_proxy *proxy = tcp_proxy_start(atoi(harness_env("SEAT_TEST_PORT")));
    seat_config *config = harness_config("c-blip", tcp_proxy_port(proxy));

    seat_lease *lease = NULL;
    CHECK_OK(seat_acquire(config, "C-TEST-3", SEAT_NO_WAIT, &lease, &error), error);
    seat_event held;
    harness_expect_event(lease, SEAT_STATE_HELD, &held);
    int connections = tcp_proxy_accepted(proxy);

    tcp_proxy_drop_all(proxy);
    seat_event event;
    harness_expect_event(lease, SEAT_STATE_RECONNECTING, &event);
    CHECK(event.is_held && strcmp(event.session, held.session) == 0,
          "reconnecting: held %d, session %s (held %s)", event.is_held, event.session, held.session);
    harness_expect_event(lease, SEAT_STATE_REGAINED, &event);
    CHECK(event.same_session == 1 && strcmp(event.session, held.session) == 0,
          "regained session %s (same %d), held %s", event.session, event.same_session, held.session);
    CHECK(tcp_proxy_accepted(proxy) > connections, "regained without a new connection");

    seat_lease_info info;
    CHECK_OK(seat_lease_get_info(lease, &info, &error), error);
    CHECK(info.is_held && info.seats_in_use == 1 && strcmp(info.session, held.session) == 0,
          "after the blip: held %d, %u in use, session %s", info.is_held, info.seats_in_use, info.session);

    CHECK_OK(seat_lease_release(lease, &error), error);
    seat_lease_free(lease);
    seat_config_free(config);
    printf("ok - blip re-attaches to the same session\n");
    return 0;
}
