/* The parts of platform.h written once for every operating system, over the thin primitives
 * of platform_posix.c and platform_win32.c (folder creation and removal, threads). Like path.c, it tells
 * the Windows forms apart by FK_SEP, not by conditionals. */
#include "platform.h"

#include <string.h>

fk_status fk_platform_make_dirs(const char *base, const char *relative)
{
    char path[FK_PATH_MAX];
    size_t i;
    fk_status status = fk_path_join(path, sizeof path, base, relative);
    if (FK_FAILED(status)) {
        return status;
    }
    /* fk_path_join made every '/' an FK_SEP; on Windows "X:" (a drive) is not made */
    for (i = strlen(base) + 1; path[i] != '\0'; i++) {
        if (path[i] == FK_SEP && !(FK_SEP == '\\' && path[i - 1] == ':')) {
            path[i] = '\0';
            status = fk_platform_make_private_dir(path);
            path[i] = FK_SEP;
            if (FK_FAILED(status)) {
                return status;
            }
        }
    }
    return fk_platform_make_private_dir(path);
}

static void remove_visitor(void *user, const char *parent, const char *name)
{
    char path[FK_PATH_MAX];
    int *failures = user;
    if (FK_FAILED(fk_path_join(path, sizeof path, parent, name))) {
        (*failures)++;
        return;
    }
    *failures += fk_platform_remove_tree(path) != 0;
}

int fk_platform_remove_entries(const char *path)
{
    int failures = 0;
    fk_platform_list_dir(path, remove_visitor, &failures);
    return failures;
}

/* One thread's part of fk_platform_run_parallel: the jobs first, first + step, ... */
struct parallel_part {
    void (*work)(void *user);
    void **users;
    unsigned first;
    unsigned step;
    unsigned count;
};

static void run_part(void *arg)
{
    const struct parallel_part *part = arg;
    unsigned k;
    for (k = part->first; k < part->count; k += part->step) {
        part->work(part->users[k]);
    }
}

void fk_platform_run_parallel(unsigned count, void (*work)(void *user), void **users)
{
    struct parallel_part parts[FK_PARALLEL_MAX_THREADS];
    struct fk_thread threads[FK_PARALLEL_MAX_THREADS];
    int started[FK_PARALLEL_MAX_THREADS];
    unsigned width = count < FK_PARALLEL_MAX_THREADS ? count : FK_PARALLEL_MAX_THREADS;
    unsigned t;
    for (t = 0; t < width; t++) {
        parts[t].work = work;
        parts[t].users = users;
        parts[t].first = t;
        parts[t].step = width;
        parts[t].count = count;
    }
    for (t = 1; t < width; t++) {
        threads[t].work = run_part;
        threads[t].user = &parts[t];
        started[t] = fk_platform_thread_start(&threads[t]);
    }
    if (width > 0) {
        run_part(&parts[0]);
    }
    for (t = 1; t < width; t++) {
        if (started[t]) {
            fk_platform_thread_join(&threads[t]);
        } else {
            run_part(&parts[t]); /* the thread could not be started: its jobs run here */
        }
    }
}
