/* A license whose only seat is taken: no wait fails at once with the counts, a timeout
 * fails after about that long, and a waiting acquire waits in the server's queue and gets
 * the seat once it is released. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct waiter { seat_config *config; seat_lease *lease; seat_error error; int code; };

static void *wait_for_seat(void *argument) {
    struct waiter *waiter = argument;
    waiter->code = seat_acquire(waiter->config, "C-FULL-1", 60000, &waiter->lease, &waiter->error);
    return NULL;
}

int main(void) {
    seat_error error;
    seat_config *holder_config = harness_config("c-holder", 0);
    seat_config *other_config = harness_config("c-other", 0);

    seat_lease *holder = NULL;
    CHECK_OK(seat_acquire(holder_config, "C-FULL-1", SEAT_NO_WAIT, &holder, &error), error);

    seat_lease *other = NULL;
    int code = seat_acquire(other_config, "C-FULL-1", SEAT_NO_WAIT, &other, &error);
    CHECK(code == SEAT_ERR_NO_SEATS && other == NULL, "no wait on a full license: %s (%d) %s", seat_error_name(code), code, error.message);
    CHECK(error.seats_total == 1 && error.seats_in_use == 1 && error.next_free_at_ms > 0,
          "no-seats detail: %u/%u, next free at %lld", error.seats_in_use, error.seats_total, (long long)error.next_free_at_ms);

    int64_t started = harness_now_ms();
    code = seat_acquire(other_config, "C-FULL-1", 1500, &other, &error);
    int64_t waited = harness_now_ms() - started;
    CHECK(code == SEAT_ERR_NO_SEATS, "1.5 s wait on a full license: %s (%d) %s", seat_error_name(code), code, error.message);
    CHECK(waited >= 1400, "a 1.5 s wait gave up after %lld ms", (long long)waited);

    /* Wait on another thread; release once the server lists the waiter in the license's
     * queue (a waiting acquire is queued, not refused), so the seat is really handed over
     * while waiting. */
    struct waiter waiter = { .config = other_config };
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, wait_for_seat, &waiter) == 0, "pthread_create failed");
    for (int64_t deadline = harness_now_ms() + EVENT_TIMEOUT_MS;;) {
        char queue[65536];
        CHECK(harness_seatctl(queue, sizeof queue, "queue", "--license", "C-FULL-1", "--json", NULL) == 0, "seatctl queue failed");
        if (strstr(queue, "c-other") != NULL) break;
        CHECK(harness_now_ms() < deadline, "the waiting acquire never showed up in the server's queue");
    }
    CHECK_OK(seat_lease_release(holder, &error), error);
    CHECK(pthread_join(thread, NULL) == 0, "pthread_join failed");
    CHECK(waiter.code == SEAT_OK, "the waiting acquire: %s (%d) %s", seat_error_name(waiter.code), waiter.code, waiter.error.message);
    seat_event event;
    harness_expect_event(waiter.lease, SEAT_STATE_HELD, &event);
    CHECK(event.seats_in_use == 1, "%u seats in use after the hand-over", event.seats_in_use);

    CHECK_OK(seat_lease_release(waiter.lease, &error), error);
    seat_lease_free(waiter.lease);
    seat_lease_free(holder);
    seat_config_free(holder_config);
    seat_config_free(other_config);
    printf("ok - full license\n");
    return 0;
}
