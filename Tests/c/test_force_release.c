/* An administrator's force-release (seatctl release over the admin socket) reaches the
 * state callback at once as a final "revoked"; the callback frees its own lease. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct observed {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    seat_lease *lease;
    int held, revoked, after_free;
    seat_event revocation;
};

static void on_state(const seat_event *event, void *user_data) {
    struct observed *observed = user_data;
    pthread_mutex_lock(&observed->lock);
    if (observed->revoked) observed->after_free++;
    if (event->state == SEAT_STATE_HELD) observed->held = 1;
    if (event->state == SEAT_STATE_REVOKED) { observed->revocation = *event; observed->revoked = 1; }
    seat_lease *to_free = event->state == SEAT_STATE_REVOKED ? observed->lease : NULL;
    pthread_cond_broadcast(&observed->changed);
    pthread_mutex_unlock(&observed->lock);
    /* Freeing the lease from its own callback is allowed; no callback may follow. */
    if (to_free != NULL) seat_lease_free(to_free);
}

int main(void) {
    seat_error error;
    struct observed observed = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };
    seat_config *config = harness_config("c-forced", 0);
    CHECK_OK(seat_config_set_state_callback(config, on_state, &observed, &error), error);

    pthread_mutex_lock(&observed.lock);
    CHECK_OK(seat_acquire(config, "C-TEST-3", SEAT_NO_WAIT, &observed.lease, &error), error);
    pthread_mutex_unlock(&observed.lock);
    seat_event unused;
    CHECK(seat_lease_poll(observed.lease, &unused, 0) == 0, "poll returned an event although a callback is set");

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += EVENT_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&observed.lock);
    while (!observed.held) CHECK(pthread_cond_timedwait(&observed.changed, &observed.lock, &deadline) == 0, "no held callback");
    pthread_mutex_unlock(&observed.lock);

    char output[4096];
    int status = harness_seatctl(output, sizeof output, "release", "--user", "c-forced", NULL);
    CHECK(status == 0, "seatctl release exited %d: %s", status, output);

    pthread_mutex_lock(&observed.lock);
    while (!observed.revoked) CHECK(pthread_cond_timedwait(&observed.changed, &observed.lock, &deadline) == 0, "no revoked callback after the force-release");
    seat_event revocation = observed.revocation;
    pthread_mutex_unlock(&observed.lock);
    CHECK(revocation.code == SEAT_ERR_SESSION_REVOKED && revocation.is_final && !revocation.will_reacquire
              && strlen(revocation.session) == 32 && revocation.message[0] != '\0',
          "revoked: code %d final %d reacquire %d session '%s' message '%s'", revocation.code, revocation.is_final,
          revocation.will_reacquire, revocation.session, revocation.message);
    printf("  revoked: %s\n", revocation.message);

    /* The seat is free on the server: another holder gets it. */
    seat_config *next_config = harness_config("c-next", 0);
    seat_lease *next = NULL;
    CHECK_OK(seat_acquire(next_config, "C-TEST-3", SEAT_NO_WAIT, &next, &error), error);
    seat_lease_info info;
    CHECK_OK(seat_lease_get_info(next, &info, &error), error);
    CHECK(info.seats_in_use == 1, "%u seats in use after the force-release", info.seats_in_use);
    CHECK_OK(seat_lease_release(next, &error), error);
    seat_lease_free(next);

    pthread_mutex_lock(&observed.lock);
    CHECK(observed.after_free == 0, "%d callbacks after the lease was freed", observed.after_free);
    pthread_mutex_unlock(&observed.lock);
    seat_config_free(next_config);
    seat_config_free(config);
    printf("ok - force-release reported through the callback\n");
    return 0;
}
