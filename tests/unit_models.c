/* unit_models.c - model behaviour that no shipped workload reaches yet.
 *
 * async keeps a task's ev_io watcher when the next wait is the same fd and
 * event, to save an epoll_ctl per wait. That is only safe while the fd is
 * the same file: a task that closes its fd and opens another gets the same
 * number back, and the closed one has left the kernel's epoll set, so a
 * watcher kept on it would wait forever. The `reopen` workload below does
 * exactly that on every step; task_prepare_fd must make async re-arm, and
 * hybrid, which runs the same libev driver (models/evloop.c), too.
 *
 * And the proof of equal work: a `hasty` model that serves no wait at all
 * (a timer that fires at once) must make sleep, chain, mixed and spawn
 * count every early wait as an error, and change the checksum.
 *
 * And the harness's side of the workload interface: the `ledger` workload
 * checks that its run state reaches setup zeroed, that tasks (in fork's
 * children too) read what setup wrote there, and that teardown, note and
 * metrics get that same state, once per run. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pipe2 */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/run.h"
#include "../models/model.h"
#include "../workloads/workload.h"
#include "unit.h"

#define REOPEN_ROUNDS 50
#define REOPEN_TIMEOUT_S 10   /* a lost wakeup shows as a hang: bound it */

struct reopen_state {
    int fd[2];   /* this round's pipe; fd[0] is waited on */
    int round;
};

static void reopen_close(struct reopen_state *s)
{
    close(s->fd[0]);
    close(s->fd[1]);
}

/* Each step reads the byte the previous one left, closes that pipe, opens a
 * new one (whose numbers are the ones just freed) with a byte already in
 * it, and waits to read it. */
static struct wait reopen_step(struct task *t)
{
    struct reopen_state *s = t->state;
    if (s->round > 0) {
        char byte;
        if (read(s->fd[0], &byte, 1) != 1) {
            t->errors++;
            return wait_done();
        }
        t->checksum = checksum_mix(t->checksum, (uint64_t)byte);
        t->ops++;
        reopen_close(s);
    }
    if (s->round == REOPEN_ROUNDS)
        return wait_done();
    if (pipe2(s->fd, O_CLOEXEC) < 0 || task_prepare_fd(t, s->fd[0]) < 0) {
        t->errors++;
        return wait_done();
    }
    char byte = (char)('a' + (t->id + s->round) % 26);
    s->round++;
    if (write(s->fd[1], &byte, 1) != 1) {
        t->errors++;
        reopen_close(s);
        return wait_done();
    }
    return wait_read(s->fd[0]);
}

static const struct opt_spec reopen_options[] = { OPT_END };

static const struct workload reopen_workload = {
    .name = "reopen",
    .summary = "test: every step closes its pipe and waits on a new one",
    .options = reopen_options,
    .state_size = sizeof(struct reopen_state),
    .fds_per_task = 2,
    .step = reopen_step,
};

/* Run `model` on `workload` in a child, so that a hang becomes a failure
 * after REOPEN_TIMEOUT_S instead of stopping the test binary. The child
 * writes its result through a pipe. */
static int run_in_child(const char *model_name, const struct workload *workload, long tasks,
                        struct result *res)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(out[0]);
        const struct model *model = model_find(model_name);
        struct run_request req = {
            .model = model, .workload = workload, .tasks = tasks,
            .model_params = calloc(1, model->params_size),
        };
        memcpy(req.model_params, model->params_default, model->params_size);
        struct result r;
        int status = run_measure(&req, &r);
        if (write(out[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(3);
        _exit(status);
    }
    close(out[1]);
    alarm(REOPEN_TIMEOUT_S);   /* interrupts the read below if the child hangs */
    ssize_t n = read(out[0], res, sizeof *res);
    alarm(0);
    close(out[0]);
    int wstatus;
    if (n != (ssize_t)sizeof *res)
        kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    if (n != (ssize_t)sizeof *res)
        fail_msg("%s %s: no result within %d s (a watcher missed its fd?)",
                 model_name, workload->name, REOPEN_TIMEOUT_S);
    assert_true(WIFEXITED(wstatus));
    return WEXITSTATUS(wstatus);
}

static int run_reopen(const char *model_name, long tasks, struct result *res)
{
    return run_in_child(model_name, &reopen_workload, tasks, res);
}

static void on_alarm(int sig)
{
    (void)sig;   /* only to interrupt read() */
}

static void test_async_rearms_after_fd_reopen(void **state)
{
    (void)state;
    struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct result serial, async;
    assert_int_equal(run_reopen("serial", 3, &serial), 0);
    assert_int_equal(run_reopen("async", 3, &async), 0);
    assert_int_equal(async.errors, 0);
    assert_int_equal(async.ops, 3 * REOPEN_ROUNDS);
    assert_string_equal(async.checksum, serial.checksum);
}

static void test_hybrid_rearms_after_fd_reopen(void **state)
{
    (void)state;
    struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct result serial, hybrid;
    assert_int_equal(run_reopen("serial", 3, &serial), 0);
    assert_int_equal(run_reopen("hybrid", 3, &hybrid), 0);
    assert_int_equal(hybrid.errors, 0);
    assert_int_equal(hybrid.ops, 3 * REOPEN_ROUNDS);
    assert_string_equal(hybrid.checksum, serial.checksum);
}

/* ---- completion waits: the model performs the call ---- */

#define ECHO_DEADLINE_MS 150

struct echo_state {
    int sv[2];       /* a socketpair: sent on sv[0], received on sv[1] */
    int phase;
    char out[16];
    char in[16];
};

static void echo_cleanup(struct task *t)
{
    struct echo_state *s = t->state;
    if (s->phase > 0) {
        close(s->sv[0]);
        close(s->sv[1]);
    }
    s->phase = -1;
}

/* Each task sends 16 bytes (WAIT_SEND), receives them into a buffer the
 * model lends (WAIT_RECV, buf NULL), then waits to receive more with a
 * deadline 150 ms ahead and none coming: the model must end that wait at
 * the deadline (not much before, not long after) with a "not done" result.
 * Any deviation is an error; the bytes received go into the checksum. */
static struct wait echo_step(struct task *t)
{
    struct echo_state *s = t->state;
    switch (s->phase) {
    case 0:
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->sv) < 0)
            break;
        task_prepare_fd(t, s->sv[0]);
        task_prepare_fd(t, s->sv[1]);
        if (!t->nonblocking) {   /* blocking models: the deadline as a timeout */
            struct timeval tv = { .tv_sec = 0, .tv_usec = ECHO_DEADLINE_MS * 1000 };
            setsockopt(s->sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        }
        snprintf(s->out, sizeof s->out, "echo %010d", t->id);
        s->phase = 1;
        return wait_send(s->sv[0], s->out, sizeof s->out);
    case 1:
        if (t->io_result != (int64_t)sizeof s->out)
            break;
        s->phase = 2;
        return wait_recv(s->sv[1], NULL, sizeof s->in);
    case 2:
        if (t->io_result != (int64_t)sizeof s->in || !t->io_buf || memcmp(t->io_buf, s->out, sizeof s->in) != 0)
            break;
        memcpy(s->in, t->io_buf, sizeof s->in);
        for (size_t i = 0; i < sizeof s->in; i++)
            t->checksum = checksum_mix(t->checksum, (uint64_t)(unsigned char)s->in[i]);
        t->ops++;
        s->phase = 3;
        t->deadline_ns = clock_now_ns() + ECHO_DEADLINE_MS * 1000000LL;
        return wait_poll_first(wait_recv(s->sv[1], s->in, sizeof s->in));
    case 3: {
        int64_t late_ns = clock_now_ns() - t->deadline_ns, res = t->io_result;
        t->deadline_ns = 0;
        if (res != -EAGAIN && res != -ECANCELED)
            break;
        /* ended at the deadline: at most 1 s after (the sweeps tick 100 ms) */
        if (late_ns < -20000000LL || late_ns > 1000000000LL)
            break;
        t->ops++;
        return wait_done();
    }
    default:
        break;
    }
    t->errors++;
    return wait_done();
}

static const struct opt_spec echo_options[] = { OPT_END };

static const struct workload echo_workload = {
    .name = "echo",
    .summary = "test: send, receive into a lent buffer, a receive that times out",
    .options = echo_options,
    .state_size = sizeof(struct echo_state),
    .fds_per_task = 2,
    .step = echo_step,
    .task_cleanup = echo_cleanup,
};

static void test_completion_waits_every_model(void **state)
{
    (void)state;
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    struct result serial;
    assert_int_equal(run_in_child("serial", &echo_workload, 4, &serial), 0);
    assert_int_equal(serial.errors, 0);
    assert_int_equal(serial.ops, 8);
    for (const struct model *const *m = models; *m; m++) {
        char why[200];
        if ((*m)->available && (*m)->available(why, sizeof why) != 0)
            continue;
        struct result r;
        int status = run_in_child((*m)->name, &echo_workload, 4, &r);
        if (status != 0 || r.errors != 0 || r.ops != 8 || strcmp(r.checksum, serial.checksum) != 0)
            fail_msg("%s: completion waits: exit %d, %llu errors, %llu ops (want 8), checksum %s (serial %s)",
                     (*m)->name, status, (unsigned long long)r.errors, (unsigned long long)r.ops,
                     r.checksum, serial.checksum);
    }
}

/* ---- a wait that ends early is an error ---- */

/* A model that never waits: every WAIT_TIMER (and any other wait) is
 * served by stepping again at once, as a broken timer would. */
static int hasty_run(struct run *r)
{
    r->workers_started = 1;
    for (long i = 0; i < r->tasks; i++) {
        task_attach(r, i);
        struct task *t = &r->task[i];
        while (task_step(r, t).kind != WAIT_DONE)
            ;
        task_finish(r, t);
    }
    return 0;
}

static const struct opt_spec hasty_options[] = { OPT_END };
static const struct model hasty_model = {
    .name = "hasty", .summary = "test: serves no wait at all", .options = hasty_options,
    .traits = { .runs = RUNS_ONE }, .run = hasty_run,
};

/* Runs `workload` with `options` ("--k v" pairs, NULL-terminated) under
 * `model`; returns the exit status. */
static int run_with(const struct model *model, const char *workload, long tasks,
                    const char *const *options, struct result *res)
{
    const struct workload *w = workload_find(workload);
    assert_non_null(w);
    struct run_request req = { .model = model, .workload = w, .tasks = tasks,
                               .model_params = calloc(1, 1), .workload_params = calloc(1, w->params_size) };
    memcpy(req.workload_params, w->params_default, w->params_size);
    for (; options && options[0]; options += 2) {
        const struct opt_spec *spec = opt_find(w->options, options[0]);
        assert_non_null(spec);
        assert_true(opt_store(spec, req.workload_params, options[1]));
    }
    int status = run_measure(&req, res);
    free(req.model_params);
    free(req.workload_params);
    return status;
}

static void test_early_waits_are_errors(void **state)
{
    (void)state;
    static const struct {
        const char *workload;
        long tasks;
        const char *options[9];
        uint64_t early;   /* waits that must be counted as errors */
    } cases[] = {
        { "sleep", 3, { "--ms", "50", NULL }, 3 },
        { "chain", 2, { "--steps", "3", "--min-ms", "5", NULL }, 6 },
        { "mixed", 3, { "--cpu-tasks", "1", "--requests", "4", "--io-ms", "5", "--chunk-ms", "0.01", NULL }, 8 },
        { "spawn", 3, { "--hold-ms", "20", NULL }, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct result hasty, serial;
        int status = run_with(&hasty_model, cases[i].workload, cases[i].tasks, cases[i].options, &hasty);
        if (hasty.errors != cases[i].early || status != 1)
            fail_msg("%s: a model that never waits gave %llu errors (want %llu), exit %d",
                     cases[i].workload, (unsigned long long)hasty.errors,
                     (unsigned long long)cases[i].early, status);
        assert_int_equal(run_with(model_find("serial"), cases[i].workload, cases[i].tasks,
                                  cases[i].options, &serial), 0);
        assert_int_equal(serial.errors, 0);
        /* the checksum says the work was not done */
        if (strcmp(hasty.checksum, serial.checksum) == 0)
            fail_msg("%s: the same checksum with and without the waits", cases[i].workload);
    }
}

/* ---- the run state: zeroed for setup, then the same for every hook ---- */

struct ledger_params {
    long token;
};

struct ledger_run {
    bool zeroed;      /* setup found every byte 0 */
    long derived;     /* setup's figure from the token: what tasks read */
    int teardowns;
};

static const struct ledger_params ledger_defaults = { .token = 7 };

static const struct opt_spec ledger_options[] = {
    { "token", 0, OPT_INT, offsetof(struct ledger_params, token), 0, 1000, "setup doubles it" },
    OPT_END,
};

static bool all_zero(const void *block, size_t size)
{
    const unsigned char *b = block;
    for (size_t i = 0; i < size; i++)
        if (b[i])
            return false;
    return true;
}

static int ledger_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct ledger_params *p = params;
    struct ledger_run *r = run;
    (void)env;
    r->zeroed = all_zero(r, sizeof *r);
    r->derived = 2 * p->token;
    return 0;
}

static struct wait ledger_step(struct task *t)
{
    const struct ledger_run *r = t->run;
    t->checksum = (uint64_t)r->derived;
    t->ops++;
    return wait_done();
}

static void ledger_teardown(const void *params, void *run)
{
    (void)params;
    struct ledger_run *r = run;
    r->teardowns++;
}

static void ledger_note(const void *params, const void *run, char *buf, size_t size)
{
    const struct ledger_params *p = params;
    const struct ledger_run *r = run;
    snprintf(buf, size, "zeroed=%d token=%ld derived=%ld teardowns=%d", r->zeroed, p->token,
             r->derived, r->teardowns);
}

static void ledger_metrics(const void *params, const void *run, const struct workload_run *info,
                           char *buf, size_t size)
{
    (void)params;
    (void)info;
    const struct ledger_run *r = run;
    metrics_add(buf, size, "derived", (double)r->derived);
}

static const struct workload ledger_workload = {
    .name = "ledger",
    .summary = "test: tasks read what setup wrote into the run state",
    .options = ledger_options,
    .params_size = sizeof(struct ledger_params),
    .params_default = &ledger_defaults,
    .run_size = sizeof(struct ledger_run),
    .step = ledger_step,
    .setup = ledger_setup,
    .teardown = ledger_teardown,
    .note = ledger_note,
    .metrics = ledger_metrics,
};

/* Twice under each model: a run's state never carries over to the next,
 * and the options are printed as given, not as setup used them. */
static void test_run_state_per_run(void **state)
{
    (void)state;
    struct ledger_params params = ledger_defaults;
    const char *const model_names[] = { "serial", "fork", "threads" };
    char first_checksum[32] = "";
    for (size_t m = 0; m < sizeof model_names / sizeof model_names[0]; m++) {
        for (int round = 0; round < 2; round++) {
            struct run_request req = { .model = model_find(model_names[m]), .workload = &ledger_workload,
                                       .tasks = 3, .workload_params = &params };
            assert_non_null(req.model);
            req.model_params = calloc(1, req.model->params_size ? req.model->params_size : 1);
            if (req.model->params_size)
                memcpy(req.model_params, req.model->params_default, req.model->params_size);
            struct result res;
            int status = run_measure(&req, &res);
            free(req.model_params);
            assert_int_equal(status, 0);
            assert_int_equal(res.ops, 3);
            assert_contains(res.note, "zeroed=1 token=7 derived=14 teardowns=1");
            assert_contains(res.params, "token=7");
            assert_string_equal(res.metrics, "derived=14");
            if (!first_checksum[0])   /* every task read the same state */
                snprintf(first_checksum, sizeof first_checksum, "%s", res.checksum);
            assert_string_equal(res.checksum, first_checksum);
        }
    }
}

/* The up-front fd check counts what the busiest process holds at once. */
static long fd_need(const char *model, const struct workload *w, long tasks, long workers,
                    long model_fds)
{
    struct run r = { .model = model_find(model), .workload = w, .tasks = tasks,
                     .workers = workers, .model_fds = model_fds };
    assert_non_null(r.model);
    return run_fd_need(&r, 10) - 10;   /* what the run adds to 10 open fds */
}

static void test_fd_need_per_model(void **state)
{
    (void)state;
    const struct workload *net = workload_find("net"), *pingpong = workload_find("pingpong");
    long reserve = fd_need("serial", net, 1, 0, 0) - 1;
    assert_true(reserve >= 0 && reserve < 8);
    /* serial: one connection at a time; fork: one per worker process */
    assert_int_equal(fd_need("serial", net, 10000, 0, 0), reserve + 1);
    assert_int_equal(fd_need("fork", net, 10000, 0, 0), reserve + 1);
    assert_int_equal(fd_need("fork", net, 10000, 4, 0), reserve + 1);
    /* threads: the pool at once; event loops: every task, plus each loop */
    assert_int_equal(fd_need("threads", net, 10000, 0, 0), reserve + 10000);
    assert_int_equal(fd_need("threads", net, 10000, 8, 0), reserve + 8);
    assert_int_equal(fd_need("async", net, 10000, 0, 2), reserve + 10002);
    assert_int_equal(fd_need("async", net, 10000, 0, 8), reserve + 10008);
    assert_int_equal(fd_need("hybrid", net, 10000, 0, 2), reserve + 10002);
    /* pingpong's pipes are opened at setup: every process holds them all */
    assert_int_equal(fd_need("fork", pingpong, 100, 0, 0), reserve + 200);
    assert_int_equal(fd_need("threads", pingpong, 100, 2, 0), reserve + 200);
}

int unit_models_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_rearms_after_fd_reopen),
        cmocka_unit_test(test_hybrid_rearms_after_fd_reopen),
        cmocka_unit_test(test_early_waits_are_errors),
        cmocka_unit_test(test_completion_waits_every_model),
        cmocka_unit_test(test_run_state_per_run),
        cmocka_unit_test(test_fd_need_per_model),
    };
    return cmocka_run_group_tests_name("models", tests, NULL, NULL);
}
