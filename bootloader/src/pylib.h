/* libpython, loaded with dlopen from the top directory; every C API function is bound with
 * dlsym. Python.h is included for types and struct layouts only (never link libpython; never
 * use macros such as Py_DECREF that reference its symbols: call Py_DecRef through the table). */
#ifndef FK_PYLIB_H
#define FK_PYLIB_H

#include <Python.h>
#include <marshal.h>

#include "context.h"
#include "status.h"

/* (return type, name, parameters) of every function the bootloader calls. */
#define FK_PYTHON_FUNCTIONS(X)                                                                 \
    X(void, PyPreConfig_InitPythonConfig, (PyPreConfig *))                                     \
    X(PyStatus, Py_PreInitialize, (const PyPreConfig *))                                       \
    X(void, PyConfig_InitIsolatedConfig, (PyConfig *))                                         \
    X(PyStatus, PyConfig_SetBytesArgv, (PyConfig *, Py_ssize_t, char *const *))                \
    X(PyStatus, PyConfig_SetBytesString, (PyConfig *, wchar_t **, const char *))               \
    X(PyStatus, PyWideStringList_Append, (PyWideStringList *, const wchar_t *))                \
    X(PyStatus, Py_InitializeFromConfig, (const PyConfig *))                                   \
    X(void, PyConfig_Clear, (PyConfig *))                                                      \
    X(int, PyStatus_Exception, (PyStatus))                                                     \
    X(int, PyStatus_IsExit, (PyStatus))                                                        \
    X(wchar_t *, Py_DecodeLocale, (const char *, size_t *))                                    \
    X(void, PyMem_RawFree, (void *))                                                           \
    X(int, PyImport_AppendInittab, (const char *, PyObject *(*)(void)))                        \
    X(PyObject *, PyImport_ImportModule, (const char *))                                       \
    X(PyObject *, PyImport_AddModule, (const char *))                                          \
    X(PyObject *, PyModule_GetDict, (PyObject *))                                              \
    X(int, PyObject_SetAttrString, (PyObject *, const char *, PyObject *))                     \
    X(PyObject *, PyUnicode_DecodeFSDefault, (const char *))                                   \
    X(PyObject *, PyUnicode_FromString, (const char *))                                        \
    X(const char *, PyUnicode_AsUTF8, (PyObject *))                                            \
    X(PyObject *, PyBytes_FromStringAndSize, (const char *, Py_ssize_t))                       \
    X(PyObject *, PyBool_FromLong, (long))                                                     \
    X(PyObject *, PyLong_FromSsize_t, (Py_ssize_t))                                            \
    X(Py_ssize_t, PyLong_AsSsize_t, (PyObject *))                                              \
    X(PyObject *, PyTuple_New, (Py_ssize_t))                                                   \
    X(int, PyTuple_SetItem, (PyObject *, Py_ssize_t, PyObject *))                              \
    X(PyObject *, PyList_New, (Py_ssize_t))                                                    \
    X(int, PyList_Append, (PyObject *, PyObject *))                                            \
    X(PyObject *, PyDict_New, (void))                                                          \
    X(int, PyDict_SetItem, (PyObject *, PyObject *, PyObject *))                               \
    X(int, PyDict_SetItemString, (PyObject *, const char *, PyObject *))                       \
    X(PyObject *, PyCMethod_New, (PyMethodDef *, PyObject *, PyObject *, PyTypeObject *))      \
    X(PyObject *, PyMarshal_ReadObjectFromString, (const char *, Py_ssize_t))                  \
    X(PyObject *, PyEval_EvalCode, (PyObject *, PyObject *, PyObject *))                       \
    X(PyObject *, PyErr_Occurred, (void))                                                      \
    X(int, PyErr_ExceptionMatches, (PyObject *))                                               \
    X(void, PyErr_Print, (void))                                                               \
    X(void, PyErr_Clear, (void))                                                               \
    X(void, PyErr_SetString, (PyObject *, const char *))                                       \
    X(void, PyErr_SetObject, (PyObject *, PyObject *))                                         \
    X(PyObject *, Py_BuildValue, (const char *, ...))                                          \
    X(void, Py_IncRef, (PyObject *))                                                           \
    X(void, Py_DecRef, (PyObject *))                                                           \
    X(PyThreadState *, PyEval_SaveThread, (void))                                              \
    X(void, PyEval_RestoreThread, (PyThreadState *))                                           \
    X(int, Py_FinalizeEx, (void))

/* Data symbols (exception types are `PyObject *` variables in libpython). */
#define FK_PYTHON_DATA(X)                                                                      \
    X(PyObject *, PyExc_SystemExit)                                                            \
    X(PyObject *, PyExc_KeyboardInterrupt)                                                     \
    X(PyObject *, PyExc_OSError)                                                               \
    X(PyObject *, PyExc_KeyError)                                                              \
    X(PyObject *, PyExc_TypeError)                                                             \
    X(PyTypeObject, PyBaseObject_Type)

/* The `self` of the _freezekit functions: a never-freed object that carries the context, so
 * the functions need no global to find it. */
struct fk_module_self {
    PyObject base;
    struct fk_context *ctx;
};

struct fk_python {
    void *library;
#define FK_DECLARE_FUNCTION(ret, name, params) ret(*name) params;
    FK_PYTHON_FUNCTIONS(FK_DECLARE_FUNCTION)
#undef FK_DECLARE_FUNCTION
#define FK_DECLARE_DATA(type, name) type *name;
    FK_PYTHON_DATA(FK_DECLARE_DATA)
#undef FK_DECLARE_DATA
    struct fk_module_self self;
};

/* dlopen <top>/<libpython>, bind the API; ctx->python is set on success. */
fk_status fk_pylib_load(struct fk_context *ctx);
/* Register _freezekit, build the isolated PyConfig and initialise the interpreter. On an
 * "exit" status of the interpreter *exit_code is set and *exited is 1. */
fk_status fk_pylib_initialize(struct fk_context *ctx, int *exited, int *exit_code);
/* Fill in the _freezekit module's attributes and functions (after initialisation). */
fk_status fk_pylib_populate_module(struct fk_context *ctx);
void fk_pylib_unload(struct fk_context *ctx);

#endif /* FK_PYLIB_H */
