/* Status round trips on one control connection, for `make bench`.
 *
 * A compiled client, so the figure is the daemon's and not Python's: a Python loop tops out
 * near 29,000 round trips/s against a server that answers instantly.
 * Usage: status_client SOCKET SECONDS  -> prints round trips per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SOCKET SECONDS\n", argv[0]);
        return 2;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("connect");
        return 1;
    }
    static const char request[] = "{\"v\":1,\"cmd\":\"status\"}\n";
    static char buffer[1 << 20];
    double seconds = atof(argv[2]), begin = now(), elapsed = 0;
    long count = 0;
    while ((elapsed = now() - begin) < seconds) {
        if (write(fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) {
            perror("write");
            return 1;
        }
        for (;;) {
            ssize_t got = read(fd, buffer, sizeof buffer);
            if (got <= 0) {
                fprintf(stderr, "connection closed after %ld answers\n", count);
                return 1;
            }
            if (buffer[got - 1] == '\n') break;
        }
        count++;
    }
    printf("%.0f\n", count / elapsed);
    return 0;
}
