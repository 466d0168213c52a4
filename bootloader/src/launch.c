/* fk_run: the start-up as a list of named steps, then the bootstrap and the scripts. */
#include "pylib.h" /* first: Python.h must precede the C library headers */

#include "launch.h"

#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "log.h"
#include "topdir.h"

#define FK_EXIT_FAILURE 1
#define FK_EXIT_FINALIZE_FAILED 120

void fk_context_init(struct fk_context *ctx, int argc, char **argv)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->argc = argc;
    ctx->argv = argv;
    ctx->top_lock = FK_NO_HANDLE;
    ctx->watchdog.channel = FK_NO_HANDLE;
    fk_archive_init(&ctx->archive);
    fk_pyz_init(&ctx->pyz);
#ifdef FK_WINDOWED
    ctx->windowed = 1;
#endif
}

static fk_status open_own_archive(struct fk_context *ctx)
{
    fk_status status = fk_platform_executable_path(ctx->exe, sizeof ctx->exe);
    if (!FK_FAILED(status)) {
        status = fk_path_dirname(ctx->exe_dir, sizeof ctx->exe_dir, ctx->exe);
    }
    if (!FK_FAILED(status)) {
        status = fk_archive_open(&ctx->archive, ctx->exe);
    }
    if (FK_FAILED(status)) {
        return status;
    }
    ctx->onefile = (ctx->archive.flags & FK_FLAG_ONEFILE) != 0;
    ctx->extract_cache = ctx->onefile && (ctx->archive.flags & FK_FLAG_EXTRACT_CACHE) != 0;
    ctx->windowed = ctx->windowed || (ctx->archive.flags & FK_FLAG_WINDOWED) != 0;
    return fk_topdir_read_options(ctx);
}

/* Prints the pending exception like the interpreter does; SystemExit exits from here. An
 * OSError after _freezekit found the executable damaged is that damage's one line instead
 * of a traceback, like every other damage (docs/internals.md, step 2). */
static int report_exception(struct fk_context *ctx, int *interrupted)
{
    struct fk_python *py = ctx->python;
    *interrupted = py->PyErr_ExceptionMatches(*py->PyExc_KeyboardInterrupt);
    if (ctx->damaged && py->PyErr_ExceptionMatches(*py->PyExc_OSError)) {
        py->PyErr_Clear();
        fk_log_startup_error(ctx, &ctx->damage);
        return FK_EXIT_FAILURE;
    }
    py->PyErr_Print();
    return FK_EXIT_FAILURE;
}

/* Step 7: the bootstrap in a fresh namespace. */
static int run_bootstrap(struct fk_context *ctx, const struct fk_entry *entry, int *interrupted)
{
    struct fk_python *py = ctx->python;
    PyObject *code = NULL;
    PyObject *globals = NULL;
    PyObject *builtins = NULL;
    PyObject *result = NULL;
    unsigned char *data = NULL;
    size_t length = 0;
    int exit_code = FK_EXIT_FAILURE;
    fk_status status = fk_archive_read(&ctx->archive, entry, &data, &length);
    if (FK_FAILED(status)) {
        fk_log_startup_error(ctx, &status);
        goto cleanup;
    }
    code = py->PyMarshal_ReadObjectFromString((const char *)data, (Py_ssize_t)length);
    globals = py->PyDict_New();
    builtins = py->PyImport_ImportModule("builtins");
    if (code == NULL || globals == NULL || builtins == NULL ||
        py->PyDict_SetItemString(globals, "__builtins__", builtins) != 0 ||
        !(result = py->PyUnicode_FromString("__freezekit_bootstrap__")) ||
        py->PyDict_SetItemString(globals, "__name__", result) != 0) {
        exit_code = report_exception(ctx, interrupted);
        goto cleanup;
    }
    py->Py_DecRef(result);
    result = py->PyEval_EvalCode(code, globals, globals);
    exit_code = result != NULL ? 0 : report_exception(ctx, interrupted);
cleanup:
    free(data);
    py->Py_DecRef(result);
    py->Py_DecRef(builtins);
    py->Py_DecRef(globals);
    py->Py_DecRef(code);
    return exit_code;
}

/* Step 8: one script in __main__'s namespace, like `python script.py`. */
static int run_script(struct fk_context *ctx, const struct fk_entry *entry, int *interrupted)
{
    struct fk_python *py = ctx->python;
    PyObject *code = NULL;
    PyObject *file = NULL;
    PyObject *none = NULL;
    PyObject *result = NULL;
    PyObject *globals;
    unsigned char *data = NULL;
    size_t length = 0;
    char path[FK_PATH_MAX];
    int exit_code = FK_EXIT_FAILURE;
    fk_status status = fk_path_join(path, sizeof path, ctx->top_dir, entry->name);
    if (!FK_FAILED(status)) {
        status = fk_archive_read(&ctx->archive, entry, &data, &length);
    }
    if (FK_FAILED(status)) {
        fk_log_startup_error(ctx, &status);
        goto cleanup;
    }
    globals = py->PyModule_GetDict(py->PyImport_AddModule("__main__"));
    code = py->PyMarshal_ReadObjectFromString((const char *)data, (Py_ssize_t)length);
    file = py->PyUnicode_DecodeFSDefault(path);
    none = py->Py_BuildValue("");
    if (globals == NULL || code == NULL || file == NULL || none == NULL ||
        py->PyDict_SetItemString(globals, "__file__", file) != 0 ||
        py->PyDict_SetItemString(globals, "__cached__", none) != 0) {
        exit_code = report_exception(ctx, interrupted);
        goto cleanup;
    }
    result = py->PyEval_EvalCode(code, globals, globals);
    exit_code = result != NULL ? 0 : report_exception(ctx, interrupted);
cleanup:
    free(data);
    py->Py_DecRef(result);
    py->Py_DecRef(none);
    py->Py_DecRef(file);
    py->Py_DecRef(code);
    return exit_code;
}

/* Steps 7-8 and the interpreter's end. */
static int run_python(struct fk_context *ctx)
{
    struct fk_python *py = ctx->python;
    const struct fk_entry *bootstrap = NULL;
    int interrupted = 0;
    int exit_code = 0;
    size_t i;
    for (i = 0; i < ctx->archive.count && bootstrap == NULL; i++) {
        if (ctx->archive.entries[i].kind == FK_KIND_BOOTSTRAP) {
            bootstrap = &ctx->archive.entries[i];
        }
    }
    if (bootstrap != NULL) {
        exit_code = run_bootstrap(ctx, bootstrap, &interrupted);
    }
    for (i = 0; i < ctx->archive.count && exit_code == 0; i++) {
        if (ctx->archive.entries[i].kind == FK_KIND_SCRIPT) {
            exit_code = run_script(ctx, &ctx->archive.entries[i], &interrupted);
        }
    }
    if (py->Py_FinalizeEx() < 0 && exit_code == 0) {
        exit_code = FK_EXIT_FINALIZE_FAILED;
    }
    if (interrupted) {
        fk_topdir_release(ctx); /* the death by SIGINT skips atexit: the temp folder goes now */
        fk_platform_exit_interrupted(); /* like the interpreter (SIGINT, or 0xC000013A) */
    }
    return exit_code;
}

int fk_run(struct fk_context *ctx)
{
    int finished = 0;
    int exited = 0;
    int exit_code = FK_EXIT_FAILURE;
    fk_status status = fk_platform_reserve_stdio();
    if (!FK_FAILED(status)) {
        status = open_own_archive(ctx);
    }
    if (!FK_FAILED(status)) {
        status = fk_topdir_decide(ctx, &finished, &exit_code);
    }
    if (!FK_FAILED(status) && finished) {
        goto cleanup; /* onefile temp mode on Windows: the child ran the app */
    }
    if (!FK_FAILED(status) && !ctx->onefile) {
        status = fk_topdir_check_externals(ctx);
    }
    if (!FK_FAILED(status) && ctx->onefile && !ctx->extract_cache) {
        status = fk_prefetch_start(ctx, &ctx->prefetch); /* while Python loads and starts */
    }
    if (!FK_FAILED(status)) {
        status = fk_pylib_load(ctx);
    }
    if (!FK_FAILED(status)) {
        status = fk_pylib_initialize(ctx, &exited, &exit_code);
    }
    if (!FK_FAILED(status)) {
        /* onefile temp mode: the rest of the payload digest (extract.h), which ran while the
         * interpreter initialised from the checked prefix; nothing else of the payload (the
         * bootstrap, PYZ, scripts, lazy files) is used before it matched */
        status = fk_extract_digest_wait(ctx);
    }
    if (!FK_FAILED(status) && !exited) {
        status = fk_pylib_populate_module(ctx);
    }
    if (!FK_FAILED(status) && !exited) {
        exit_code = run_python(ctx);
    }
cleanup:
    if (FK_FAILED(status) && ctx->digest != NULL && FK_FAILED(fk_extract_digest_wait(ctx))) {
        status = fk_extract_digest_wait(ctx); /* a damaged payload is named as such */
    }
    if (FK_FAILED(status)) {
        fk_log_startup_error(ctx, &status);
        exit_code = FK_EXIT_FAILURE;
    }
    fk_topdir_release(ctx); /* stops the prefetch thread first */
    fk_pyz_close(&ctx->pyz);
    fk_pylib_unload(ctx);
    fk_archive_close(&ctx->archive);
    return exit_code;
}
