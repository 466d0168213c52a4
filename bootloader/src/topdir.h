/* Step 3-5 of the contract: which top directory this process uses, and the environment it
 * leaves to its children. */
#ifndef FK_TOPDIR_H
#define FK_TOPDIR_H

#include "context.h"
#include "status.h"

#define FK_ENV_TOP_DIR "_FREEZEKIT_TOP_DIR"

/* Reads the bootloader's own options (runtime tmpdir, app name) from the archive. */
fk_status fk_topdir_read_options(struct fk_context *ctx);
/* Decides (and in onefile mode prepares) ctx->top_dir. In temp mode on Windows the process
 * becomes the parent of the application: *finished is set and *exit_code holds the child's
 * status. POSIX runs the app in this process, like onedir. */
fk_status fk_topdir_decide(struct fk_context *ctx, int *finished, int *exit_code);
/* onedir with MERGE: every external entry must exist under the top directory. */
fk_status fk_topdir_check_externals(const struct fk_context *ctx);
/* Releases the lock on the top directory; in temp mode on POSIX, the process that made the
 * folder also removes it (unless a worker or a forked child still uses it: the watchdog
 * does then). Called at every end that comes back to fk_run, before a death by SIGINT, and
 * from atexit() for an exit() inside Python. */
void fk_topdir_release(struct fk_context *ctx);

#endif /* FK_TOPDIR_H */
