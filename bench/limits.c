/* limits.c - the workers a run is about to create, checked against what the
 * machine and the user allow, before the first one starts.
 *
 * Without it `cbench run fork sleep -n 100000` as root forked about 32,000
 * workers before fork() failed, and the machine could no longer start a
 * process; as a user under `ulimit -u 200` a run failed after 198 of 1,000.
 * A run that cannot fit is bad usage (exit 2), refused with the limit named
 * and the largest -n, -w or --loops that fits. Each limit is read once, here:
 *
 *   kernel.pid_max       every process and thread takes a pid
 *   kernel.threads-max   ... and a task of the kernel
 *   MemAvailable         each worker's own memory (RUN_*_KIB below)
 *   RLIMIT_NPROC         the user's processes and threads (ulimit -u), where
 *                        the kernel enforces it: not for root, nor for a
 *                        process with CAP_SYS_RESOURCE or CAP_SYS_ADMIN
 *
 * Descriptors (RLIMIT_NOFILE) are checked by run.c (run_check_fd_limit). */
#include "limits.h"
#include "../lib/machine.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Tasks cbench needs beside the model's workers: its main thread, net's
 * server process, spawn --bare's child... and the server's loop threads,
 * one per core (run_own_tasks). */
#define RUN_OWN_TASKS 16
/* Of the machine-wide limits, a share stays free so that the rest of the
 * machine (a shell to stop cbench) can still start processes. */
#define RUN_KEEP_FREE_SHARE 16   /* 1/16 */
/* What one worker costs in memory, KiB, generously: a fork worker's page
 * tables, the pages it writes and its kernel stack (spawn measures 64 KiB
 * per process, kib_per_worker); a thread's kernel stack and the pages of
 * its stack it touches (24 KiB measured). */
#define RUN_PROCESS_KIB 256
#define RUN_THREAD_KIB 64

#define CAP_SYS_ADMIN_BIT 21
#define CAP_SYS_RESOURCE_BIT 24

static long run_own_tasks(void)
{
    return RUN_OWN_TASKS + online_cores();
}

/* The first number in `path`, or -1. */
static long read_number(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* The value of "Key:" in a /proc status-like file, or -1. `hex`: CapEff. */
static long long read_key(const char *path, const char *key, bool hex)
{
    FILE *f = fopen(path, "r");
    char line[256];
    long long v = -1;
    size_t len = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, len) == 0) {
            v = strtoll(line + len, NULL, hex ? 16 : 10);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

/* Threads of the whole machine now: the second number of /proc/loadavg's
 * "running/total". */
static long machine_tasks_now(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    long running, total = -1;
    if (f) {
        if (fscanf(f, "%*s %*s %*s %ld/%ld", &running, &total) != 2)
            total = -1;
        fclose(f);
    }
    return total;
}

/* Threads whose real uid is `uid`: what RLIMIT_NPROC counts. */
static long user_tasks_now(uid_t uid)
{
    long n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[sizeof e->d_name + 16];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        if (read_key(path, "Uid:", false) != (long long)uid)
            continue;
        long threads = (long)read_key(path, "Threads:", false);
        n += threads > 0 ? threads : 1;
    }
    if (d)
        closedir(d);
    return n;
}

static bool nproc_enforced(void)
{
    long long caps = read_key("/proc/self/status", "CapEff:", true);
    long long exempt = (1LL << CAP_SYS_ADMIN_BIT) | (1LL << CAP_SYS_RESOURCE_BIT);
    return getuid() != 0 && caps >= 0 && !(caps & exempt);
}

/* One limit: how many workers it leaves room for, and how to say so. */
struct worker_room {
    long workers;          /* -1: no such limit here */
    char why[200];
};

/* A machine-wide count (pid_max, threads-max) of which `used` are taken. */
static struct worker_room room_machine(const char *name, long limit, long used)
{
    struct worker_room room = { -1, "" };
    if (limit <= 0 || used < 0)
        return room;
    long keep = limit / RUN_KEEP_FREE_SHARE;
    room.workers = limit - used - keep - run_own_tasks();
    snprintf(room.why, sizeof room.why, "%s is %ld, with %ld in use and %ld kept free for the "
             "rest of the machine", name, limit, used, keep);
    return room;
}

static struct worker_room room_memory(bool processes)
{
    struct worker_room room = { -1, "" };
    long available = (long)read_key("/proc/meminfo", "MemAvailable:", false);
    long each = processes ? RUN_PROCESS_KIB : RUN_THREAD_KIB;
    if (available < 0)
        return room;
    room.workers = available / each - run_own_tasks();
    snprintf(room.why, sizeof room.why, "the memory available (MemAvailable, %ld MiB) holds "
             "about %ld %s of %ld KiB", available / 1024, available / each,
             processes ? "processes" : "threads", each);
    return room;
}

static struct worker_room room_nproc(void)
{
    struct worker_room room = { -1, "" };
    struct rlimit rl;
    if (!nproc_enforced() || getrlimit(RLIMIT_NPROC, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return room;
    long used = user_tasks_now(getuid());
    room.workers = (long)rl.rlim_cur - used - run_own_tasks();
    snprintf(room.why, sizeof room.why, "RLIMIT_NPROC (ulimit -u) is %llu and this user runs "
             "%ld processes and threads", (unsigned long long)rl.rlim_cur, used);
    return room;
}

/* The option that makes the run smaller, for the message. */
static void suggest(const struct run *r, long fits, char *buf, size_t size)
{
    if (fits < 1)
        snprintf(buf, size, "no worker fits: wait for other processes to end");
    else if (!r->model->traits.uses_workers)
        snprintf(buf, size, "use --loops %ld or fewer", fits);
    else if (r->model->traits.nonblocking)
        snprintf(buf, size, "use -w %ld or fewer", fits);
    else
        snprintf(buf, size, "use -n %ld or fewer, or a pool of -w %ld", fits, fits);
}

/* Every limit on new workers here, filled in (some may say "none"). */
static size_t worker_rooms(bool processes, struct worker_room rooms[4])
{
    long machine = machine_tasks_now();
    rooms[0] = room_machine("kernel.pid_max", read_number("/proc/sys/kernel/pid_max"), machine);
    rooms[1] = room_machine("kernel.threads-max", read_number("/proc/sys/kernel/threads-max"), machine);
    rooms[2] = room_memory(processes);
    rooms[3] = room_nproc();
    return 4;
}

int run_check_workers(const struct run *r)
{
    long want = r->model_workers;
    if (want <= 0)
        return 0;
    bool processes = r->model->traits.worker_processes;
    struct worker_room rooms[4];
    size_t n = worker_rooms(processes, rooms);
    for (size_t k = 0; k < n; k++) {
        if (rooms[k].workers < 0 && rooms[k].why[0] == '\0')
            continue;   /* not a limit here */
        if (want <= rooms[k].workers)
            continue;
        char how[120];
        suggest(r, rooms[k].workers, how, sizeof how);
        fprintf(stderr, "cbench: %s would create %ld worker %s, but %s: room for %ld; %s\n",
                r->model->name, want, processes ? "processes" : "threads", rooms[k].why,
                rooms[k].workers > 0 ? rooms[k].workers : 0, how);
        return 2;
    }
    return 0;
}

long run_worker_room(bool processes, char *why, size_t size)
{
    struct worker_room rooms[4];
    size_t n = worker_rooms(processes, rooms);
    long best = -1;
    for (size_t k = 0; k < n; k++) {
        if (rooms[k].workers < 0 && rooms[k].why[0] == '\0')
            continue;
        long room = rooms[k].workers > 0 ? rooms[k].workers : 0;
        if (best < 0 || room < best) {
            best = room;
            snprintf(why, size, "%s", rooms[k].why);
        }
    }
    return best;
}
