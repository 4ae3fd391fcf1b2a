/* pingpong.c - hand-off cost: two tasks pass a token back and forth --count
 * times, and every round trip's latency is recorded.
 *
 * Tasks pair up: task 2k is the ping, task 2k+1 its pong. --via pipe (the
 * default) uses two pipes per pair, created in setup so that fork's children
 * inherit them; the token moves by completion waits (WAIT_SEND/WAIT_RECV):
 * blocking models block in read(), async waits with an ev_io and then
 * reads, uring submits the read, both tasks inside one loop. --via condvar hands the token over with a
 * mutex and a condition variable in MAP_SHARED memory, process-shared so
 * that fork can use it too; a task blocks inside step() for it, so it needs
 * a model whose tasks may block (not async, not threads --gil).
 *
 * The token is 8 bytes: ping sends a value made from its pair and round,
 * pong returns it plus one; each folds what it receives into its checksum,
 * so the checksum is the same under every model and either --via. */
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PINGPONG_MAX_COUNT 10000000L
#define PINGPONG_MAX_SAMPLES 100000u   /* latency samples kept per ping */
#define PINGPONG_WAIT_NS 100000000L      /* longest condvar wait before a task yields */

enum { TO_PONG_READ, TO_PONG_WRITE, TO_PING_READ, TO_PING_WRITE, PINGPONG_FDS };

struct pingpong_pair {            /* --via condvar, MAP_SHARED */
    pthread_mutex_t lock;
    pthread_cond_t turned;
    uint64_t token;
    bool pong_turn;
};

struct pingpong_params {
    long count;
    const char *via;
};

/* Filled by setup and teardown, in the process that runs the model. */
struct pingpong_run {
    bool condvar;
    long pairs;
    int (*fd)[PINGPONG_FDS];      /* --via pipe: each pair's two pipes */
    struct pingpong_pair *pair;   /* --via condvar */
    int64_t start_ns, elapsed_ns;
};

struct pingpong_state {
    bool second_half;             /* ping: awaiting the reply; pong: replying */
    bool begun;
    bool moving;                  /* ping: a round is under way */
    long done;                    /* round trips completed */
    size_t moved;                 /* bytes of the token written or read */
    uint64_t token;
};

static const struct pingpong_params pingpong_defaults = { .count = 10000, .via = "pipe" };

static const struct opt_spec pingpong_options[] = {
    { "count", 0, OPT_INT, offsetof(struct pingpong_params, count), 1, PINGPONG_MAX_COUNT,
      "round trips per pair (default 10000)" },
    { "via", 0, OPT_STRING, offsetof(struct pingpong_params, via), 0, 0,
      "pipe or condvar (a mutex/condvar pair; blocking models only; default pipe)" },
    OPT_END,
};

static long pingpong_default_tasks(void)
{
    return 2;
}

static uint32_t pingpong_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    const struct pingpong_params *p = params;
    return p->count < PINGPONG_MAX_SAMPLES ? (uint32_t)p->count : PINGPONG_MAX_SAMPLES;
}

static uint64_t pingpong_value(long pair, long round)
{
    return checksum_mix((uint64_t)pair, (uint64_t)round);
}

static struct wait pingpong_fail(struct task *t, const char *what)
{
    fprintf(stderr, "cbench: pingpong: task %d: %s: %s\n", t->id, what,
            errno ? strerror(errno) : "the other task closed the pipe");
    t->errors++;
    return wait_done();
}

/* The token moves through completion waits: the model writes or reads it
 * (WAIT_SEND/WAIT_RECV on the pipe) and the next step finds the result.
 * Take that result: 1 when the token has moved whole, 0 when the rest is
 * still to move, -1 failed (errno set; 0: end of file). */
static int pingpong_moved(struct task *t, struct pingpong_state *s)
{
    int64_t n = t->io_result;
    if (n > 0) {
        s->moved += (size_t)n;
        if (s->moved < sizeof s->token)
            return 0;
        s->moved = 0;
        return 1;
    }
    if (n == -EAGAIN || n == -EINTR)
        return 0;
    errno = n == 0 ? 0 : (int)-n;
    return -1;
}

/* The wait that moves the rest of the token. */
static struct wait pingpong_move(int fd, struct pingpong_state *s, bool writing)
{
    char *buf = (char *)&s->token + s->moved;
    size_t left = sizeof s->token - s->moved;
    return writing ? wait_write_from(fd, buf, left) : wait_read_into(fd, buf, left);
}

/* ---- --via pipe ------------------------------------------------------------ */

/* Ping: write the token (first half), read the reply (second half); `moving`
 * says a wait for the token is in flight. */
static struct wait pingpong_ping_pipe(struct task *t, struct pingpong_state *s, const int *fd)
{
    const struct pingpong_params *p = t->params;
    if (!s->moving) {   /* a round begins */
        s->token = pingpong_value(t->id / 2, s->done);
        task_op_begin(t);
        s->moving = true;
        return pingpong_move(fd[TO_PONG_WRITE], s, true);
    }
    int m = pingpong_moved(t, s);
    if (m < 0)
        return pingpong_fail(t, s->second_half ? "read" : "write");
    if (m == 0)
        return pingpong_move(s->second_half ? fd[TO_PING_READ] : fd[TO_PONG_WRITE], s, !s->second_half);
    if (!s->second_half) {
        s->second_half = true;   /* the reply cannot be there yet */
        return wait_poll_first(pingpong_move(fd[TO_PING_READ], s, false));
    }
    task_op_end(t);
    t->checksum = checksum_mix(t->checksum, s->token);
    s->second_half = false;
    if (++s->done == p->count)
        return wait_done();
    s->token = pingpong_value(t->id / 2, s->done);
    task_op_begin(t);
    return pingpong_move(fd[TO_PONG_WRITE], s, true);
}

/* Pong: read the token (first half), write it back plus one (second). */
static struct wait pingpong_pong_pipe(struct task *t, struct pingpong_state *s, const int *fd)
{
    const struct pingpong_params *p = t->params;
    if (!s->begun) {   /* read first: the token cannot be there yet */
        s->begun = true;
        return wait_poll_first(pingpong_move(fd[TO_PONG_READ], s, false));
    }
    int m = pingpong_moved(t, s);
    if (m < 0)
        return pingpong_fail(t, s->second_half ? "write" : "read");
    if (m == 0)
        return pingpong_move(s->second_half ? fd[TO_PING_WRITE] : fd[TO_PONG_READ], s, s->second_half);
    if (!s->second_half) {
        t->checksum = checksum_mix(t->checksum, s->token);
        s->token++;
        s->second_half = true;
        return pingpong_move(fd[TO_PING_WRITE], s, true);
    }
    s->second_half = false;
    return ++s->done == p->count ? wait_done()
                                 : wait_poll_first(pingpong_move(fd[TO_PONG_READ], s, false));
}

/* ---- --via condvar ----------------------------------------------------------- */

/* Wait (holding pair->lock) until it is pong's turn or not; false after
 * 100 ms without it. The task then returns to its model for a
 * moment, so that a cancelled run (--fail-task) never leaves it blocked. */
static bool pingpong_wait_turn(struct pingpong_pair *pair, bool pong_turn)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += PINGPONG_WAIT_NS;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (pair->pong_turn != pong_turn)
        if (pthread_cond_timedwait(&pair->turned, &pair->lock, &deadline) == ETIMEDOUT)
            return pair->pong_turn == pong_turn;
    return true;
}

static struct wait pingpong_ping_condvar(struct task *t, struct pingpong_state *s, struct pingpong_pair *pair)
{
    const struct pingpong_params *p = t->params;
    if (!s->second_half)
        task_op_begin(t);
    pthread_mutex_lock(&pair->lock);
    if (!s->second_half) {
        pair->token = pingpong_value(t->id / 2, s->done);
        pair->pong_turn = true;
        pthread_cond_signal(&pair->turned);
        s->second_half = true;
    }
    if (!pingpong_wait_turn(pair, false)) {
        pthread_mutex_unlock(&pair->lock);
        return wait_cpu();
    }
    uint64_t reply = pair->token;
    pthread_mutex_unlock(&pair->lock);
    task_op_end(t);
    t->checksum = checksum_mix(t->checksum, reply);
    s->second_half = false;
    return ++s->done == p->count ? wait_done() : wait_cpu();
}

static struct wait pingpong_pong_condvar(struct task *t, struct pingpong_state *s, struct pingpong_pair *pair)
{
    const struct pingpong_params *p = t->params;
    pthread_mutex_lock(&pair->lock);
    if (!pingpong_wait_turn(pair, true)) {
        pthread_mutex_unlock(&pair->lock);
        return wait_cpu();
    }
    uint64_t token = pair->token;
    pair->token = token + 1;
    pair->pong_turn = false;
    pthread_cond_signal(&pair->turned);
    pthread_mutex_unlock(&pair->lock);
    t->checksum = checksum_mix(t->checksum, token);
    return ++s->done == p->count ? wait_done() : wait_cpu();
}

static struct wait pingpong_step(struct task *t)
{
    const struct pingpong_run *r = t->run;
    struct pingpong_state *s = t->state;
    long pair = t->id / 2;
    bool ping = t->id % 2 == 0;
    if (r->condvar)
        return ping ? pingpong_ping_condvar(t, s, &r->pair[pair]) : pingpong_pong_condvar(t, s, &r->pair[pair]);
    return ping ? pingpong_ping_pipe(t, s, r->fd[pair]) : pingpong_pong_pipe(t, s, r->fd[pair]);
}

/* ---- setup and teardown ------------------------------------------------------ */

static int pingpong_check(const struct pingpong_params *p, bool condvar, const struct workload_env *env)
{
    if (!condvar && strcmp(p->via, "pipe") != 0) {
        fprintf(stderr, "cbench: --via: \"%s\" is not one of pipe, condvar\n", p->via);
        return 2;
    }
    if (env->tasks % 2 != 0) {
        fprintf(stderr, "cbench: pingpong: --tasks %ld is odd: tasks pair up as ping and pong\n", env->tasks);
        return 2;
    }
    if (env->concurrency == 1) {
        fprintf(stderr, "cbench: pingpong: model %s runs one task at a time here (serial, or -w 1), "
                "but a ping needs its pong running alongside (use fork, threads or async)\n", env->model);
        return 2;
    }
    if (condvar && env->nonblocking) {
        fprintf(stderr, "cbench: pingpong --via condvar blocks inside a task, but model %s must not block "
                "there (an event loop, or threads --gil); use fork, or threads without --gil\n", env->model);
        return 2;
    }
    return 0;
}

static void pingpong_close_pipes(struct pingpong_run *r, long pairs)
{
    for (long i = 0; i < pairs; i++)
        for (int k = 0; k < PINGPONG_FDS; k++)
            close(r->fd[i][k]);
    free(r->fd);
    r->fd = NULL;
}

static int pingpong_open_pipes(struct pingpong_run *r, bool nonblocking)
{
    int flags = O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0);
    r->fd = calloc((size_t)r->pairs, sizeof *r->fd);
    if (!r->fd) {
        fprintf(stderr, "cbench: pingpong: out of memory for %ld pairs\n", r->pairs);
        return 1;
    }
    for (long i = 0; i < r->pairs; i++) {
        for (int k = 0; k < PINGPONG_FDS; k++)
            r->fd[i][k] = -1;   /* not 0: that is a real fd when stdin is closed */
        if (pipe2(&r->fd[i][TO_PONG_READ], flags) < 0 || pipe2(&r->fd[i][TO_PING_READ], flags) < 0) {
            fprintf(stderr, "cbench: pingpong: pipes for pair %ld of %ld: %s\n", i + 1, r->pairs, strerror(errno));
            if (r->fd[i][TO_PONG_READ] >= 0) {   /* the first pipe of this pair opened */
                close(r->fd[i][TO_PONG_READ]);
                close(r->fd[i][TO_PONG_WRITE]);
            }
            pingpong_close_pipes(r, i);
            return 1;
        }
    }
    return 0;
}

static int pingpong_map_pairs(struct pingpong_run *r)
{
    r->pair = shared_memory((size_t)r->pairs * sizeof *r->pair, "pingpong");
    if (!r->pair)
        return 1;
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutexattr_init(&ma);
    pthread_condattr_init(&ca);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    for (long i = 0; i < r->pairs; i++) {
        pthread_mutex_init(&r->pair[i].lock, &ma);
        pthread_cond_init(&r->pair[i].turned, &ca);
    }
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_destroy(&ca);
    return 0;
}

static int pingpong_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct pingpong_params *p = params;
    struct pingpong_run *r = run;
    r->condvar = strcmp(p->via, "condvar") == 0;
    int status = pingpong_check(p, r->condvar, env);
    if (status != 0)
        return status;
    r->pairs = env->tasks / 2;
    status = r->condvar ? pingpong_map_pairs(r) : pingpong_open_pipes(r, env->nonblocking);
    r->start_ns = clock_now_ns();
    return status;
}

static void pingpong_teardown(const void *params, void *run)
{
    (void)params;
    struct pingpong_run *r = run;
    r->elapsed_ns = clock_now_ns() - r->start_ns;
    if (r->fd)
        pingpong_close_pipes(r, r->pairs);
    /* No pthread_cond_destroy: a fork worker killed while waiting (a
     * cancelled run) leaves itself counted as a waiter, and destroy would
     * wait for it forever. Unmapping is all the release there is. */
    if (r->pair) {
        munmap(r->pair, (size_t)r->pairs * sizeof *r->pair);
        r->pair = NULL;
    }
}

/* The mean round trip to a tenth of a µs; the latency percentiles are in
 * whole µs. Pairs run at once, so this is the time a pair saw per trip. */
static void pingpong_note(const void *params, const void *run, char *buf, size_t size)
{
    const struct pingpong_params *p = params;
    const struct pingpong_run *r = run;
    snprintf(buf, size, "round_trip_us=%.2f", (double)r->elapsed_ns / 1e3 / (double)p->count);
}

/* round_trip_us: the median round trip, from every trip's sample. */
static void pingpong_metrics(const void *params, const void *run, const struct workload_run *info,
                             char *buf, size_t size)
{
    (void)params;
    (void)run;
    metrics_add(buf, size, "round_trip_us", info->p50_us);
}

const struct workload workload_pingpong = {
    .name = "pingpong",
    .summary = "pairs of tasks pass a token --count times (pipe or condvar): round-trip latency",
    .options = pingpong_options,
    .params_size = sizeof(struct pingpong_params),
    .params_default = &pingpong_defaults,
    .run_size = sizeof(struct pingpong_run),
    .default_tasks = pingpong_default_tasks,
    .state_size = sizeof(struct pingpong_state),
    .fds_per_task = 2,
    .fds_at_setup = true,
    .latency_per_task = pingpong_latency_per_task,
    .setup = pingpong_setup,
    .step = pingpong_step,
    .teardown = pingpong_teardown,
    .note = pingpong_note,
    .metrics = pingpong_metrics,
};
