/* Loading and binding libpython, the isolated PyConfig, and the _freezekit built-in module. */
#include "pylib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "log.h"

#if PY_VERSION_HEX >= 0x030C0000
#define FK_IMMORTAL_REFCNT _Py_IMMORTAL_REFCNT
#else
#define FK_IMMORTAL_REFCNT (PY_SSIZE_T_MAX / 2)
#endif

/* The interpreter requires a static, writable module definition for an inittab module: it
 * writes its own bookkeeping into m_base. The bootloader never writes to it. */
static PyModuleDef fk_module_def = {
    PyModuleDef_HEAD_INIT, "_freezekit",
    "Made by the freezekit bootloader: the executable's archive and where it runs from.",
    -1, NULL, NULL, NULL, NULL, NULL,
};

/* Called by the interpreter (no user pointer): PyModule_Create2 is looked up in the already
 * loaded libpython; the attributes are added by fk_pylib_populate_module. */
static PyObject *fk_module_init(void)
{
    void (*function)(void) = NULL;
    PyObject *(*create)(PyModuleDef *, int);
    if (!fk_platform_symbol(NULL, "PyModule_Create2", &function)) {
        return NULL;
    }
    create = (PyObject * (*)(PyModuleDef *, int)) function;
    return create(&fk_module_def, PYTHON_API_VERSION);
}

fk_status fk_pylib_load(struct fk_context *ctx)
{
    char path[FK_PATH_MAX];
    struct fk_python *py;
    void (*function)(void) = NULL;
    void *data = NULL;
    fk_status status;

    if (ctx->archive.py_major != PY_MAJOR_VERSION || ctx->archive.py_minor != PY_MINOR_VERSION) {
        return fk_fail(FK_E_PYTHON, 0, "the app was built for Python %u.%u but this bootloader "
                       "for Python %d.%d; rebuild the app (the bootloader must match the "
                       "target Python)", ctx->archive.py_major, ctx->archive.py_minor,
                       PY_MAJOR_VERSION, PY_MINOR_VERSION);
    }
    if (!fk_path_is_plain_name(ctx->archive.libpython, strlen(ctx->archive.libpython))) {
        return fk_fail(FK_E_ARCHIVE, 0, "the trailer names no valid libpython file ('%s'); "
                       "rebuild the app", ctx->archive.libpython);
    }
    status = fk_path_join(path, sizeof path, ctx->top_dir, ctx->archive.libpython);
    if (FK_FAILED(status)) {
        return status;
    }
    py = calloc(1, sizeof *py);
    if (py == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory");
    }
    status = fk_platform_load_library(path, &py->library);
    if (FK_FAILED(status)) {
        free(py);
        return status;
    }
#define FK_BIND_FUNCTION(ret, name, params)                                                   \
    if (!fk_platform_symbol(py->library, #name, &function)) {                                 \
        status = fk_fail(FK_E_PYTHON, 0, "%s has no function %s; the bundled libpython does " \
                         "not match the bootloader, rebuild the app", path, #name);          \
        goto cleanup;                                                                         \
    }                                                                                         \
    py->name = (ret(*) params)function;
    FK_PYTHON_FUNCTIONS(FK_BIND_FUNCTION)
#undef FK_BIND_FUNCTION
#define FK_BIND_DATA(type, name)                                                              \
    if (!fk_platform_data_symbol(py->library, #name, &data)) {                                \
        status = fk_fail(FK_E_PYTHON, 0, "%s has no symbol %s; the bundled libpython does "   \
                         "not match the bootloader, rebuild the app", path, #name);          \
        goto cleanup;                                                                         \
    }                                                                                         \
    py->name = (type *)data;
    FK_PYTHON_DATA(FK_BIND_DATA)
#undef FK_BIND_DATA
    py->self.base.ob_refcnt = FK_IMMORTAL_REFCNT;
    py->self.base.ob_type = py->PyBaseObject_Type;
    py->self.ctx = ctx;
    ctx->python = py;
cleanup:
    if (FK_FAILED(status)) {
        free(py); /* the library stays loaded: unloading libpython is never safe */
    }
    return status;
}

void fk_pylib_unload(struct fk_context *ctx)
{
    free(ctx->python); /* libpython itself stays mapped until exit */
    ctx->python = NULL;
}

static fk_status python_failure(const char *what, PyStatus result)
{
    return fk_fail(FK_E_PYTHON, 0, "Python initialisation failed (%s%s%s): %s; rebuild the "
                   "app, and report this if it persists", what, result.func ? " in " : "",
                   result.func ? result.func : "",
                   result.err_msg ? result.err_msg : "unknown error");
}

/* Appends a byte string to a wide string list (after pre-initialisation). */
static int append_path(struct fk_python *py, PyWideStringList *list, const char *text)
{
    PyStatus result;
    wchar_t *wide = py->Py_DecodeLocale(text, NULL);
    if (wide == NULL) {
        return 0;
    }
    result = py->PyWideStringList_Append(list, wide);
    py->PyMem_RawFree(wide);
    return !py->PyStatus_Exception(result);
}

/* Step 6: run-time options from `option` entries. */
static int apply_options(struct fk_context *ctx, PyConfig *config)
{
    struct fk_python *py = ctx->python;
    size_t i;
    for (i = 0; i < ctx->archive.count; i++) {
        const struct fk_entry *entry = &ctx->archive.entries[i];
        const char *name = entry->name;
        if (entry->kind != FK_KIND_OPTION) {
            continue;
        }
        if (strcmp(name, "v") == 0) {
            config->verbose++;
        } else if (strcmp(name, "u") == 0) {
            config->buffered_stdio = 0;
        } else if (strcmp(name, "O") == 0 || strcmp(name, "OO") == 0) {
            config->optimization_level += (int)strlen(name); /* -O, -OO */
        } else if (strncmp(name, "W ", 2) == 0 && !append_path(py, &config->warnoptions, name + 2)) {
            return 0;
        } else if (strncmp(name, "X ", 2) == 0 && !append_path(py, &config->xoptions, name + 2)) {
            return 0;
        }
    }
    return 1;
}

/* `X utf8` / `X utf8=0|1` among the options: UTF-8 mode, which is pre-configuration (an X
 * option in PyConfig comes too late to change it). -1 when not given: Python's own choice
 * (on Windows, the ANSI code page for pipes and files: cp1252 on most systems). */
static int utf8_option(const struct fk_context *ctx)
{
    size_t i;
    int mode = -1;
    for (i = 0; i < ctx->archive.count; i++) {
        const struct fk_entry *entry = &ctx->archive.entries[i];
        if (entry->kind != FK_KIND_OPTION || strncmp(entry->name, "X utf8", 6) != 0) {
            continue;
        }
        if (entry->name[6] == '\0' || strcmp(entry->name + 6, "=1") == 0) {
            mode = 1;
        } else if (strcmp(entry->name + 6, "=0") == 0) {
            mode = 0;
        }
    }
    return mode;
}

static fk_status build_config(struct fk_context *ctx, PyConfig *config)
{
    struct fk_python *py = ctx->python;
    char path[FK_PATH_MAX];
    PyStatus result;
    static const char *const search[] = {"base_library.zip", "lib-dynload", NULL};
    wchar_t **prefixes[] = {&config->prefix, &config->base_prefix, &config->exec_prefix,
                            &config->base_exec_prefix,
#if PY_VERSION_HEX >= 0x030B0000
                            &config->stdlib_dir,
#endif
                            NULL};
    size_t i;
    fk_status status;

    config->isolated = 1;
    config->use_environment = 0;
    config->user_site_directory = 0;
    config->site_import = 0;
    config->write_bytecode = 0;
    config->parse_argv = 0;
    config->install_signal_handlers = 1;
    config->configure_c_stdio = 1;
    config->pathconfig_warnings = 0;
    config->module_search_paths_set = 1;
    result = py->PyConfig_SetBytesArgv(config, ctx->argc, ctx->argv);
    if (py->PyStatus_Exception(result)) {
        return python_failure("argv", result);
    }
    result = py->PyConfig_SetBytesString(config, &config->executable, ctx->exe);
    if (!py->PyStatus_Exception(result)) {
        result = py->PyConfig_SetBytesString(config, &config->base_executable, ctx->exe);
    }
    if (!py->PyStatus_Exception(result)) {
        result = py->PyConfig_SetBytesString(config, &config->program_name, ctx->argv[0]);
    }
    for (i = 0; prefixes[i] != NULL && !py->PyStatus_Exception(result); i++) {
        result = py->PyConfig_SetBytesString(config, prefixes[i], ctx->top_dir);
    }
    if (py->PyStatus_Exception(result)) {
        return python_failure("paths", result);
    }
    for (i = 0; search[i] != NULL; i++) {
        status = fk_path_join(path, sizeof path, ctx->top_dir, search[i]);
        if (FK_FAILED(status)) {
            return status;
        }
        if (!append_path(py, &config->module_search_paths, path)) {
            return fk_fail(FK_E_PYTHON, 0, "cannot decode path %s; move the app to a path "
                           "without unusual characters", path);
        }
    }
    if (!append_path(py, &config->module_search_paths, ctx->top_dir) ||
        !apply_options(ctx, config)) {
        return fk_fail(FK_E_PYTHON, 0, "cannot decode %s or a run-time option; move the app to "
                       "a path without unusual characters", ctx->top_dir);
    }
    return fk_ok();
}

fk_status fk_pylib_initialize(struct fk_context *ctx, int *exited, int *exit_code)
{
    struct fk_python *py = ctx->python;
    PyPreConfig preconfig;
    PyConfig config;
    PyStatus result;
    fk_status status = fk_ok();

    *exited = 0;
    if (py->PyImport_AppendInittab("_freezekit", fk_module_init) != 0) {
        return fk_fail(FK_E_PYTHON, 0, "cannot register the _freezekit module");
    }
    /* Like `python -I`: the locale and UTF-8 mode as Python would pick them, no environment. */
    py->PyPreConfig_InitPythonConfig(&preconfig);
    preconfig.isolated = 1;
    preconfig.use_environment = 0;
    preconfig.parse_argv = 0;
    if (utf8_option(ctx) >= 0) {
        preconfig.utf8_mode = utf8_option(ctx);
    }
    result = py->Py_PreInitialize(&preconfig);
    if (py->PyStatus_Exception(result)) {
        return python_failure("pre-initialisation", result);
    }
    py->PyConfig_InitIsolatedConfig(&config);
    status = build_config(ctx, &config);
    if (!FK_FAILED(status)) {
        result = py->Py_InitializeFromConfig(&config);
        if (py->PyStatus_IsExit(result)) {
            *exited = 1;
            *exit_code = result.exitcode;
        } else if (py->PyStatus_Exception(result)) {
            status = python_failure("Py_InitializeFromConfig", result);
        }
    }
    py->PyConfig_Clear(&config);
    return status;
}

static struct fk_context *context_of(PyObject *self)
{
    return ((struct fk_module_self *)self)->ctx;
}

static PyObject *raise_os_error(struct fk_context *ctx, const fk_status *status)
{
    struct fk_python *py = ctx->python;
    char message[FK_MESSAGE_MAX + FK_PATH_MAX + 32];
    if (status->code == FK_E_ARCHIVE && !ctx->damaged) {
        ctx->damage = *status;
        ctx->damaged = 1;
    }
    snprintf(message, sizeof message, "%s: %s", ctx->exe, status->message);
    py->PyErr_SetString(*py->PyExc_OSError, message);
    return NULL;
}

/* Appends the tuple (first, second) to `list`; on failure drops the list and returns 0. */
static int append_pair(struct fk_python *py, PyObject *list, const char *first,
                       const char *second)
{
    PyObject *item = py->Py_BuildValue("(ss)", first, second);
    int ok = item != NULL && py->PyList_Append(list, item) == 0;
    py->Py_DecRef(item);
    if (!ok) {
        py->Py_DecRef(list);
    }
    return ok;
}

static PyObject *fk_method_toc(PyObject *self, PyObject *unused)
{
    struct fk_context *ctx = context_of(self);
    struct fk_python *py = ctx->python;
    PyObject *list = py->PyList_New(0);
    size_t i;
    (void)unused;
    for (i = 0; list != NULL && i < ctx->archive.count; i++) {
        const struct fk_entry *entry = &ctx->archive.entries[i];
        if (!append_pair(py, list, entry->name, fk_archive_kind_name(entry->kind))) {
            return NULL;
        }
    }
    return list;
}

/* Reads `data` into a new bytes object and frees it. */
static PyObject *to_bytes(struct fk_python *py, unsigned char *data, size_t length)
{
    PyObject *bytes = py->PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)length);
    free(data);
    return bytes;
}

static PyObject *fk_method_read(PyObject *self, PyObject *name)
{
    struct fk_context *ctx = context_of(self);
    struct fk_python *py = ctx->python;
    const struct fk_entry *entry;
    unsigned char *data = NULL;
    size_t length = 0;
    fk_status status;
    const char *text = py->PyUnicode_AsUTF8(name);
    if (text == NULL) {
        return NULL;
    }
    entry = fk_archive_find(&ctx->archive, text, 0);
    if (entry == NULL) {
        py->PyErr_SetObject(*py->PyExc_KeyError, name);
        return NULL;
    }
    status = fk_archive_read(&ctx->archive, entry, &data, &length);
    if (FK_FAILED(status)) {
        return raise_os_error(ctx, &status);
    }
    return to_bytes(py, data, length);
}

static fk_status open_pyz(struct fk_context *ctx)
{
    size_t i;
    fk_status status = fk_ok();
    if (ctx->pyz_opened) {
        return status;
    }
    for (i = 0; i < ctx->archive.count; i++) {
        if (ctx->archive.entries[i].kind == FK_KIND_PYZ) {
            status = fk_pyz_open(&ctx->pyz, &ctx->archive, &ctx->archive.entries[i]);
            break;
        }
    }
    ctx->pyz_opened = !FK_FAILED(status);
    return status;
}

static PyObject *fk_method_pyz_index(PyObject *self, PyObject *unused)
{
    struct fk_context *ctx = context_of(self);
    struct fk_python *py = ctx->python;
    PyObject *index;
    size_t i;
    fk_status status = open_pyz(ctx);
    (void)unused;
    if (FK_FAILED(status)) {
        return raise_os_error(ctx, &status);
    }
    index = py->PyDict_New();
    for (i = 0; index != NULL && i < ctx->pyz.count; i++) {
        const struct fk_pyz_entry *entry = &ctx->pyz.entries[i];
        PyObject *value = py->Py_BuildValue("(Nn)", py->PyBool_FromLong(entry->is_package),
                                            (Py_ssize_t)i);
        if (value == NULL || py->PyDict_SetItemString(index, entry->name, value) != 0) {
            py->Py_DecRef(value);
            py->Py_DecRef(index);
            return NULL;
        }
        py->Py_DecRef(value);
    }
    return index;
}

static PyObject *fk_method_pyz_read(PyObject *self, PyObject *token)
{
    struct fk_context *ctx = context_of(self);
    struct fk_python *py = ctx->python;
    unsigned char *data = NULL;
    size_t length = 0;
    fk_status status;
    Py_ssize_t index = py->PyLong_AsSsize_t(token);
    if (index == -1 && py->PyErr_Occurred()) {
        return NULL;
    }
    status = open_pyz(ctx);
    if (FK_FAILED(status)) {
        return raise_os_error(ctx, &status);
    }
    if (index < 0 || (size_t)index >= ctx->pyz.count) {
        py->PyErr_SetObject(*py->PyExc_KeyError, token);
        return NULL;
    }
    status = fk_pyz_read(&ctx->pyz, (size_t)index, &data, &length);
    if (FK_FAILED(status)) {
        return raise_os_error(ctx, &status);
    }
    return to_bytes(py, data, length);
}

/* onefile temp mode: the lazy table's data (bytes), else None (everything is on disk). */
static PyObject *fk_method_lazy_table(PyObject *self, PyObject *unused)
{
    struct fk_context *ctx = context_of(self);
    struct fk_python *py = ctx->python;
    size_t i;
    (void)unused;
    for (i = 0; ctx->onefile && !ctx->extract_cache && i < ctx->archive.count; i++) {
        const struct fk_entry *entry = &ctx->archive.entries[i];
        if (entry->kind == FK_KIND_LAZY) {
            unsigned char *data = NULL;
            size_t length = 0;
            fk_status status = fk_archive_read(&ctx->archive, entry, &data, &length);
            if (FK_FAILED(status)) {
                return raise_os_error(ctx, &status);
            }
            return to_bytes(py, data, length);
        }
    }
    return py->Py_BuildValue("");
}

/* unpack("file\tfile..."): unpacks those entries into the top directory unless present. */
static PyObject *fk_method_unpack(PyObject *self, PyObject *names)
{
    struct fk_context *ctx = context_of(self);
    struct fk_python *py = ctx->python;
    const char *text = py->PyUnicode_AsUTF8(names);
    const char **list;
    char *copy;
    size_t count = 1, i, length;
    fk_status status;
    if (text == NULL) {
        return NULL;
    }
    length = strlen(text);
    for (i = 0; i < length; i++) {
        count += text[i] == '\t';
    }
    copy = malloc(length + 1);
    list = malloc(count * sizeof *list);
    if (copy == NULL || list == NULL) {
        free(copy);
        free((void *)list);
        status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory");
        return raise_os_error(ctx, &status);
    }
    memcpy(copy, text, length + 1);
    list[0] = copy;
    count = 1;
    for (i = 0; i < length; i++) {
        if (copy[i] == '\t') {
            copy[i] = '\0';
            list[count++] = copy + i + 1;
        }
    }
    if (fk_prefetch_active(ctx->prefetch)) {
        /* other Python threads run meanwhile; the prefetch sorts out who unpacks what */
        PyThreadState *saved = py->PyEval_SaveThread();
        status = fk_prefetch_unpack(ctx->prefetch, list, count);
        py->PyEval_RestoreThread(saved);
    } else { /* a forked child, whose copy of the prefetch has no thread */
        status = fk_extract_entries(&ctx->archive, ctx->top_dir, list, count);
    }
    free(copy);
    free((void *)list);
    if (FK_FAILED(status)) {
        return raise_os_error(ctx, &status);
    }
    return py->Py_BuildValue("");
}

/* prefetch_state(): [(file, state), ...] of the start-up set in the order it is unpacked
 * (extract.h, fk_prefetch_describe), or None without one (not onefile temp mode). */
static PyObject *fk_method_prefetch_state(PyObject *self, PyObject *unused)
{
    struct fk_context *ctx = context_of(self);
    struct fk_python *py = ctx->python;
    PyObject *list;
    size_t i, count;
    (void)unused;
    if (!fk_prefetch_active(ctx->prefetch)) {
        return py->Py_BuildValue("");
    }
    count = fk_prefetch_count(ctx->prefetch);
    list = py->PyList_New(0);
    for (i = 0; list != NULL && i < count; i++) {
        const char *state;
        const char *name = fk_prefetch_describe(ctx->prefetch, i, &state);
        if (!append_pair(py, list, name, state)) {
            return NULL;
        }
    }
    return list;
}

/* Static because PyCMethod_New keeps a pointer to each definition; never written. */
static PyMethodDef fk_methods[] = {
    {"toc", fk_method_toc, METH_NOARGS, "list of (name, kind) of every TOC entry"},
    {"read", fk_method_read, METH_O, "the decompressed data of the TOC entry `name`"},
    {"pyz_index", fk_method_pyz_index, METH_NOARGS, "module name -> (is_package, token)"},
    {"pyz_read", fk_method_pyz_read, METH_O, "the marshalled code of the module `token`"},
    {"lazy_table", fk_method_lazy_table, METH_NOARGS, "the lazy table (bytes), or None"},
    {"unpack", fk_method_unpack, METH_O, "unpack the tab-separated entries if missing"},
    {"prefetch_state", fk_method_prefetch_state, METH_NOARGS,
     "[(file, state)] of the files unpacked while the app starts, or None"},
    {NULL, NULL, 0, NULL},
};

static PyObject *options_tuple(struct fk_context *ctx)
{
    struct fk_python *py = ctx->python;
    PyObject *tuple;
    Py_ssize_t count = 0;
    size_t i;
    for (i = 0; i < ctx->archive.count; i++) {
        count += ctx->archive.entries[i].kind == FK_KIND_OPTION;
    }
    tuple = py->PyTuple_New(count);
    count = 0;
    for (i = 0; tuple != NULL && i < ctx->archive.count; i++) {
        PyObject *name;
        if (ctx->archive.entries[i].kind != FK_KIND_OPTION) {
            continue;
        }
        name = py->PyUnicode_FromString(ctx->archive.entries[i].name);
        if (name == NULL || py->PyTuple_SetItem(tuple, count++, name) != 0) {
            py->Py_DecRef(tuple);
            return NULL;
        }
    }
    return tuple;
}

/* Sets module.<name> = value, consuming the reference to value. */
static int set_attribute(struct fk_python *py, PyObject *module, const char *name,
                         PyObject *value)
{
    int result = value != NULL ? py->PyObject_SetAttrString(module, name, value) : -1;
    py->Py_DecRef(value);
    return result == 0;
}

fk_status fk_pylib_populate_module(struct fk_context *ctx)
{
    struct fk_python *py = ctx->python;
    PyObject *self = &py->self.base;
    PyObject *module = py->PyImport_ImportModule("_freezekit");
    const char *extract = !ctx->onefile ? NULL : ctx->extract_cache ? "cache" : "temp";
    size_t i;
    int ok;
    if (module == NULL) {
        py->PyErr_Print();
        return fk_fail(FK_E_PYTHON, 0, "cannot import the built-in module _freezekit");
    }
    ok = set_attribute(py, module, "executable", py->PyUnicode_DecodeFSDefault(ctx->exe)) &&
         set_attribute(py, module, "top_dir", py->PyUnicode_DecodeFSDefault(ctx->top_dir)) &&
         set_attribute(py, module, "mode",
                       py->PyUnicode_FromString(ctx->onefile ? "onefile" : "onedir")) &&
         set_attribute(py, module, "extract",
                       extract ? py->PyUnicode_FromString(extract) : py->Py_BuildValue("")) &&
         set_attribute(py, module, "windowed", py->PyBool_FromLong(ctx->windowed)) &&
         set_attribute(py, module, "content_id",
                       py->PyUnicode_FromString(ctx->archive.content_hex)) &&
         set_attribute(py, module, "options", options_tuple(ctx));
    for (i = 0; ok && fk_methods[i].ml_name != NULL; i++) {
        ok = set_attribute(py, module, fk_methods[i].ml_name,
                           py->PyCMethod_New(&fk_methods[i], self, NULL, NULL));
    }
    py->Py_DecRef(module);
    if (!ok) {
        py->PyErr_Print();
        return fk_fail(FK_E_PYTHON, 0, "cannot fill in the built-in module _freezekit");
    }
    return fk_ok();
}
