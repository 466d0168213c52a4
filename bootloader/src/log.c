/* fk_status construction and the bootloader's only writes to stderr (and the windowed
 * dialog, through fk_platform_show_dialog). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "context.h"

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

/* The dialog's title: the option freezekit:name= as written (ctx->app_name is made safe for
 * a folder name), else the executable's name without ".exe". */
static void dialog_title(const struct fk_context *ctx, char *out, size_t size)
{
    size_t prefix = strlen(FK_OPTION_NAME);
    const char *name = fk_path_basename(ctx->exe);
    size_t length;
    size_t i;
    for (i = 0; i < ctx->archive.count; i++) {
        const struct fk_entry *entry = &ctx->archive.entries[i];
        if (entry->kind == FK_KIND_OPTION && strncmp(entry->name, FK_OPTION_NAME, prefix) == 0 &&
            entry->name[prefix] != '\0') {
            snprintf(out, size, "%s", entry->name + prefix); /* cut when longer */
            return;
        }
    }
    length = strlen(name);
    if (length > 4 && name[length - 4] == '.' && (name[length - 3] | 0x20) == 'e' &&
        (name[length - 2] | 0x20) == 'x' && (name[length - 1] | 0x20) == 'e') {
        length -= 4;
    }
    if (length == 0) {
        name = "freezekit";
        length = strlen(name);
    }
    snprintf(out, size, "%.*s", (int)length, name); /* a longer name is cut: it is a title */
}

/* The text that would be shown, on one line: line breaks as "\n". */
static void print_escaped(const char *text)
{
    for (; *text != '\0'; text++) {
        if (*text == '\n') {
            fputs("\\n", stderr);
        } else {
            fputc(*text, stderr);
        }
    }
}

static void show_dialog(const struct fk_context *ctx, const char *exe, const fk_status *status)
{
    char title[FK_PATH_MAX];
    char text[FK_PATH_MAX + FK_MESSAGE_MAX + 32];
    const char *skip = fk_platform_getenv(FK_ENV_NO_DIALOG);
    dialog_title(ctx, title, sizeof title);
    snprintf(text, sizeof text, "Cannot start %s:\n\n%s", exe, status->message);
    if (skip != NULL && strcmp(skip, "1") == 0) {
        fprintf(stderr, "freezekit: dialog not shown (%s=1): [%s] ", FK_ENV_NO_DIALOG, title);
        print_escaped(text);
        fputc('\n', stderr);
        fflush(stderr);
        return;
    }
    fk_platform_show_dialog(title, text);
}

void fk_log_startup_error(const struct fk_context *ctx, const fk_status *status)
{
    const char *exe = ctx->exe[0] != '\0' ? ctx->exe : "(this program)";
    fprintf(stderr, "freezekit: cannot start %s: %s\n", exe, status->message);
    fflush(stderr);
    if (FK_HAS_DIALOG && ctx->windowed) {
        show_dialog(ctx, exe, status);
    }
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
