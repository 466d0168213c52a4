/* The top-directory decision: inherited, onedir, onefile temp or onefile cache. */
#include "topdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "log.h"

static void copy_option(char *out, size_t size, const char *value)
{
    snprintf(out, size, "%s", value);
}

fk_status fk_topdir_read_options(struct fk_context *ctx)
{
    size_t tmpdir_length = strlen(FK_OPTION_RUNTIME_TMPDIR);
    size_t name_length = strlen(FK_OPTION_NAME);
    size_t i;
    char *cursor;

    copy_option(ctx->app_name, sizeof ctx->app_name, fk_path_basename(ctx->exe));
    for (i = 0; i < ctx->archive.count; i++) {
        const struct fk_entry *entry = &ctx->archive.entries[i];
        if (entry->kind != FK_KIND_OPTION) {
            continue;
        }
        if (strncmp(entry->name, FK_OPTION_RUNTIME_TMPDIR, tmpdir_length) == 0) {
            copy_option(ctx->runtime_tmpdir, sizeof ctx->runtime_tmpdir,
                        entry->name + tmpdir_length);
        } else if (strncmp(entry->name, FK_OPTION_NAME, name_length) == 0 &&
                   entry->name[name_length] != '\0') {
            copy_option(ctx->app_name, sizeof ctx->app_name, entry->name + name_length);
        }
    }
    /* The name becomes a folder name in the cache: keep it to a safe character set. */
    for (cursor = ctx->app_name; *cursor != '\0'; cursor++) {
        char c = *cursor;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            *cursor = '_';
        }
    }
    if (ctx->app_name[0] == '.' || ctx->app_name[0] == '\0') {
        ctx->app_name[0] = '_';
    }
    return fk_ok();
}

static int is_reset_requested(void)
{
    const char *freezekit = fk_platform_getenv("FREEZEKIT_RESET_ENVIRONMENT");
    const char *pyinstaller = fk_platform_getenv("PYINSTALLER_RESET_ENVIRONMENT");
    return (freezekit && strcmp(freezekit, "1") == 0) ||
           (pyinstaller && strcmp(pyinstaller, "1") == 0);
}

static fk_status reset_environment(void)
{
    const char *original = fk_platform_getenv("LD_LIBRARY_PATH_ORIG");
    fk_status status = fk_ok();
    fk_platform_unsetenv("FREEZEKIT_RESET_ENVIRONMENT");
    fk_platform_unsetenv("PYINSTALLER_RESET_ENVIRONMENT");
    fk_platform_unsetenv(FK_ENV_TOP_DIR);
#ifdef _WIN32
    (void)original; /* Windows: LD_LIBRARY_PATH is the caller's own (see set_environment) */
#else
    if (original != NULL) {
        status = fk_platform_setenv("LD_LIBRARY_PATH", original);
        fk_platform_unsetenv("LD_LIBRARY_PATH_ORIG");
    } else {
        fk_platform_unsetenv("LD_LIBRARY_PATH");
    }
#endif
    return status;
}

/* "<content id>:<dir>" with our content id and an existing folder we can lock. */
static int use_inherited(struct fk_context *ctx)
{
    char value[FK_PATH_MAX + 2 * FK_TRAILER_CONTENT_ID_LEN + 2];
    size_t id_length = strlen(ctx->archive.content_hex);
    int busy = 0;
    if (FK_FAILED(fk_platform_getenv_path(FK_ENV_TOP_DIR, value, sizeof value)) ||
        strncmp(value, ctx->archive.content_hex, id_length) != 0 ||
        value[id_length] != ':' || value[id_length + 1] == '\0' ||
        strlen(value + id_length + 1) >= sizeof ctx->top_dir) {
        return 0;
    }
    memcpy(ctx->top_dir, value + id_length + 1, strlen(value + id_length + 1) + 1);
    if (!fk_path_is_dir(ctx->top_dir) ||
        FK_FAILED(fk_platform_lock_dir(ctx->top_dir, 1, 1, &ctx->top_lock, &busy))) {
        ctx->top_dir[0] = '\0';
        return 0;
    }
    ctx->inherited = 1;
    return 1;
}

/* Step 4: LD_LIBRARY_PATH(_ORIG) and _FREEZEKIT_TOP_DIR for the children. Windows finds the
 * top directory's DLLs through SetDllDirectoryW (platform_win32.c) and leaves LD_LIBRARY_PATH
 * and PATH as the caller set them: programs started outside the bundle see them unchanged. */
static fk_status set_environment(const struct fk_context *ctx)
{
    const char *caller = fk_platform_getenv("LD_LIBRARY_PATH");
    char value[2 * FK_PATH_MAX + 2];
    int written;
    fk_status status = fk_ok();
#ifdef _WIN32
    (void)caller;
#else
    if (caller != NULL) {
        status = fk_platform_setenv("LD_LIBRARY_PATH_ORIG", caller);
        written = snprintf(value, sizeof value, "%s%s%s", ctx->top_dir, *caller ? ":" : "",
                           caller);
    } else {
        fk_platform_unsetenv("LD_LIBRARY_PATH_ORIG");
        written = snprintf(value, sizeof value, "%s", ctx->top_dir);
    }
    if (written < 0 || (size_t)written >= sizeof value) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "LD_LIBRARY_PATH is too long; shorten it");
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_setenv("LD_LIBRARY_PATH", value);
    }
#endif
    written = snprintf(value, sizeof value, "%s:%s", ctx->archive.content_hex, ctx->top_dir);
    if (!FK_FAILED(status) && (written < 0 || (size_t)written >= sizeof value)) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "top directory path is too long");
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_setenv(FK_ENV_TOP_DIR, value);
    }
    return status;
}

static fk_status use_onedir(struct fk_context *ctx)
{
    int busy = 0;
    fk_status status = fk_path_join(ctx->top_dir, sizeof ctx->top_dir, ctx->exe_dir, "_internal");
    if (FK_FAILED(status)) {
        return status;
    }
    if (!fk_path_is_dir(ctx->top_dir)) {
        return fk_fail(FK_E_ENV, ENOENT, "folder %s is missing; copy the whole app folder, "
                       "with its _internal folder, next to the executable", ctx->top_dir);
    }
    /* A read-only or lock-less filesystem is fine for onedir: the lock only guards sweeps. */
    if (FK_FAILED(fk_platform_lock_dir(ctx->top_dir, 1, 1, &ctx->top_lock, &busy))) {
        ctx->top_lock = FK_NO_HANDLE;
    }
    return fk_ok();
}

#ifndef _WIN32
/* atexit() handlers get no argument: the context whose temp folder this process removes when
 * it ends through exit() inside Python (SystemExit, Py_Exit), which does not come back to
 * fk_run. Set once the folder is made, cleared by fk_topdir_release before main() frees it. */
static struct fk_context *fk_exiting_context = NULL;

static void release_at_exit(void)
{
    if (fk_exiting_context != NULL) {
        fk_topdir_release(fk_exiting_context);
    }
}

/* The app's own end: the folder goes unless a worker or a forked child still uses it (then
 * the watchdog removes it after them). The lock is dropped first: a fork of this process
 * shares it, so the exclusive one is only granted when no process holds one. */
static void remove_own_temp(struct fk_context *ctx)
{
    fk_handle lock;
    int busy = 0;
    if (FK_FAILED(fk_platform_lock_dir(ctx->top_dir, 0, 0, &lock, &busy))) {
        return; /* gone already */
    }
    if (busy) {
        fk_log_debug("%s is still in use; the watchdog removes it after its users",
                     ctx->top_dir);
        return;
    }
    if (fk_platform_remove_tree(ctx->top_dir) != 0) {
        fk_log_debug("could not remove all of %s", ctx->top_dir);
    }
    fk_platform_unlock(lock);
}
#endif

/* onefile temp mode: a fresh folder, extracted. POSIX runs the app in this process (the
 * watchdog was started by fk_topdir_decide); Windows runs ourselves as the child (a loaded
 * DLL cannot be deleted, so the launcher must outlive the app) and removes the folder. */
static fk_status run_temp(struct fk_context *ctx, int *finished, int *exit_code)
{
    char from_environment[FK_PATH_MAX];
    const char *tmp = ctx->runtime_tmpdir;
    const char *fix = "set TMPDIR to another folder, or build the app with --runtime-tmpdir";
    fk_status status = fk_ok();
    if (tmp[0] == '\0') {
#ifdef _WIN32
        status = fk_platform_getenv_path("TMPDIR", from_environment, sizeof from_environment);
        tmp = from_environment[0] != '\0' ? from_environment : "/tmp"; /* Windows: never "" */
#else
        /* like tempfile.gettempdir(): a TMPDIR that is missing or not writable is passed over */
        status = fk_platform_temp_base(from_environment, sizeof from_environment);
        tmp = from_environment;
#endif
    } else if (fk_path_is_absolute(tmp, NULL)) {
        (void)fk_path_make_dirs(tmp); /* checked just below */
    }
    if (!FK_FAILED(status)) {
        status = fk_platform_check_exec_allowed(tmp, fix);
    }
    if (!FK_FAILED(status)) {
        fk_extract_sweep_temp(tmp);
        status = fk_extract_temp(ctx, tmp);
    }
#ifdef _WIN32
    if (FK_FAILED(status)) {
        return status;
    }
    *finished = 1;
    status = set_environment(ctx);
    if (!FK_FAILED(status)) {
        status = fk_platform_run_child(ctx->exe, ctx->argv, exit_code);
    }
    if (ctx->top_dir[0] != '\0' && fk_platform_remove_tree(ctx->top_dir) != 0) {
        fk_log_debug("could not remove all of %s", ctx->top_dir);
    }
    fk_topdir_release(ctx);
#else
    (void)finished;
    (void)exit_code;
    fk_platform_watchdog_watch(&ctx->watchdog, FK_FAILED(status) ? NULL : ctx->top_dir);
    if (FK_FAILED(status)) {
        return status; /* fk_extract_temp removed what it made */
    }
    ctx->temp_owner = fk_platform_process_id();
    if (fk_exiting_context == NULL && atexit(release_at_exit) != 0) {
        fk_log_debug("cannot register the removal at exit; the watchdog does it");
    }
    fk_exiting_context = ctx;
    status = set_environment(ctx);
#endif
    return status;
}

fk_status fk_topdir_decide(struct fk_context *ctx, int *finished, int *exit_code)
{
    fk_status status;
    *finished = 0;
    if (is_reset_requested()) {
        status = reset_environment();
        if (FK_FAILED(status)) {
            return status;
        }
    } else if (use_inherited(ctx)) {
        fk_log_debug("reusing inherited top directory %s", ctx->top_dir);
        return fk_ok();
    }
#ifndef _WIN32
    /* temp mode: the watchdog forks now, while the process is small and has no thread yet
     * (the payload check and the extraction may start some) */
    if (ctx->onefile && !ctx->extract_cache) {
        fk_platform_watchdog_start(&ctx->watchdog);
    }
#endif
    /* a new instance (not a worker of a checked one): the whole payload, before any use;
     * onefile checks it itself: cache mode before it unpacks, or it finds that this very
     * executable was checked already (extract.c, the verified-executable stamp); temp mode on
     * the extraction threads while they unpack into its new private folder, which nothing
     * uses before the check passed (extract.c, fk_extract_temp) */
    if (!ctx->onefile) {
        status = fk_archive_verify(&ctx->archive);
        if (FK_FAILED(status)) {
#ifndef _WIN32
            fk_platform_watchdog_watch(&ctx->watchdog, NULL);
#endif
            return status;
        }
        ctx->verified = 1;
    }
    if (!ctx->onefile) {
        status = use_onedir(ctx);
    } else if (ctx->extract_cache) {
        status = fk_extract_cache(ctx);
    } else {
        return run_temp(ctx, finished, exit_code);
    }
    if (!FK_FAILED(status)) {
        status = set_environment(ctx);
    }
    return status;
}

fk_status fk_topdir_check_externals(const struct fk_context *ctx)
{
    char path[FK_PATH_MAX];
    size_t i;
    for (i = 0; i < ctx->archive.count; i++) {
        const struct fk_entry *entry = &ctx->archive.entries[i];
        unsigned char *data = NULL;
        size_t length = 0;
        fk_status status;
        if (entry->kind != FK_KIND_EXTERNAL) {
            continue;
        }
        status = fk_path_join(path, sizeof path, ctx->top_dir, entry->name);
        if (FK_FAILED(status)) {
            return status;
        }
        if (fk_path_exists(path)) {
            continue;
        }
        status = fk_archive_read(&ctx->archive, entry, &data, &length);
        if (!FK_FAILED(status)) {
            status = fk_fail(FK_E_ENV, ENOENT, "shared file %s is missing (it comes from the "
                             "sibling app %.*s, MERGE); install the merged apps together in the "
                             "same folder", path, (int)length, (const char *)data);
        }
        free(data);
        return status;
    }
    return fk_ok();
}

void fk_topdir_release(struct fk_context *ctx)
{
    /* every end that removes the folder (fk_run's, atexit's, SIGINT's) first stops the
     * thread that may still be unpacking into it (extract.h) */
    fk_prefetch_stop(ctx->prefetch);
    ctx->prefetch = NULL;
    fk_extract_digest_free(ctx); /* the digest's thread writes its stamp in the folder */
    fk_platform_unlock(ctx->top_lock);
    ctx->top_lock = FK_NO_HANDLE;
#ifndef _WIN32
    if (ctx->temp_owner != 0 && ctx->temp_owner == fk_platform_process_id()) {
        remove_own_temp(ctx);
    }
    ctx->temp_owner = 0;
    if (fk_exiting_context == ctx) {
        fk_exiting_context = NULL;
    }
#endif
}
