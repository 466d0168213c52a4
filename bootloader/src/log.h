/* Messages to the user: one line on stderr (debug lines only in FK_DEBUG builds); a windowed
 * app, which has no console, also shows its start-up error in a dialog. */
#ifndef FK_LOG_H
#define FK_LOG_H

#include "status.h"

struct fk_context;

/* Skips the dialog when "1" (tests, and anything that runs a windowed app unattended): the
 * dialog's title and text are written to stderr instead, as a second line. */
#define FK_ENV_NO_DIALOG "FREEZEKIT_NO_DIALOG"

/* "freezekit: cannot start <exe>: <message>", and in a windowed app (FK_HAS_DIALOG) the
 * dialog "Cannot start <exe>:\n\n<message>" titled with the app's name. */
void fk_log_startup_error(const struct fk_context *ctx, const fk_status *status);
void fk_log_error(const char *format, ...) FK_PRINTF(1, 2);
void fk_log_debug(const char *format, ...) FK_PRINTF(1, 2);

#endif /* FK_LOG_H */
