/* struct fk_context: everything one run of the bootloader knows, created once by main(). */
#ifndef FK_CONTEXT_H
#define FK_CONTEXT_H

#include "archive.h"
#include "platform.h"

#define FK_APP_NAME_MAX 128

struct fk_python; /* the bound libpython API, pylib.c */
struct fk_digest;

struct fk_context {
    int argc;
    char **argv;
    char exe[FK_PATH_MAX];     /* absolute path of the executable */
    char exe_dir[FK_PATH_MAX]; /* its folder */
    struct fk_archive archive; /* the archive appended to the executable */
    struct fk_pyz pyz;         /* opened on first use by _freezekit.pyz_index() */
    int pyz_opened;

    int onefile;       /* trailer flag FK_FLAG_ONEFILE */
    int extract_cache; /* trailer flag FK_FLAG_EXTRACT_CACHE (onefile only) */
    int windowed;      /* built windowed (FK_WINDOWED) or trailer flag FK_FLAG_WINDOWED */
    char app_name[FK_APP_NAME_MAX];      /* option freezekit:name=, else the file name */
    char runtime_tmpdir[FK_PATH_MAX];    /* option freezekit:runtime-tmpdir=, or "" */

    char top_dir[FK_PATH_MAX]; /* sys._MEIPASS */
    fk_handle top_lock;        /* shared flock held on top_dir while we run */
    int inherited;             /* top_dir came from _FREEZEKIT_TOP_DIR (a worker) */
    int verified;              /* this process checked the payload digest (fk_archive_verify) */
    /* onefile temp mode on POSIX: the id of the process that made top_dir and removes it at
     * its end (0: none; a process forked from it keeps the value but is not it), and the
     * watchdog that removes it after any other end (platform.h). */
    unsigned long temp_owner;
    struct fk_watchdog watchdog;

    struct fk_prefetch *prefetch; /* onefile temp mode: the start-up set's thread, extract.h */
    struct fk_digest *digest;     /* onefile temp mode: the rest of the payload digest, extract.h */
    struct fk_python *python;  /* NULL until libpython is loaded */
    /* The first damage found while Python runs (_freezekit raised OSError for it): an
     * OSError that ends the bootstrap or a script is then reported as this one line. */
    fk_status damage;
    int damaged;
};

#endif /* FK_CONTEXT_H */
