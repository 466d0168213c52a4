/* fk_status construction and the bootloader's only writes to stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

fk_status fk_ok(void)
{
    fk_status status;
    status.code = FK_OK;
    status.err = 0;
    status.message[0] = '\0';
    return status;
}

fk_status fk_fail(int code, int err, const char *format, ...)
{
    fk_status status;
    va_list args;
    int written;

    status.code = code;
    status.err = err;
    va_start(args, format);
    written = vsnprintf(status.message, sizeof status.message, format, args);
    va_end(args);
    if (written < 0) {
        snprintf(status.message, sizeof status.message, "(unformattable error message)");
    } else if ((size_t)written >= sizeof status.message) {
        /* Keep the beginning, which names the file and the operation. */
        memcpy(status.message + sizeof status.message - 4, "...", 4);
    }
    return status;
}

void fk_log_startup_error(const char *exe, const fk_status *status)
{
    fprintf(stderr, "freezekit: cannot start %s: %s\n", exe && *exe ? exe : "(this program)",
            status->message);
    fflush(stderr);
}

void fk_log_error(const char *format, ...)
{
    va_list args;
    fputs("freezekit: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    fflush(stderr);
}

void fk_log_debug(const char *format, ...)
{
#ifdef FK_DEBUG
    va_list args;
    fputs("freezekit[debug]: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    fflush(stderr);
#else
    (void)format;
#endif
}
