/* Windows implementation of platform.h: a first stub. It compiles (mingw-w64) and implements
 * file access, paths, environment and library loading; onefile extraction helpers that need
 * more Win32 work (locks, temp folders, child processes) report "not supported yet". */
#include "platform.h"

#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FK_PYTHON_DLL_NAME
#define FK_PYTHON_DLL_NAME "python3.dll" /* CMake defines python3XY.dll from patchlevel.h */
#endif

static fk_status not_supported(const char *what)
{
    return fk_fail(FK_E_ENV, 0, "%s is not supported on Windows yet; build the app in onedir "
                   "mode", what);
}

fk_status fk_platform_reserve_stdio(void)
{
    return fk_ok(); /* the Windows CRT gives closed standard handles invalid descriptors */
}

fk_status fk_platform_executable_path(char *out, size_t size)
{
    wchar_t wide[FK_PATH_MAX];
    DWORD length = GetModuleFileNameW(NULL, wide, FK_PATH_MAX);
    char *cursor;
    if (length == 0 || length >= FK_PATH_MAX) {
        return fk_fail(FK_E_IO, (int)GetLastError(), "cannot find the path of the executable");
    }
    if (WideCharToMultiByte(CP_UTF8, 0, wide, -1, out, (int)size, NULL, NULL) == 0) {
        return fk_fail(FK_E_IO, (int)GetLastError(), "the path of the executable is too long");
    }
    for (cursor = out; *cursor != '\0'; cursor++) {
        if (*cursor == '\\') {
            *cursor = '/';
        }
    }
    return fk_ok();
}

fk_status fk_path_join(char *out, size_t size, const char *left, const char *right)
{
    int written = snprintf(out, size, "%s/%s", left, right);
    if (written < 0 || (size_t)written >= size) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s/%s is too long", left, right);
    }
    return fk_ok();
}

fk_status fk_path_dirname(char *out, size_t size, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t length = slash ? (size_t)(slash - path) : 1;
    if (length >= size) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s is too long", path);
    }
    memcpy(out, slash ? path : ".", length);
    out[length] = '\0';
    return fk_ok();
}

const char *fk_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int fk_path_exists(const char *path)
{
    return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

int fk_path_is_dir(const char *path)
{
    DWORD attributes = GetFileAttributesA(path);
    return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY);
}

fk_status fk_platform_open_read(const char *path, fk_handle *file, uint64_t *size)
{
    LARGE_INTEGER length;
    HANDLE handle = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                                FILE_ATTRIBUTE_NORMAL, NULL);
    if (handle == INVALID_HANDLE_VALUE) {
        return fk_fail(FK_E_IO, (int)GetLastError(), "cannot open %s for reading", path);
    }
    if (!GetFileSizeEx(handle, &length)) {
        CloseHandle(handle);
        return fk_fail(FK_E_IO, (int)GetLastError(), "cannot get the size of %s", path);
    }
    *file = (fk_handle)handle;
    *size = (uint64_t)length.QuadPart;
    return fk_ok();
}

fk_status fk_platform_read_at(fk_handle file, const char *path, uint64_t offset, void *buffer,
                              size_t length)
{
    unsigned char *cursor = buffer;
    while (length > 0) {
        OVERLAPPED position;
        DWORD got = 0;
        DWORD chunk = length > 0x40000000u ? 0x40000000u : (DWORD)length;
        memset(&position, 0, sizeof position);
        position.Offset = (DWORD)(offset & 0xffffffffu);
        position.OffsetHigh = (DWORD)(offset >> 32);
        if (!ReadFile((HANDLE)file, cursor, chunk, &got, &position)) {
            return fk_fail(FK_E_IO, (int)GetLastError(), "cannot read %s at offset %llu", path,
                           (unsigned long long)offset);
        }
        if (got == 0) {
            return fk_fail(FK_E_ARCHIVE, 0, "archive truncated at offset %llu; the file is "
                           "incomplete, rebuild or recopy it", (unsigned long long)offset);
        }
        cursor += got;
        offset += got;
        length -= got;
    }
    return fk_ok();
}

void fk_platform_close(fk_handle file)
{
    if (file != FK_NO_HANDLE) {
        CloseHandle((HANDLE)file);
    }
}

fk_status fk_platform_write_file(const char *path, const void *data, size_t length,
                                 unsigned mode)
{
    (void)path;
    (void)data;
    (void)length;
    (void)mode;
    return not_supported("onefile extraction");
}

fk_status fk_platform_symlink(const char *target, const char *path)
{
    (void)target;
    (void)path;
    return not_supported("extracting symbolic links");
}

fk_status fk_platform_make_dirs(const char *base, const char *relative)
{
    (void)base;
    (void)relative;
    return not_supported("onefile extraction");
}

fk_status fk_platform_make_private_dir(const char *path)
{
    (void)path;
    return not_supported("onefile extraction");
}

fk_status fk_platform_make_temp_dir(char *out, size_t size, const char *parent,
                                    const char *prefix)
{
    (void)out;
    (void)size;
    (void)parent;
    (void)prefix;
    return not_supported("onefile extraction");
}

int fk_platform_remove_tree(const char *path)
{
    (void)path;
    return -1;
}

fk_status fk_platform_rename_dir(const char *from, const char *to, int *lost)
{
    (void)from;
    (void)to;
    *lost = 0;
    return not_supported("onefile cache mode");
}

fk_status fk_platform_check_private_dir(const char *path, const char *fix)
{
    (void)path;
    (void)fix;
    return fk_ok();
}

fk_status fk_platform_check_exec_allowed(const char *path, const char *fix)
{
    (void)path;
    (void)fix;
    return fk_ok();
}

fk_status fk_platform_lock_dir(const char *path, int shared, int wait, fk_handle *lock,
                               int *busy)
{
    (void)path;
    (void)shared;
    (void)wait;
    *lock = FK_NO_HANDLE;
    *busy = 0;
    return fk_ok(); /* no directory locks yet: onedir needs none */
}

void fk_platform_unlock(fk_handle lock)
{
    (void)lock;
}

void fk_platform_list_dir(const char *path, fk_dir_visitor visit, void *user)
{
    (void)path;
    (void)visit;
    (void)user;
}

int fk_platform_is_own_dir(const char *path)
{
    (void)path;
    return 0;
}

const char *fk_platform_getenv(const char *name)
{
    return getenv(name);
}

fk_status fk_platform_setenv(const char *name, const char *value)
{
    if (!SetEnvironmentVariableA(name, value) || _putenv_s(name, value) != 0) {
        return fk_fail(FK_E_MEMORY, (int)GetLastError(), "cannot set environment variable %s",
                       name);
    }
    return fk_ok();
}

void fk_platform_unsetenv(const char *name)
{
    SetEnvironmentVariableA(name, NULL);
    _putenv_s(name, "");
}

fk_status fk_platform_home_dir(char *out, size_t size)
{
    const char *home = getenv("LOCALAPPDATA");
    int written;
    if (home == NULL) {
        return fk_fail(FK_E_ENV, 0, "LOCALAPPDATA is not set; set it or XDG_CACHE_HOME");
    }
    written = snprintf(out, size, "%s", home);
    if (written < 0 || (size_t)written >= size) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "LOCALAPPDATA is too long");
    }
    return fk_ok();
}

fk_status fk_platform_run_child(const char *exe, char **argv, int *exit_code)
{
    (void)exe;
    (void)argv;
    *exit_code = 1;
    return not_supported("onefile temp mode");
}

fk_status fk_platform_load_library(const char *path, void **library)
{
    HMODULE module = LoadLibraryExA(path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (module == NULL) {
        return fk_fail(FK_E_PYTHON, (int)GetLastError(), "cannot load %s (error %lu); the "
                       "bundle is incomplete or was built for another system, rebuild it", path,
                       (unsigned long)GetLastError());
    }
    *library = (void *)module;
    return fk_ok();
}

static HMODULE python_module(void *library)
{
    /* NULL means "the already loaded libpython": the first python3X.dll in this process. */
    if (library != NULL) {
        return (HMODULE)library;
    }
    return GetModuleHandleA(FK_PYTHON_DLL_NAME);
}

int fk_platform_symbol(void *library, const char *name, void (**function)(void))
{
    FARPROC address = GetProcAddress(python_module(library), name);
    memcpy(function, &address, sizeof *function);
    return address != NULL;
}

int fk_platform_data_symbol(void *library, const char *name, void **data)
{
    FARPROC address = GetProcAddress(python_module(library), name);
    memcpy(data, &address, sizeof *data);
    return address != NULL;
}

void fk_platform_run_parallel(unsigned count, void (*work)(void *user), void **users)
{
    unsigned k;
    for (k = 0; k < count; k++) { /* sequential on Windows for now */
        work(users[k]);
    }
}

unsigned fk_platform_cpu_count(void)
{
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return info.dwNumberOfProcessors > 0 ? (unsigned)info.dwNumberOfProcessors : 1u;
}
