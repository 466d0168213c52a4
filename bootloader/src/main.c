/* Entry points only: store argv in the context and call fk_run. */
#include "launch.h"

#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>

#include <shellapi.h>

/* Windows: the arguments come from the wide command line, as UTF-8 (the ANSI argv of main
 * cannot hold every character). */
static int run_wide_command_line(void)
{
    struct fk_context *ctx = NULL;
    char **argv = NULL;
    int argc = 0;
    int exit_code = 1;
    int i;
    LPWSTR *wide = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (wide == NULL) {
        goto cleanup;
    }
    argv = calloc((size_t)argc + 1, sizeof *argv);
    ctx = malloc(sizeof *ctx);
    if (argv == NULL || ctx == NULL) {
        goto cleanup;
    }
    for (i = 0; i < argc; i++) {
        int size = WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, NULL, 0, NULL, NULL);
        argv[i] = size > 0 ? malloc((size_t)size) : NULL;
        if (argv[i] == NULL ||
            WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, argv[i], size, NULL, NULL) == 0) {
            goto cleanup;
        }
    }
    fk_context_init(ctx, argc, argv);
    exit_code = fk_run(ctx);
cleanup:
    if (argv != NULL) {
        for (i = 0; i < argc; i++) {
            free(argv[i]);
        }
    }
    free(argv);
    free(ctx);
    LocalFree(wide);
    return exit_code;
}

#ifdef FK_WINDOWED
int WINAPI wWinMain(HINSTANCE instance, HINSTANCE previous, PWSTR command_line, int show)
{
    (void)instance;
    (void)previous;
    (void)command_line;
    (void)show;
    return run_wide_command_line();
}

#if defined(__MINGW32__) && !defined(UNICODE)
/* mingw-w64 without -municode starts GUI programs at WinMain. */
int WINAPI WinMain(HINSTANCE instance, HINSTANCE previous, LPSTR command_line, int show)
{
    (void)command_line;
    return wWinMain(instance, previous, GetCommandLineW(), show);
}
#endif
#else
int main(void)
{
    return run_wide_command_line();
}
#endif

#else
int main(int argc, char **argv)
{
    struct fk_context *ctx = malloc(sizeof *ctx);
    int exit_code;
    if (ctx == NULL) {
        return 1;
    }
    fk_context_init(ctx, argc, argv);
    exit_code = fk_run(ctx);
    free(ctx);
    return exit_code;
}
#endif
