/* unit_main.c - the one main() of build/unit_tests: runs every group and
 * exits nonzero if any test failed. Also the stdout/stderr capture helper
 * the groups share. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* strtok_r, dup2 */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static struct {
    int fd;          /* the descriptor being captured, -1 when none */
    int saved;       /* a dup of the original */
    FILE *file;      /* where the text goes meanwhile */
    char text[8192];
} capture = { .fd = -1 };

static void capture_flush(int fd)
{
    fflush(fd == 1 ? stdout : stderr);
}

void unit_capture_begin(int fd)
{
    if (capture.fd != -1) {
        fprintf(stderr, "unit: nested capture\n");
        abort();
    }
    capture_flush(fd);
    capture.file = tmpfile();
    capture.saved = dup(fd);
    if (!capture.file || capture.saved < 0 || dup2(fileno(capture.file), fd) < 0) {
        perror("unit: capture");
        abort();
    }
    capture.fd = fd;
}

const char *unit_capture_end(void)
{
    int fd = capture.fd;
    capture_flush(fd);
    dup2(capture.saved, fd);
    close(capture.saved);
    rewind(capture.file);
    size_t n = fread(capture.text, 1, sizeof capture.text - 1, capture.file);
    capture.text[n] = '\0';
    fclose(capture.file);
    capture.fd = -1;
    return capture.text;
}

int main(void)
{
    int failed = 0;
    failed += unit_options_run();
    failed += unit_stats_run();
    failed += unit_models_run();
    failed += unit_histogram_run();
    failed += unit_steady_phase_run();
    if (failed)
        fprintf(stderr, "unit tests: %d failed\n", failed);
    return failed ? 1 : 0;
}
