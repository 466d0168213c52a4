/* Checks of platform.c: see platform_checks.h. The thread identities and the lock that counts
 * the jobs running at once are the test's own, one set per system. */
#include "platform_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

#ifdef _WIN32
#include <windows.h>
typedef DWORD thread_id;
static thread_id current_thread(void)
{
    return GetCurrentThreadId();
}
static int same_thread(thread_id a, thread_id b)
{
    return a == b;
}
static CRITICAL_SECTION gauge_lock;
static void gauge_lock_init(void)
{
    InitializeCriticalSection(&gauge_lock);
}
static void gauge_enter(void)
{
    EnterCriticalSection(&gauge_lock);
}
static void gauge_leave(void)
{
    LeaveCriticalSection(&gauge_lock);
}
static void pause_briefly(void)
{
    Sleep(1);
}
#else
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
typedef pthread_t thread_id;
static thread_id current_thread(void)
{
    return pthread_self();
}
static int same_thread(thread_id a, thread_id b)
{
    return pthread_equal(a, b);
}
static pthread_mutex_t gauge_lock = PTHREAD_MUTEX_INITIALIZER;
static void gauge_lock_init(void)
{
}
static void gauge_enter(void)
{
    pthread_mutex_lock(&gauge_lock);
}
static void gauge_leave(void)
{
    pthread_mutex_unlock(&gauge_lock);
}
static void pause_briefly(void)
{
    struct timespec moment = {0, 1000000}; /* 1 ms: the jobs of different threads overlap */
    nanosleep(&moment, NULL);
}
#endif

void report(struct tally *tally, int ok, const char *name, const char *why)
{
    if (ok) {
        tally->passed++;
        printf("ok %s\n", name);
    } else {
        tally->failed++;
        printf("FAIL %s: %s\n", name, why);
    }
    fflush(stdout);
}

/* -- fk_platform_run_parallel ------------------------------------------------------------ */

struct job {
    unsigned runs;
    thread_id thread;
};

/* How many jobs run at this moment, and the most seen at once. */
static unsigned running;
static unsigned most_running;

static void run_job(void *user)
{
    struct job *job = user;
    gauge_enter();
    if (++running > most_running) {
        most_running = running;
    }
    gauge_leave();
    pause_briefly();
    job->runs++;
    job->thread = current_thread();
    gauge_enter();
    running--;
    gauge_leave();
}

/* Every job runs once, at most FK_PARALLEL_MAX_THREADS at a time, the first `width` each on
 * its own thread (job 0 on the caller's), job k on the thread of job k % width. */
static void check_run_parallel(unsigned count, struct tally *tally)
{
    struct job *jobs = calloc(count + 1, sizeof *jobs);
    void **users = calloc(count + 1, sizeof *users);
    unsigned width = count < FK_PARALLEL_MAX_THREADS ? count : FK_PARALLEL_MAX_THREADS;
    thread_id caller = current_thread();
    char name[128];
    char why[256];
    unsigned k, j;
    int ok = jobs != NULL && users != NULL;
    snprintf(name, sizeof name, "fk_platform_run_parallel of %u jobs", count);
    snprintf(why, sizeof why, "out of memory");
    for (k = 0; ok && k < count; k++) {
        users[k] = &jobs[k];
    }
    running = most_running = 0;
    if (ok) {
        fk_platform_run_parallel(count, run_job, users);
    }
    for (k = 0; ok && k < count; k++) {
        if (jobs[k].runs != 1) {
            ok = 0;
            snprintf(why, sizeof why, "job %u ran %u times", k, jobs[k].runs);
        } else if (k == 0 && !same_thread(jobs[0].thread, caller)) {
            ok = 0;
            snprintf(why, sizeof why, "job 0 did not run on the caller's thread");
        } else if (!same_thread(jobs[k].thread, jobs[k % width].thread)) {
            ok = 0;
            snprintf(why, sizeof why, "job %u ran on another thread than job %u", k,
                     k % width);
        }
    }
    for (k = 0; ok && k < width; k++) {
        for (j = 0; ok && j < k; j++) {
            if (same_thread(jobs[j].thread, jobs[k].thread)) {
                ok = 0;
                snprintf(why, sizeof why, "jobs %u and %u ran on the same thread", j, k);
            }
        }
    }
    if (ok && most_running > FK_PARALLEL_MAX_THREADS) {
        ok = 0;
        snprintf(why, sizeof why, "%u jobs ran at once (at most %u)", most_running,
                 FK_PARALLEL_MAX_THREADS);
    }
    report(tally, ok, name, why);
    free(jobs);
    free(users);
}

/* -- fk_platform_make_dirs --------------------------------------------------------------- */

static void check_make_dirs(const char *scratch, struct tally *tally)
{
    char base[FK_PATH_MAX];
    char deep[FK_PATH_MAX];
    char file[FK_PATH_MAX];
    char absolute[FK_PATH_MAX];
    char name[64];
    fk_handle handle = FK_NO_HANDLE;
    fk_status status;
    snprintf(name, sizeof name, "fk-make-dirs-%lu", fk_platform_process_id());
    status = fk_path_join(base, sizeof base, scratch, name);
    if (!FK_FAILED(status)) {
        fk_platform_remove_tree(base);
        status = fk_platform_make_private_dir(base);
    }
    if (FK_FAILED(status)) {
        report(tally, 0, "fk_platform_make_dirs: scratch folder", status.message);
        return;
    }
    fk_path_join(deep, sizeof deep, base, "a/b/c");
    fk_path_join(file, sizeof file, base, "a/file");
    fk_path_join(absolute, sizeof absolute, base, "x/y/z");

    status = fk_platform_make_dirs(base, "a/b/c");
    report(tally, !FK_FAILED(status) && fk_path_is_dir(deep),
           "fk_platform_make_dirs makes every missing folder", status.message);
    status = fk_platform_make_dirs(base, "a/b/c");
    report(tally, !FK_FAILED(status) && fk_path_is_dir(deep),
           "fk_platform_make_dirs of folders that exist", status.message);
    status = fk_platform_create_file(file, &handle);
    if (!FK_FAILED(status)) {
        status = fk_platform_finish_file(handle, file, 0600, 0);
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_make_dirs(base, "a/file/d");
        report(tally, FK_FAILED(status) && !fk_path_is_dir(file) && fk_path_exists(file),
               "fk_platform_make_dirs through a file fails",
               FK_FAILED(status) ? "the file was replaced" : "it succeeded");
    } else {
        report(tally, 0, "fk_platform_make_dirs through a file fails", status.message);
    }
    status = fk_path_make_dirs(absolute);
    report(tally, !FK_FAILED(status) && fk_path_is_dir(absolute),
           "fk_path_make_dirs of an absolute path", status.message);
    status = fk_path_make_dirs("relative/folder");
    report(tally, FK_FAILED(status) && !fk_path_exists("relative"),
           "fk_path_make_dirs of a relative path fails", "it succeeded");
    report(tally, fk_platform_remove_tree(base) == 0 && !fk_path_exists(base),
           "fk_platform_make_dirs: scratch folder removed", base);
}

/* -- fk_platform_alloc_pages ------------------------------------------------------------- */

/* Every byte of a buffer the decoders fill (one frame, up to 4 MiB) can be written and read
 * back; a size of 0 gives NULL, and freeing NULL is harmless. */
static void check_alloc_pages(struct tally *tally)
{
    static const size_t sizes[] = {1, 4095, 4096, 65537, (size_t)4 << 20};
    size_t i, j;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *pages = fk_platform_alloc_pages(sizes[i]);
        int ok = pages != NULL;
        for (j = 0; ok && j < sizes[i]; j++) {
            pages[j] = (unsigned char)(j * 7 + i);
        }
        for (j = 0; ok && j < sizes[i]; j++) {
            ok = pages[j] == (unsigned char)(j * 7 + i);
        }
        fk_platform_free_pages(pages, sizes[i]);
        report(tally, ok, "fk_platform_alloc_pages gives writable memory of the size asked",
               pages == NULL ? "NULL" : "a byte read back differs");
    }
    report(tally, fk_platform_alloc_pages(0) == NULL, "fk_platform_alloc_pages(0) is NULL",
           "not NULL");
    fk_platform_free_pages(NULL, 0);
}

/* -- fk_platform_monitor_* ---------------------------------------------------------------- */

/* Two threads hand a counter back and forth through one monitor: each waits (in a loop, as
 * wakeups may be spurious) until the counter is its turn, bumps it and notifies. */
struct relay {
    struct fk_monitor *monitor;
    unsigned counter;
    unsigned last;
};

static void relay_odd(void *user)
{
    struct relay *relay = user;
    fk_platform_monitor_enter(relay->monitor);
    while (relay->counter < relay->last) {
        if (relay->counter % 2 == 1) {
            relay->counter++;
            fk_platform_monitor_notify(relay->monitor);
        } else {
            fk_platform_monitor_wait(relay->monitor);
        }
    }
    fk_platform_monitor_leave(relay->monitor);
}

static void check_monitor(struct tally *tally)
{
    struct relay relay;
    struct fk_thread thread;
    int ok;
    relay.counter = 0;
    relay.last = 2000;
    ok = !FK_FAILED(fk_platform_monitor_new(&relay.monitor));
    thread.work = relay_odd;
    thread.user = &relay;
    if (ok && fk_platform_thread_start(&thread)) {
        fk_platform_monitor_enter(relay.monitor);
        while (relay.counter < relay.last) {
            if (relay.counter % 2 == 0) {
                relay.counter++;
                fk_platform_monitor_notify(relay.monitor);
            } else {
                fk_platform_monitor_wait(relay.monitor);
            }
        }
        fk_platform_monitor_leave(relay.monitor);
        fk_platform_thread_join(&thread);
    } else {
        ok = 0;
    }
    report(tally, ok && relay.counter == relay.last,
           "fk_platform_monitor: two threads take 2000 turns through wait and notify",
           ok ? "the counter went past its end" : "no monitor or no thread");
    fk_platform_monitor_free(ok ? relay.monitor : NULL);
}

#ifndef _WIN32
/* -- the onefile watchdog (POSIX) ---------------------------------------------------------- */

/* Whether `path` is gone within 5 s (the watchdog removes it asynchronously). */
static int removed_soon(const char *path)
{
    int waited;
    for (waited = 0; waited < 500 && fk_path_exists(path); waited++) {
        usleep(10000);
    }
    return !fk_path_exists(path);
}

/* A child plays the app: it starts the watchdog, locks `folder` as the launcher does, gives
 * it to the watchdog, unpacks files into it (each handed to the watchdog as it is finished)
 * and ends with SIGKILL (no clean-up of its own) or _exit. Its exit status says whether it
 * found a child to reap (it must not: the watchdog is nobody's child). */
static int run_app(const char *folder, int kill_itself)
{
    struct fk_watchdog watchdog;
    fk_handle lock = FK_NO_HANDLE;
    fk_handle file;
    char name[32];
    char path[FK_PATH_MAX];
    int busy = 0;
    int status = 0;
    int i;
    pid_t app = fork();
    if (app == 0) {
        fk_platform_watchdog_start(&watchdog);
        if (FK_FAILED(fk_platform_lock_dir(folder, 1, 1, &lock, &busy))) {
            _exit(2);
        }
        fk_platform_watchdog_watch(&watchdog, folder);
        if (watchdog.channel == FK_NO_HANDLE) {
            _exit(3);
        }
        for (i = 0; i < 40; i++) {
            snprintf(name, sizeof name, "inner/file-%d", i);
            if (FK_FAILED(fk_path_join(path, sizeof path, folder, name)) ||
                FK_FAILED(fk_platform_create_beneath(folder, name, &file)) ||
                FK_FAILED(fk_platform_append(file, path, name, strlen(name))) ||
                FK_FAILED(fk_platform_finish_file(file, path, 0644, 0))) {
                _exit(5);
            }
        }
        if (waitpid(-1, &status, WNOHANG) != -1 || errno != ECHILD) {
            _exit(4);
        }
        if (kill_itself) {
            kill(getpid(), SIGKILL);
        }
        _exit(0);
    }
    if (app < 0 || waitpid(app, &status, 0) != app) {
        return -1;
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static void check_watchdog(const char *scratch, struct tally *tally)
{
    char killed[FK_PATH_MAX];
    char held[FK_PATH_MAX];
    char name[64];
    fk_handle lock = FK_NO_HANDLE;
    int busy = 0;
    int status;
    snprintf(name, sizeof name, "fk-watchdog-%lu-killed", fk_platform_process_id());
    fk_path_join(killed, sizeof killed, scratch, name);
    snprintf(name, sizeof name, "fk-watchdog-%lu-held", fk_platform_process_id());
    fk_path_join(held, sizeof held, scratch, name);
    if (FK_FAILED(fk_platform_make_private_dir(killed)) ||
        FK_FAILED(fk_platform_make_private_dir(held)) ||
        FK_FAILED(fk_platform_make_dirs(killed, "inner/deeper")) ||
        FK_FAILED(fk_platform_make_dirs(held, "inner"))) {
        report(tally, 0, "watchdog: scratch folders", killed);
        return;
    }
    status = run_app(killed, 1);
    report(tally, status == 128 + SIGKILL, "watchdog: the app has no child to reap",
           "the app found a child, or could not start the watchdog");
    report(tally, removed_soon(killed), "watchdog removes the folder after a SIGKILL", killed);

    /* a worker's shared lock keeps the folder until it is released */
    if (FK_FAILED(fk_platform_lock_dir(held, 1, 1, &lock, &busy))) {
        report(tally, 0, "watchdog waits for a worker's lock", "cannot lock the folder");
        return;
    }
    status = run_app(held, 0);
    usleep(300000);
    report(tally, status == 0 && fk_path_is_dir(held), "watchdog waits for a worker's lock",
           "the folder went while a lock was held");
    fk_platform_unlock(lock);
    report(tally, removed_soon(held), "watchdog removes the folder once the lock is released",
           held);
}
#endif

void fk_platform_checks(const char *scratch, struct tally *tally)
{
    static const unsigned counts[] = {0, 1, 2, 4, 15, 16, 17, 33, 100};
    size_t i;
    gauge_lock_init();
    for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        check_run_parallel(counts[i], tally);
    }
    check_make_dirs(scratch, tally);
    check_alloc_pages(tally);
    check_monitor(tally);
#ifndef _WIN32
    check_watchdog(scratch, tally);
#endif
}
