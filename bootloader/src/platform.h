/* Everything that differs between operating systems. Only this header, platform_*.c (and
 * main.c's entry points) contain _WIN32 / __APPLE__ conditionals; what can be written once
 * over their primitives is in platform.c (fk_platform_make_dirs, fk_platform_run_parallel,
 * the recursion of fk_platform_remove_tree) and path.c. */
#ifndef FK_PLATFORM_H
#define FK_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define FK_PATH_MAX 4096

/* Paths use the platform's separator; names inside the archive always use '/' and
 * fk_path_join converts them. FK_NAME_FORBIDDEN: characters a single file name may not hold
 * (on Windows '\' and '/' separate, and ':' makes "C:x" a drive-relative path). */
#ifdef _WIN32
#define FK_SEP '\\'
#define FK_NAME_FORBIDDEN "/\\:"
#define FK_HAS_DIALOG 1
#else
#define FK_SEP '/'
#define FK_NAME_FORBIDDEN "/"
#define FK_HAS_DIALOG 0
#endif

/* An open file or a held directory lock; -1 when none. */
typedef intptr_t fk_handle;
#define FK_NO_HANDLE ((fk_handle)-1)

/* Step 1 of the contract: descriptors 0-2 that are closed are opened on the null device. */
fk_status fk_platform_reserve_stdio(void);
/* Absolute path of the running executable. */
fk_status fk_platform_executable_path(char *out, size_t size);

/* Paths. */
/* `left` + FK_SEP + `right` (one separator when `left` ends with one); on Windows every '/'
 * of the result becomes '\', so archive names can be joined as they are. */
fk_status fk_path_join(char *out, size_t size, const char *left, const char *right);
fk_status fk_path_dirname(char *out, size_t size, const char *path);
const char *fk_path_basename(const char *path);
/* Whether `path` is absolute ("/x"; Windows: "C:\x", "\\server\share\x", "\\?\C:\x");
 * *root (when not NULL) gets the length of its root without the separator that follows it:
 * 0 for "/x", 2 for "C:\x". "\x" and "C:x" are relative to a drive: not absolute. */
int fk_path_is_absolute(const char *path, size_t *root);
/* mkdir -p of the absolute path `path` (0700). */
fk_status fk_path_make_dirs(const char *path);
/* Whether `name` (of `length` bytes) can be one file name: not empty, "." or "..", and
 * without a character of FK_NAME_FORBIDDEN or a NUL. */
int fk_path_is_plain_name(const char *name, size_t length);
int fk_path_exists(const char *path);
/* What is at `path`, without following a final symbolic link. */
enum { FK_FILE_MISSING, FK_FILE_REGULAR, FK_FILE_LINK, FK_FILE_DIR, FK_FILE_OTHER };
struct fk_file_info {
    int kind;         /* FK_FILE_* */
    uint64_t size;
    int64_t changed;  /* ns; POSIX: status change time (ctime, which no user can set back);
                       * Windows: last write time */
};
void fk_platform_file_info(const char *path, struct fk_file_info *info);
int fk_path_is_dir(const char *path);

/* Files. */
fk_status fk_platform_open_read(const char *path, fk_handle *file, uint64_t *size);
fk_status fk_platform_read_at(fk_handle file, const char *path, uint64_t offset, void *buffer,
                              size_t length);
void fk_platform_close(fk_handle file);
/* Maps the first `size` bytes of `file` read-only (*data), or returns 0 where that is not
 * possible (the caller then reads with fk_platform_read_at); fk_platform_unmap undoes it. */
int fk_platform_map(fk_handle file, uint64_t size, const unsigned char **data);
void fk_platform_unmap(const unsigned char *data, uint64_t size);
/* `size` bytes of writable memory (not initialised) whose pages are made present at once
 * where the system can (Linux: one mmap with MAP_POPULATE instead of a page fault per 4 KiB
 * page on first touch: 1640 -> 240 faults and ~1 ms less CPU for hello's extraction), or
 * NULL; freed with fk_platform_free_pages(data, size). */
void *fk_platform_alloc_pages(size_t size);
void fk_platform_free_pages(void *data, size_t size);
/* The whole pages inside [data, data + size) of a fk_platform_map mapping stop counting in this
 * process's memory (POSIX: madvise MADV_DONTNEED; a later read maps them again from the page
 * cache); nothing where the platform does not map. */
void fk_platform_release_mapped(const unsigned char *data, size_t size);
/* An incremental writer for one new file (it must not exist): create, append any number of
 * times, then finish, which sets the mode and closes it; with `failed`, or when anything went
 * wrong, finish removes the file. */
fk_status fk_platform_create_file(const char *path, fk_handle *file);
fk_status fk_platform_append(fk_handle file, const char *path, const void *data, size_t length);
/* Writes `length` bytes at `offset` of a file made by fk_platform_create_file; several threads
 * may write different ranges of the same file at once. */
fk_status fk_platform_write_at(fk_handle file, const char *path, uint64_t offset,
                               const void *data, size_t length);
fk_status fk_platform_finish_file(fk_handle file, const char *path, unsigned mode, int failed);
fk_status fk_platform_symlink(const char *target, const char *path);
/* Like fk_platform_create_file and fk_platform_symlink for the archive name `relative`
 * ('/'-separated) below the folder `base`, making its missing parent folders (0700). The
 * path is resolved one component at a time and a symbolic link (Windows: a reparse point) is
 * never followed, so nothing can be written outside `base`; a parent that is a link gives an
 * FK_E_ARCHIVE status. */
fk_status fk_platform_create_beneath(const char *base, const char *relative, fk_handle *file);
fk_status fk_platform_symlink_beneath(const char *target, const char *base,
                                      const char *relative);
/* mkdir -p of `relative` below the existing folder `base` (0700), one
 * fk_platform_make_private_dir per component (platform.c). */
fk_status fk_platform_make_dirs(const char *base, const char *relative);
fk_status fk_platform_make_private_dir(const char *path);
/* Creates a fresh 0700 folder `<parent>/<prefix>XXXXXX`; its path goes to `out`. */
fk_status fk_platform_make_temp_dir(char *out, size_t size, const char *parent,
                                    const char *prefix);
/* Recursively removes `path` without following symbolic links. Best effort. */
int fk_platform_remove_tree(const char *path);
/* fk_platform_remove_tree of every entry of the folder `path` (platform.c); the number that
 * failed. */
int fk_platform_remove_entries(const char *path);
/* rename(2); *lost is set when `to` already exists (someone else renamed first). */
fk_status fk_platform_rename_dir(const char *from, const char *to, int *lost);
/* Moves the finished file `from` to `to`. When `to` appeared meanwhile (another process
 * unpacked the same entry), *lost is set and `from` is removed: both copies are identical. */
fk_status fk_platform_rename_file(const char *from, const char *to, int *lost);
/* Fails unless `path` is a folder owned by us that group and others cannot write. */
fk_status fk_platform_check_private_dir(const char *path, const char *fix);
/* Fails when the folder lies on a filesystem mounted noexec. */
fk_status fk_platform_check_exec_allowed(const char *path, const char *fix);
#ifndef _WIN32
/* The folder a temp-mode onefile app unpacks under, found like Python's
 * tempfile.gettempdir(): the first of TMPDIR, TEMP, TMP, /tmp, /var/tmp, /usr/tmp and the
 * current folder that is a folder we can write in. Fails when none is. */
fk_status fk_platform_temp_base(char *out, size_t size);
#endif

/* Directory locks (flock on the folder itself). With wait == 0 a busy lock gives *busy = 1.
 * The lock is verified to still refer to `path` (a sweeper may have removed it). */
fk_status fk_platform_lock_dir(const char *path, int shared, int wait, fk_handle *lock,
                               int *busy);
void fk_platform_unlock(fk_handle lock);
/* Calls `visit` for every entry name of folder `path` (not . and ..). */
typedef void (*fk_dir_visitor)(void *user, const char *parent, const char *name);
void fk_platform_list_dir(const char *path, fk_dir_visitor visit, void *user);
int fk_platform_is_own_dir(const char *path);

/* Environment. */
const char *fk_platform_getenv(const char *name);
/* The value of `name` as UTF-8 (Windows: from the wide environment, so characters outside the
 * ANSI code page survive) in `out`; "" when unset. TMPDIR on Windows, unless it holds a full
 * Windows path, gives the system's temp folder (GetTempPathW: TMP, TEMP, USERPROFILE) in its
 * long form, without a trailing '\'. */
fk_status fk_platform_getenv_path(const char *name, char *out, size_t size);
fk_status fk_platform_setenv(const char *name, const char *value);
void fk_platform_unsetenv(const char *name);
/* The per-user folder for caches when XDG_CACHE_HOME is unset or relative: POSIX $HOME/.cache
 * (HOME, or the password database), Windows %LOCALAPPDATA% itself (no Unix-style ".cache"). */
fk_status fk_platform_cache_home(char *out, size_t size);

/* Runs `work(users[k])` once for every k < count and waits for all (platform.c). Up to
 * FK_PARALLEL_MAX_THREADS jobs run at once, each on its own thread, job 0 on the caller's;
 * with more jobs than that, thread t runs jobs t, t + FK_PARALLEL_MAX_THREADS, ... one
 * after the other (the caller balances the jobs). A thread that cannot be started has its
 * jobs run on the caller's thread. The jobs share nothing mutable: each gets its own
 * `users[k]`. */
#define FK_PARALLEL_MAX_THREADS 16u
void fk_platform_run_parallel(unsigned count, void (*work)(void *user), void **users);
/* The primitives under fk_platform_run_parallel: start a new thread running
 * `thread->work(thread->user)` (0 when none can be started; `os` is the system's handle of
 * it), and wait for the end of a started one, which also releases it. */
struct fk_thread {
    void (*work)(void *user);
    void *user;
    void *os;
};
int fk_platform_thread_start(struct fk_thread *thread);
void fk_platform_thread_join(struct fk_thread *thread);
/* A lock with one condition: fk_platform_monitor_wait releases it, sleeps until another
 * thread calls fk_platform_monitor_notify (or for no reason: callers re-check their
 * condition in a loop) and takes it again. Threads of one process only. */
struct fk_monitor;
fk_status fk_platform_monitor_new(struct fk_monitor **monitor);
void fk_platform_monitor_free(struct fk_monitor *monitor);
void fk_platform_monitor_enter(struct fk_monitor *monitor);
void fk_platform_monitor_leave(struct fk_monitor *monitor);
void fk_platform_monitor_wait(struct fk_monitor *monitor);
void fk_platform_monitor_notify(struct fk_monitor *monitor); /* wakes every waiter */
unsigned fk_platform_cpu_count(void);
unsigned long fk_platform_process_id(void);

#ifdef _WIN32
/* onefile temp mode on Windows (which cannot delete a loaded DLL, so the launcher outlives
 * the app to remove the folder): runs `exe` with `argv` as a child sharing the console, which
 * sends it Ctrl+C itself, waits and gives its exit code whole (0xC000013A included). */
fk_status fk_platform_run_child(const char *exe, char **argv, int *exit_code);
#endif

/* onefile temp mode on POSIX: the app runs in the launcher's own process, which removes its
 * folder when it ends normally; the watchdog removes it after any other end (SIGKILL, a
 * crash, a signal's default action, os._exit). The watchdog is a process nobody waits for
 * (forked twice: the app's os.wait() never sees it) in a session of its own (a kill of the
 * app's process group or a Ctrl+C does not reach it; it ignores SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT too), with stdin/stdout/stderr on /dev/null and no other descriptor of this
 * process but one end of a socket pair: the other (`channel`, close-on-exec) stays in this
 * process and the ones it forks. Once every copy of it is closed and this process has ended
 * (an exec in place keeps it), it takes the folder's exclusive lock, waiting while a worker
 * started through sys.executable holds a shared one, and removes the folder unless it is
 * gone or another folder took its name. Every file fk_platform_finish_file completes in
 * this process or its forks meanwhile is handed to it (a read-only descriptor, SCM_RIGHTS,
 * never waiting), which it holds until then: the app's removal at its end only unlinks the
 * names, and the files' pages are freed in the watchdog, not in the exit the caller waits
 * for. */
struct fk_watchdog {
    fk_handle channel; /* FK_NO_HANDLE: none (not temp mode, or it could not be started) */
    long helper;       /* the middle process of the double fork, until reaped */
};
#ifndef _WIN32
/* Forks the watchdog; call it before any thread exists. Failing to start one is not an
 * error of the start: the folder is then left to the sweep of a later start. */
void fk_platform_watchdog_start(struct fk_watchdog *watchdog);
/* Tells the watchdog which folder to remove (NULL: none) and reaps the middle process. */
void fk_platform_watchdog_watch(struct fk_watchdog *watchdog, const char *dir);
#endif
/* Ends the process the way the interpreter does after an unhandled KeyboardInterrupt: killed
 * by SIGINT (POSIX), exit code STATUS_CONTROL_C_EXIT 0xC000013A (Windows). */
void fk_platform_exit_interrupted(void);

/* A message box with `text` titled `title` (UTF-8), for windowed apps, which have no console;
 * returns when the user closes it. Only where FK_HAS_DIALOG is 1; elsewhere it does nothing. */
void fk_platform_show_dialog(const char *title, const char *text);

/* Shared libraries. */
fk_status fk_platform_load_library(const char *path, void **library);
/* Binds `name` from `library` (NULL: any loaded library) into *function. */
int fk_platform_symbol(void *library, const char *name, void (**function)(void));
int fk_platform_data_symbol(void *library, const char *name, void **data);

#endif /* FK_PLATFORM_H */
