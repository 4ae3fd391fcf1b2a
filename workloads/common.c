/* common.c - small helpers every workload uses. */
#include "workload.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void task_op_begin(struct task *t)
{
    t->op_start_ns = clock_now_ns();
}

/* Records every operation's latency (not a sample) while room remains. */
void task_op_end(struct task *t)
{
    int64_t us = (clock_now_ns() - t->op_start_ns) / 1000;
    if (t->latency_count < t->latency_cap)
        t->latency_us[t->latency_count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    t->ops++;
}

/* splitmix64's finaliser over h ^ v: cheap, order-sensitive, well mixed. */
uint64_t checksum_mix(uint64_t h, uint64_t v)
{
    uint64_t z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int task_prepare_fd(struct task *t, int fd)
{
    t->fds_opened++;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    if (t->nonblocking)
        flags |= O_NONBLOCK;
    if (fcntl(fd, F_SETFL, flags) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

bool wait_ended_early(int64_t since_ns, double seconds)
{
    /* The interval in whole ns, rounded down: the models round up. */
    return clock_now_ns() - since_ns < (int64_t)(seconds * 1e9);
}

void metrics_add(char *buf, size_t size, const char *key, double value)
{
    char num[64];
    if (!isfinite(value))
        value = 0;
    snprintf(num, sizeof num, "%.6f", value);
    char *end = num + strlen(num);   /* 12.500 -> 12.5, 3.000 -> 3 */
    while (end > num && end[-1] == '0')
        *--end = '\0';
    if (end > num && end[-1] == '.')
        *--end = '\0';
    if (strcmp(num, "-0") == 0)
        strcpy(num, "0");
    size_t len = strlen(buf);
    snprintf(buf + len, size > len ? size - len : 0, "%s%s=%s", len ? ";" : "", key, num);
}
