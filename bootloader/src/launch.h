/* Starting the app: fk_run goes through the contract's steps; the bootstrap and the scripts
 * run with `python script.py` exit semantics. */
#ifndef FK_LAUNCH_H
#define FK_LAUNCH_H

#include "context.h"

void fk_context_init(struct fk_context *ctx, int argc, char **argv);
/* The whole start-up; returns the process exit status. */
int fk_run(struct fk_context *ctx);

#endif /* FK_LAUNCH_H */
