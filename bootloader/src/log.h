/* Messages to the user: one line on stderr (debug lines only in FK_DEBUG builds). */
#ifndef FK_LOG_H
#define FK_LOG_H

#include "status.h"

/* "freezekit: cannot start <exe>: <message>" */
void fk_log_startup_error(const char *exe, const fk_status *status);
void fk_log_error(const char *format, ...) FK_PRINTF(1, 2);
void fk_log_debug(const char *format, ...) FK_PRINTF(1, 2);

#endif /* FK_LOG_H */
