/* fork.c - a process per task, or a pool of --workers processes.
 *
 * Tasks and their results live in MAP_SHARED memory set up by the harness,
 * so a child reports simply by writing its task (as stress-ng does). Workers
 * take task indexes from a shared atomic counter, so a pool of W runs W tasks
 * at a time and every task runs exactly once.
 *
 * All workers join one process group, which lets the parent wait for "any
 * worker" without reaping other children (the net workload's server) and
 * stop them all with one kill(). PR_SET_PDEATHSIG makes them die with the
 * parent, so Ctrl-C never leaves orphans. A start gate (a pipe that the
 * parent closes once every worker exists) makes them begin together.
 *
 * Memory (the one method of bench/run.c): a child shares the parent's pages
 * until it writes them, so its RSS overstates what it costs. At fork a
 * child's anonymous resident set (RssAnon) equals the parent's; what it adds
 * beyond that, and its page tables (VmPTE), read from /proc/self/status
 * just before it exits, are its own. The sums over workers are added to the
 * parent's figures. (smaps_rollup would be exact but costs ~0.7 ms per child
 * to read.) */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct fork_shared {
    atomic_long next_task;
    atomic_bool abort;
    long parent_anon_kib;      /* the parent's anonymous RSS at fork */
    atomic_long private_kib;   /* what workers added, summed */
    atomic_long pte_kib;       /* workers' page tables, summed */
};

/* The worker's shared block, for the connection processes it forks. */
static struct fork_shared *fork_worker_shared;

/* What a worker or a connection process added for itself (run.c's one
 * memory method), counted just before it exits. */
static void fork_account_exit(struct fork_shared *shared)
{
    struct mem_self m = mem_read_self();
    long added = m.anon_kib - shared->parent_anon_kib;
    atomic_fetch_add(&shared->private_kib, added > 0 ? added : 0);
    atomic_fetch_add(&shared->pte_kib, m.pte_kib);
}

/* Block until the parent closes the gate; true if the run goes ahead. */
static bool fork_wait_gate(int gate_fd, struct fork_shared *shared)
{
    char byte;
    while (read(gate_fd, &byte, 1) < 0 && errno == EINTR)
        ;
    close(gate_fd);
    return !atomic_load(&shared->abort);
}

/* ---- tasks created at run time (WAIT_SPAWN) -----------------------------
 *
 * A process per connection (as inetd and the first Apache did), forked by
 * the worker whose task spawned it, not a prefork pool accepting on one
 * socket: a pool of P processes serves P connections at once, and the
 * P+1st would wait in the backlog until one closes (for ever against a
 * keep-alive client), where every connection must be served or turned
 * away at once. The worker reaps a finished child as it ends (SIGCHLD),
 * so none stays a zombie and its slot is free at once, and waits for all
 * of them before it exits. */

/* Reap the worker's finished connection processes; `all`: wait for every
 * one (they end within their deadline, or at once once cancelled). */
static void fork_reap_spawned(struct run *r, bool all)
{
    for (;;) {
        pid_t pid = waitpid(-1, NULL, all ? 0 : WNOHANG);
        if (pid > 0) {
            run_spawn_release(r);
            continue;
        }
        if (pid < 0 && errno == EINTR)
            continue;
        return;   /* none left (ECHILD), or none finished yet */
    }
}

/* The worker's run, for its SIGCHLD handler (a worker is one thread). */
static struct run *fork_reaping_run;

/* waitpid and an atomic decrement are async-signal-safe. */
static void fork_on_child_exit(int sig)
{
    int saved = errno;
    (void)sig;
    fork_reap_spawned(fork_reaping_run, false);
    errno = saved;
}

/* In a worker that may spawn: reap connection processes as they end. */
static void fork_reap_on_exit(struct run *r)
{
    struct sigaction sa = { .sa_handler = fork_on_child_exit, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
    fork_reaping_run = r;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static int64_t fork_spawn(struct run *r, struct task *parent, int fd)
{
    (void)parent;
    if (!run_spawn_admit(r))
        return -EAGAIN;
    struct spawned *sp = spawned_new(r, fd, NULL);
    pid_t worker = getpid(), pid = sp ? fork() : -1;
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlives its worker */
        if (getppid() != worker)
            _exit(1);
        task_run_blocking(r, &sp->task);
        fork_account_exit(fork_worker_shared);
        _exit(0);
    }
    free(sp);   /* the child has its own copy */
    if (pid < 0) {
        run_spawn_release(r);
        return -EAGAIN;   /* out of processes or memory: turned away */
    }
    close(fd);   /* the child's now */
    return 0;
}

static void fork_child(struct run *r, struct fork_shared *shared, int gate_fd, pid_t parent)
{
    /* The harness's stop handler is the parent's: a worker stopped from
     * outside dies as one, and the parent reports it (fork_reap_all). */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)   /* the parent died before prctl took effect */
        _exit(1);
    if (!fork_wait_gate(gate_fd, shared))
        _exit(0);
    fork_worker_shared = shared;
    if (r->spawn)
        fork_reap_on_exit(r);
    for (;;) {
        long i = atomic_fetch_add(&shared->next_task, 1);
        if (i >= r->tasks || atomic_load(&shared->abort) || !run_may_start_task(r))
            break;
        task_attach(r, i);
        task_run_blocking(r, &r->task[i]);
    }
    fork_reap_spawned(r, true);
    fork_account_exit(shared);
    _exit(0);
}

/* Stop and reap every worker still running (a second stop signal
 * interrupting waitpid must not leave zombies). */
static void fork_stop_all(pid_t group, long running)
{
    kill(-group, SIGKILL);
    while (running > 0) {
        if (waitpid(-group, NULL, 0) > 0)
            running--;
        else if (errno != EINTR)
            break;
    }
}

static int fork_reap_all(struct run *r, pid_t group, long running)
{
    while (running > 0) {
        int status;
        pid_t pid = waitpid(-group, &status, 0);
        if (pid < 0 && errno == EINTR && run_cancelled(r)) {
            fork_stop_all(group, running);   /* a stop signal: at once */
            return 0;
        }
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        running--;
        if (run_cancelled(r)) {   /* --fail-task: stop the rest now */
            fork_stop_all(group, running);
            return 0;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        snprintf(r->note, sizeof r->note, "worker %d %s %d; stopped the other %ld",
                 (int)pid, WIFSIGNALED(status) ? "killed by signal" : "exited with",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), running);
        fprintf(stderr, "cbench: fork: %s\n", r->note);
        fork_stop_all(group, running);
        return 1;
    }
    return 0;
}

static int fork_run(struct run *r)
{
    long pool = run_pool_size(r);
    struct fork_shared *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int gate[2];
    if (shared == MAP_FAILED || pipe2(gate, O_CLOEXEC) < 0) {
        fprintf(stderr, "cbench: fork: cannot set up shared state: %s\n", strerror(errno));
        if (shared != MAP_FAILED)
            munmap(shared, sizeof *shared);
        return 1;
    }
    atomic_init(&shared->next_task, 0);
    atomic_init(&shared->abort, false);
    atomic_init(&shared->private_kib, 0);
    atomic_init(&shared->pte_kib, 0);
    shared->parent_anon_kib = mem_read_self().anon_kib;

    pid_t parent = getpid(), group = 0;
    int status = 0;
    r->spawn = fork_spawn;
    fflush(NULL);   /* children must not flush the parent's buffered output */
    for (long w = 0; w < pool; w++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(gate[1]);
            setpgid(0, group);
            fork_child(r, shared, gate[0], parent);
        }
        if (pid < 0) {
            fprintf(stderr, "cbench: fork: could not start worker %ld of %ld: %s "
                    "(%ld started; see ulimit -u)\n", w + 1, pool, strerror(errno), w);
            snprintf(r->note, sizeof r->note, "fork failed after %ld workers", w);
            atomic_store(&shared->abort, true);
            status = 1;
            break;
        }
        setpgid(pid, group ? group : pid);   /* also in the parent: no race */
        if (group == 0)
            group = pid;
        r->workers_started++;
    }
    run_sample_memory(r);
    close(gate[0]);
    close(gate[1]);   /* open the gate: every worker starts now */
    if (r->workers_started > 0) {
        if (status != 0)
            fork_stop_all(group, r->workers_started);
        else
            status = fork_reap_all(r, group, r->workers_started);
    }
    r->child_memory_kib = atomic_load(&shared->private_kib);
    r->child_pte_kib = atomic_load(&shared->pte_kib);
    /* a kernel stack for each worker and each connection process */
    r->kernel_tasks = r->workers_started + atomic_load(&r->shared->spawned_total);
    munmap(shared, sizeof *shared);
    return status;
}

/* One process per worker of the pool, for the up-front worker check. */
static int fork_check(struct run *r)
{
    r->model_workers = run_pool_size(r);
    return 0;
}

const struct model model_fork = {
    .name = "fork",
    .summary = "a process per task (or a pool of -w processes), results via shared memory",
    .traits = { .runs = RUNS_POOL, .uses_workers = true, .worker_processes = true,
                .parallel_cpu = true, .spawns = true },
    .check = fork_check,
    .run = fork_run,
};
