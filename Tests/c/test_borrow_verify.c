/* seat_borrow_verify through the installed libseatclient: a seat borrowed with seatctl
 * from the test daemon, checked offline against the server's public key for the right
 * and a wrong machine, after its expiry, tampered with, and the argument errors. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_file(const char *path, const char *text) {
    FILE *file = fopen(path, "w");
    CHECK(file != NULL, "cannot write %s", path);
    fputs(text, file);
    fclose(file);
}

static void read_file(const char *path, char *buffer, size_t size) {
    FILE *file = fopen(path, "r");
    CHECK(file != NULL, "cannot read %s", path);
    size_t used = fread(buffer, 1, size - 1, file);
    buffer[used] = '\0';
    fclose(file);
}

int main(void) {
    char directory[] = "/tmp/seat-borrow-XXXXXX";
    CHECK(mkdtemp(directory) != NULL, "mkdtemp failed");
    char lease_file[256], key_file[256], tampered_file[256], server[64];
    snprintf(lease_file, sizeof lease_file, "%s/seat.lease", directory);
    snprintf(key_file, sizeof key_file, "%s/borrow-key.pub", directory);
    snprintf(tampered_file, sizeof tampered_file, "%s/tampered.lease", directory);
    snprintf(server, sizeof server, "127.0.0.1:%s", harness_env("SEAT_TEST_PORT"));

    char key[256];
    CHECK(harness_seatctl(key, sizeof key, "borrow", "public-key", NULL) == 0, "seatctl borrow public-key failed");
    write_file(key_file, key);
    const char *borrow[] = {
        harness_env("SEATCTL"), "borrow", "acquire", "--server", server, "--ca", harness_env("SEAT_TEST_CA"),
        "--license", "C-BORROW-1", "--user", "c-borrower", "--hardware-id", "hw-c-laptop", "--hours", "2",
        "--lease-file", lease_file, NULL,
    };
    CHECK(harness_run(borrow, NULL, 0) == 0, "seatctl borrow acquire failed");

    seat_error error;
    seat_borrow_verdict verdict;
    seat_borrow_lease lease;
    CHECK_OK(seat_borrow_verify(lease_file, key_file, 0, "hw-c-laptop", &verdict, &lease, &error), error);
    CHECK(verdict == SEAT_BORROW_VALID, "verdict %d, want VALID", verdict);
    CHECK(strcmp(lease.license_key, "C-BORROW-1") == 0 && strcmp(lease.user, "c-borrower") == 0
              && strcmp(lease.hardware_id, "hw-c-laptop") == 0 && strcmp(lease.tenant, "default") == 0 && strlen(lease.lease_id) == 16,
          "lease %s %s %s %s %s", lease.lease_id, lease.license_key, lease.tenant, lease.user, lease.hardware_id);
    CHECK(lease.expires_at_ms - lease.issued_at_ms == 2 * 3600 * 1000, "borrowed for %lld ms, not 2 h",
          (long long)(lease.expires_at_ms - lease.issued_at_ms));

    CHECK_OK(seat_borrow_verify(lease_file, key_file, 0, "hw-elsewhere", &verdict, &lease, &error), error);
    CHECK(verdict == SEAT_BORROW_WRONG_MACHINE, "verdict %d, want WRONG_MACHINE", verdict);
    CHECK_OK(seat_borrow_verify(lease_file, key_file, lease.expires_at_ms, "hw-c-laptop", &verdict, NULL, &error), error);
    CHECK(verdict == SEAT_BORROW_EXPIRED, "verdict %d, want EXPIRED", verdict);
    CHECK_OK(seat_borrow_verify(lease_file, key_file, lease.expires_at_ms - 1, "hw-c-laptop", &verdict, NULL, &error), error);
    CHECK(verdict == SEAT_BORROW_VALID, "verdict %d one millisecond before expiry, want VALID", verdict);

    /* One base64 character of the lease changed (before its padding): the signature fails. */
    char text[4096];
    read_file(lease_file, text, sizeof text);
    char *lease_line = strstr(text, "lease ");
    CHECK(lease_line != NULL, "no lease line in %s", text);
    char *changed = lease_line + 6 + 40;
    *changed = *changed == 'A' ? 'B' : 'A';
    write_file(tampered_file, text);
    CHECK_OK(seat_borrow_verify(tampered_file, key_file, 0, "hw-c-laptop", &verdict, &lease, &error), error);
    CHECK(verdict == SEAT_BORROW_BAD_SIGNATURE || verdict == SEAT_BORROW_UNREADABLE, "tampered lease: verdict %d", verdict);
    CHECK(lease.lease_id[0] == '\0', "a tampered lease filled the lease out");

    CHECK(seat_borrow_verify("/nonexistent/seat.lease", key_file, 0, NULL, &verdict, NULL, &error) == SEAT_ERR_CLIENT,
          "a missing lease file: %d", error.code);
    CHECK(seat_borrow_verify(lease_file, lease_file, 0, NULL, &verdict, NULL, &error) == SEAT_ERR_CLIENT,
          "a lease file as the key: %d", error.code);
    CHECK(seat_borrow_verify(lease_file, key_file, 0, NULL, NULL, NULL, &error) == SEAT_ERR_INVALID_ARGUMENT,
          "a NULL verdict: %d", error.code);

    /* Returned, so the license is free again for anyone. */
    const char *give_back[] = {
        harness_env("SEATCTL"), "borrow", "return", "--server", server, "--ca", harness_env("SEAT_TEST_CA"), lease_file, NULL,
    };
    CHECK(harness_run(give_back, NULL, 0) == 0, "seatctl borrow return failed");
    unlink(key_file);
    unlink(tampered_file);
    rmdir(directory);
    printf("ok - a borrowed seat checked offline\n");
    return 0;
}
