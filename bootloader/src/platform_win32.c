/* Windows implementation of platform.h (mingw-w64 and MSVC).
 *
 * Strings inside the bootloader are UTF-8 with '\' separators (FK_SEP; main.c converts the
 * wide command line, fk_platform_getenv_path the wide environment); every Win32 call here
 * takes the wide form. A string that is not valid UTF-8 came from the CRT's ANSI environment
 * (getenv) and is converted from the ANSI code page. File system calls get paths of
 * FK_LONG_PATH characters and more in the \\?\ form, which has no MAX_PATH (260) limit.
 *
 * Directory locks: a shared lock is an open handle on the folder with read access that
 * shares read, write and delete; an exclusive lock (the sweeper's) shares only delete, so it
 * cannot be taken while any shared handle is open and blocks new ones while held. Either
 * kind lets the folder be removed; it disappears when the last handle closes. */
#ifndef _CRT_RAND_S
#define _CRT_RAND_S /* rand_s() in stdlib.h */
#endif
#include "platform.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FK_PYTHON_DLL_NAME
#define FK_PYTHON_DLL_NAME "python3.dll" /* CMake defines python3XY.dll from patchlevel.h */
#endif
#ifndef SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
#define SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE 0x2
#endif

#define FK_WIDE_MAX FK_PATH_MAX
/* CreateDirectoryW allows MAX_PATH - 12 characters (room for an 8.3 file name); from here on
 * paths get the \\?\ prefix. */
#define FK_LONG_PATH (MAX_PATH - 12)
#ifndef STATUS_CONTROL_C_EXIT
#define STATUS_CONTROL_C_EXIT 0xC000013AL
#endif
#define FK_STARTF_HASSHELLDATA 0x400 /* STARTF_HASSHELLDATA, missing from older headers */

/* UTF-8 (else ANSI) to UTF-16; 0 when it does not fit. */
static int to_wide(const char *text, wchar_t *out, int size)
{
    int length = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, out, size);
    if (length == 0 && GetLastError() == ERROR_NO_UNICODE_TRANSLATION) {
        length = MultiByteToWideChar(CP_ACP, 0, text, -1, out, size);
    }
    return length > 0;
}

static int to_utf8(const wchar_t *text, char *out, int size)
{
    return WideCharToMultiByte(CP_UTF8, 0, text, -1, out, size, NULL, NULL) > 0;
}

static void backslashes(wchar_t *path)
{
    for (; *path != 0; path++) {
        if (*path == L'/') {
            *path = L'\\';
        }
    }
}

/* A path for the file system calls: UTF-16 with backslashes and, when long, the \\?\ form of
 * its full path (\\?\C:\... or \\?\UNC\server\share\...); 0 when it does not fit. */
static int to_wide_path(const char *path, wchar_t *out, int size)
{
    wchar_t full[FK_WIDE_MAX];
    const wchar_t *prefix = L"\\\\?\\";
    const wchar_t *rest = full;
    DWORD length;
    if (!to_wide(path, out, size)) {
        return 0;
    }
    backslashes(out);
    if (wcslen(out) < FK_LONG_PATH || wcsncmp(out, L"\\\\?\\", 4) == 0 ||
        wcsncmp(out, L"\\\\.\\", 4) == 0) {
        return 1;
    }
    length = GetFullPathNameW(out, FK_WIDE_MAX, full, NULL); /* also drops "." and ".." */
    if (length == 0 || length >= FK_WIDE_MAX) {
        return 0;
    }
    if (full[0] == L'\\' && full[1] == L'\\') {
        prefix = L"\\\\?\\UNC\\"; /* \\server\share -> \\?\UNC\server\share */
        rest = full + 2;
    }
    if (wcslen(prefix) + wcslen(rest) + 1 > (size_t)size) {
        return 0;
    }
    wcscpy(out, prefix);
    wcscat(out, rest);
    return 1;
}

/* The system's text for a GetLastError() value, without the trailing line break. */
static const char *error_text(DWORD code, char *out, size_t size)
{
    DWORD length = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                  NULL, code, 0, out, (DWORD)size, NULL);
    while (length > 0 && (out[length - 1] == '\n' || out[length - 1] == '\r' ||
                          out[length - 1] == ' ' || out[length - 1] == '.')) {
        out[--length] = '\0';
    }
    if (length == 0) {
        snprintf(out, size, "error %lu", (unsigned long)code);
    }
    return out;
}

static fk_status too_long(const char *path)
{
    return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s is too long or not valid text; move the "
                   "program or its temp folder to a shorter path", path);
}

fk_status fk_platform_reserve_stdio(void)
{
    return fk_ok(); /* closed standard handles are invalid descriptors: Python gives None */
}

fk_status fk_platform_executable_path(char *out, size_t size)
{
    wchar_t wide[FK_WIDE_MAX];
    DWORD length = GetModuleFileNameW(NULL, wide, FK_WIDE_MAX);
    char reason[256];
    if (length == 0 || length >= FK_WIDE_MAX) {
        DWORD code = length == 0 ? GetLastError() : ERROR_INSUFFICIENT_BUFFER;
        return fk_fail(FK_E_IO, (int)code, "cannot find the path of the executable: %s; move "
                       "it to a shorter path", error_text(code, reason, sizeof reason));
    }
    if (!to_utf8(wide, out, (int)size)) {
        return fk_fail(FK_E_IO, (int)GetLastError(), "the path of the executable is too long; "
                       "move it to a shorter path");
    }
    return fk_ok(); /* already with backslashes */
}

fk_status fk_path_dirname(char *out, size_t size, const char *path)
{
    size_t length = (size_t)(fk_path_basename(path) - path);
    size_t root = 0;
    if (length == 0) {
        path = ".";
        length = 1;
    } else {
        length--; /* without the separator */
        if (length == 0 || (fk_path_is_absolute(path, &root) && length <= root)) {
            length++; /* "\x" -> "\", "C:\x" -> "C:\", "\\server\share\x" -> ...share\ */
        }
    }
    if (length >= size) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s is too long", path);
    }
    memcpy(out, path, length);
    out[length] = '\0';
    return fk_ok();
}

static DWORD attributes_of(const char *path)
{
    wchar_t wide[FK_WIDE_MAX];
    return to_wide_path(path, wide, FK_WIDE_MAX) ? GetFileAttributesW(wide)
                                                  : INVALID_FILE_ATTRIBUTES;
}

int fk_path_exists(const char *path)
{
    return attributes_of(path) != INVALID_FILE_ATTRIBUTES;
}

int fk_path_is_dir(const char *path)
{
    DWORD attributes = attributes_of(path);
    return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY);
}

fk_status fk_platform_open_read(const char *path, fk_handle *file, uint64_t *size)
{
    wchar_t wide[FK_WIDE_MAX];
    LARGE_INTEGER length;
    HANDLE handle;
    char reason[256];
    if (!to_wide_path(path, wide, FK_WIDE_MAX)) {
        return too_long(path);
    }
    handle = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (handle == INVALID_HANDLE_VALUE) {
        DWORD code = GetLastError();
        return fk_fail(FK_E_IO, (int)code, "cannot open %s for reading: %s; check that it "
                       "exists and is readable", path, error_text(code, reason, sizeof reason));
    }
    if (!GetFileSizeEx(handle, &length)) {
        DWORD code = GetLastError();
        CloseHandle(handle);
        return fk_fail(FK_E_IO, (int)code, "cannot get the size of %s: %s", path,
                       error_text(code, reason, sizeof reason));
    }
    *file = (fk_handle)handle;
    *size = (uint64_t)length.QuadPart;
    return fk_ok();
}

fk_status fk_platform_read_at(fk_handle file, const char *path, uint64_t offset, void *buffer,
                              size_t length)
{
    unsigned char *cursor = buffer;
    char reason[256];
    while (length > 0) {
        OVERLAPPED position;
        DWORD got = 0;
        DWORD chunk = length > 0x40000000u ? 0x40000000u : (DWORD)length;
        memset(&position, 0, sizeof position);
        position.Offset = (DWORD)(offset & 0xffffffffu);
        position.OffsetHigh = (DWORD)(offset >> 32);
        if (!ReadFile((HANDLE)file, cursor, chunk, &got, &position)) {
            DWORD code = GetLastError();
            if (code == ERROR_HANDLE_EOF) {
                got = 0;
            } else {
                return fk_fail(FK_E_IO, (int)code, "cannot read %s at offset %llu: %s", path,
                               (unsigned long long)offset,
                               error_text(code, reason, sizeof reason));
            }
        }
        if (got == 0) {
            return fk_fail(FK_E_ARCHIVE, 0, "archive truncated at offset %llu"
                           FK_DAMAGED, (unsigned long long)offset);
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

static fk_status write_error(const char *path, DWORD code)
{
    char reason[256];
    const char *fix = (code == ERROR_DISK_FULL || code == ERROR_HANDLE_DISK_FULL)
                          ? "free some disk space, or point TMPDIR (temp mode) or "
                            "XDG_CACHE_HOME (cache mode) to a folder with room"
                          : "check the permissions and free space of the folder";
    return fk_fail(FK_E_IO, (int)code, "cannot write %s: %s; %s", path,
                   error_text(code, reason, sizeof reason), fix);
}

void fk_platform_file_info(const char *path, struct fk_file_info *info)
{
    wchar_t wide[FK_WIDE_MAX];
    WIN32_FILE_ATTRIBUTE_DATA data;
    memset(info, 0, sizeof *info);
    if (!to_wide_path(path, wide, FK_WIDE_MAX) ||
        !GetFileAttributesExW(wide, GetFileExInfoStandard, &data)) {
        info->kind = FK_FILE_MISSING;
        return;
    }
    info->kind = (data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)  ? FK_FILE_LINK
                 : (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? FK_FILE_DIR
                                                                       : FK_FILE_REGULAR;
    info->size = ((uint64_t)data.nFileSizeHigh << 32) | data.nFileSizeLow;
    /* 100 ns units since 1601; only compared with each other */
    info->changed = (int64_t)((((uint64_t)data.ftLastWriteTime.dwHighDateTime << 32) |
                               data.ftLastWriteTime.dwLowDateTime) * 100u);
}

int fk_platform_map(fk_handle file, uint64_t size, const unsigned char **data)
{
    (void)file; /* not mapped here: fk_archive_verify reads the file in blocks instead */
    (void)size;
    (void)data;
    return 0;
}

void fk_platform_unmap(const unsigned char *data, uint64_t size)
{
    (void)data;
    (void)size;
}

void *fk_platform_alloc_pages(size_t size)
{
    return size > 0 ? malloc(size) : NULL;
}

void fk_platform_free_pages(void *data, size_t size)
{
    (void)size;
    free(data);
}

void fk_platform_release_mapped(const unsigned char *data, size_t size)
{
    (void)data; /* fk_platform_map maps nothing here */
    (void)size;
}

fk_status fk_platform_create_file(const char *path, fk_handle *file)
{
    wchar_t wide[FK_WIDE_MAX];
    HANDLE handle;
    *file = FK_NO_HANDLE;
    if (!to_wide_path(path, wide, FK_WIDE_MAX)) {
        return too_long(path);
    }
    handle = CreateFileW(wide, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    if (handle == INVALID_HANDLE_VALUE) {
        return write_error(path, GetLastError());
    }
    *file = (fk_handle)handle;
    return fk_ok();
}

fk_status fk_platform_append(fk_handle file, const char *path, const void *data, size_t length)
{
    const unsigned char *cursor = data;
    while (length > 0) {
        DWORD done = 0;
        DWORD chunk = length > 0x40000000u ? 0x40000000u : (DWORD)length;
        if (!WriteFile((HANDLE)file, cursor, chunk, &done, NULL) || done == 0) {
            DWORD code = GetLastError();
            return write_error(path, code != 0 ? code : ERROR_WRITE_FAULT);
        }
        cursor += done;
        length -= done;
    }
    return fk_ok();
}

fk_status fk_platform_write_at(fk_handle file, const char *path, uint64_t offset,
                               const void *data, size_t length)
{
    const unsigned char *cursor = data;
    while (length > 0) {
        OVERLAPPED at;
        DWORD done = 0;
        DWORD piece = length > 0x40000000u ? 0x40000000u : (DWORD)length;
        memset(&at, 0, sizeof at);
        at.Offset = (DWORD)(offset & 0xFFFFFFFFu);
        at.OffsetHigh = (DWORD)(offset >> 32);
        if (!WriteFile((HANDLE)file, cursor, piece, &done, &at) || done == 0) {
            return write_error(path, GetLastError());
        }
        cursor += done;
        offset += done;
        length -= done;
    }
    return fk_ok();
}

fk_status fk_platform_finish_file(fk_handle file, const char *path, unsigned mode, int failed)
{
    wchar_t wide[FK_WIDE_MAX];
    DWORD code = 0;
    (void)mode; /* Windows has no permission bits; the folder's ACL applies */
    if (!CloseHandle((HANDLE)file)) {
        code = GetLastError();
    }
    if ((failed || code != 0) && to_wide_path(path, wide, FK_WIDE_MAX)) {
        DeleteFileW(wide);
    }
    return code != 0 ? write_error(path, code) : fk_ok();
}

fk_status fk_platform_symlink(const char *target, const char *path)
{
    wchar_t wide_target[FK_WIDE_MAX];
    wchar_t wide_path[FK_WIDE_MAX];
    char reason[256];
    if (!to_wide(target, wide_target, FK_WIDE_MAX) ||
        !to_wide_path(path, wide_path, FK_WIDE_MAX)) {
        return too_long(path);
    }
    backslashes(wide_target); /* link targets are not normalised by the system */
    if (!CreateSymbolicLinkW(wide_path, wide_target,
                             SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE)) {
        DWORD code = GetLastError();
        return fk_fail(FK_E_IO, (int)code, "cannot create symbolic link %s -> %s: %s; turn on "
                       "Windows developer mode (or run as administrator), or build the app in "
                       "onedir mode", path, target, error_text(code, reason, sizeof reason));
    }
    return fk_ok();
}

/* Makes the missing parent folders of `relative` below `base` and checks that each one is a
 * plain folder, not a reparse point (symbolic link, junction), so that the file created next
 * cannot land outside `base`; `path` gets base\relative. */
static fk_status parents_beneath(const char *base, const char *relative, char *path,
                                 size_t size)
{
    size_t i;
    fk_status status = fk_path_join(path, size, base, relative);
    for (i = strlen(base) + 1; !FK_FAILED(status) && path[i] != '\0'; i++) {
        DWORD attributes;
        if (path[i] != '\\') {
            continue;
        }
        path[i] = '\0';
        status = fk_platform_make_private_dir(path);
        attributes = attributes_of(path);
        if (!FK_FAILED(status) && (attributes == INVALID_FILE_ATTRIBUTES ||
                                   !(attributes & FILE_ATTRIBUTE_DIRECTORY) ||
                                   (attributes & FILE_ATTRIBUTE_REPARSE_POINT))) {
            status = fk_fail(FK_E_ARCHIVE, 0, "entry %s passes through a link or a file (%s), "
                             "which would write outside the folder" FK_DAMAGED, relative, path);
        }
        path[i] = '\\';
    }
    return status;
}

fk_status fk_platform_create_beneath(const char *base, const char *relative, fk_handle *file)
{
    char path[FK_PATH_MAX];
    wchar_t wide[FK_WIDE_MAX];
    HANDLE handle;
    fk_status status = parents_beneath(base, relative, path, sizeof path);
    *file = FK_NO_HANDLE;
    if (FK_FAILED(status)) {
        return status;
    }
    if (!to_wide_path(path, wide, FK_WIDE_MAX)) {
        return too_long(path);
    }
    /* CREATE_NEW never opens an existing name; the flag keeps a reparse point unfollowed */
    handle = CreateFileW(wide, GENERIC_WRITE, 0, NULL, CREATE_NEW,
                         FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    if (handle == INVALID_HANDLE_VALUE) {
        return write_error(path, GetLastError());
    }
    *file = (fk_handle)handle;
    return fk_ok();
}

fk_status fk_platform_symlink_beneath(const char *target, const char *base,
                                      const char *relative)
{
    char path[FK_PATH_MAX];
    fk_status status = parents_beneath(base, relative, path, sizeof path);
    return FK_FAILED(status) ? status : fk_platform_symlink(target, path);
}

fk_status fk_platform_make_private_dir(const char *path)
{
    wchar_t wide[FK_WIDE_MAX];
    char reason[256];
    if (!to_wide_path(path, wide, FK_WIDE_MAX)) {
        return too_long(path);
    }
    if (!CreateDirectoryW(wide, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
        DWORD code = GetLastError();
        return fk_fail(FK_E_IO, (int)code, "cannot create folder %s: %s; check the "
                       "permissions of its parent", path, error_text(code, reason, sizeof reason));
    }
    return fk_ok();
}

fk_status fk_platform_make_temp_dir(char *out, size_t size, const char *parent,
                                    const char *prefix)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char reason[256];
    int attempt;
    for (attempt = 0; attempt < 100; attempt++) {
        wchar_t wide[FK_WIDE_MAX];
        unsigned int random = 0;
        char name[64];
        char suffix[7];
        int k;
        int written;
        fk_status status;
        if (rand_s(&random) != 0) {
            random = (unsigned int)(GetTickCount() * 2654435761u) ^ GetCurrentProcessId();
        }
        for (k = 0; k < 6; k++) {
            suffix[k] = digits[random % 36u];
            random /= 36u;
        }
        suffix[6] = '\0';
        written = snprintf(name, sizeof name, "%s%s", prefix, suffix);
        status = written < 0 || (size_t)written >= sizeof name
                     ? fk_fail(FK_E_ENV, ENAMETOOLONG, "folder name %s is too long", prefix)
                     : fk_path_join(out, size, parent, name);
        if (FK_FAILED(status) || !to_wide_path(out, wide, FK_WIDE_MAX)) {
            return fk_fail(FK_E_ENV, ENAMETOOLONG, "temp folder path %s is too long; set "
                           "TMPDIR to a shorter path", parent);
        }
        if (CreateDirectoryW(wide, NULL)) {
            return fk_ok();
        }
        if (GetLastError() != ERROR_ALREADY_EXISTS) {
            DWORD code = GetLastError();
            return fk_fail(FK_E_ENV, (int)code, "cannot create a folder in %s: %s; set TMPDIR "
                           "(or build with --runtime-tmpdir) to a writable folder", parent,
                           error_text(code, reason, sizeof reason));
        }
    }
    return fk_fail(FK_E_ENV, EEXIST, "cannot create a unique folder in %s; clean it up or set "
                   "TMPDIR to another folder", parent);
}

/* A DLL of a process that just ended can stay mapped (and virus scanners open new files) for
 * a moment: retry for up to a second before giving up (a later start sweeps what is left). */
static int delete_file(const wchar_t *path)
{
    int attempt;
    for (attempt = 0; attempt < 20; attempt++) {
        DWORD code;
        if (DeleteFileW(path)) {
            return 0;
        }
        code = GetLastError();
        if (code == ERROR_FILE_NOT_FOUND) {
            return 0;
        }
        if (code != ERROR_ACCESS_DENIED && code != ERROR_SHARING_VIOLATION) {
            return -1;
        }
        Sleep(50);
    }
    return -1;
}

int fk_platform_remove_tree(const char *path)
{
    wchar_t wide[FK_WIDE_MAX];
    DWORD attributes;
    if (!to_wide_path(path, wide, FK_WIDE_MAX)) {
        return -1;
    }
    attributes = GetFileAttributesW(wide);
    if (attributes == INVALID_FILE_ATTRIBUTES) {
        return GetLastError() == ERROR_FILE_NOT_FOUND ? 0 : -1;
    }
    if (attributes & FILE_ATTRIBUTE_READONLY) {
        SetFileAttributesW(wide, attributes & ~(DWORD)FILE_ATTRIBUTE_READONLY);
    }
    if ((attributes & FILE_ATTRIBUTE_DIRECTORY) && !(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
        int failures = fk_platform_remove_entries(path);
        return RemoveDirectoryW(wide) && failures == 0 ? 0 : -1;
    }
    if (attributes & FILE_ATTRIBUTE_DIRECTORY) {
        return RemoveDirectoryW(wide) ? 0 : -1; /* a link to a folder: not followed */
    }
    return delete_file(wide);
}

/* MoveFileExW without MOVEFILE_REPLACE_EXISTING (a file another process has loaded cannot be
 * replaced, and a folder never is): *lost when `to` appeared meanwhile; `is_file` removes
 * `from` after a failed move. */
static fk_status move_no_replace(const char *from, const char *to, int is_file, int *lost,
                                 const char *fix)
{
    wchar_t wide_from[FK_WIDE_MAX];
    wchar_t wide_to[FK_WIDE_MAX];
    char reason[256];
    DWORD error;
    *lost = 0;
    if (!to_wide_path(from, wide_from, FK_WIDE_MAX) || !to_wide_path(to, wide_to, FK_WIDE_MAX)) {
        return too_long(to);
    }
    if (MoveFileExW(wide_from, wide_to, 0)) {
        return fk_ok();
    }
    error = GetLastError(); /* before the checks below, which set their own */
    if (is_file) {
        DeleteFileW(wide_from);
    }
    if (error == ERROR_ALREADY_EXISTS || error == ERROR_FILE_EXISTS ||
        (is_file ? fk_path_exists(to) : fk_path_is_dir(to))) {
        *lost = 1;
        return fk_ok();
    }
    return fk_fail(FK_E_IO, (int)error, "cannot rename %s to %s: %s%s", from, to,
                   error_text(error, reason, sizeof reason), fix);
}

fk_status fk_platform_rename_dir(const char *from, const char *to, int *lost)
{
    return move_no_replace(from, to, 0, lost, "; check the permissions of the cache folder");
}

unsigned long fk_platform_process_id(void)
{
    return (unsigned long)GetCurrentProcessId();
}

fk_status fk_platform_rename_file(const char *from, const char *to, int *lost)
{
    return move_no_replace(from, to, 1, lost, "");
}

fk_status fk_platform_check_private_dir(const char *path, const char *fix)
{
    DWORD attributes = attributes_of(path);
    if (attributes == INVALID_FILE_ATTRIBUTES) {
        return fk_fail(FK_E_ENV, (int)GetLastError(), "cannot inspect %s; %s", path, fix);
    }
    if (!(attributes & FILE_ATTRIBUTE_DIRECTORY) || (attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
        return fk_fail(FK_E_ENV, 0, "%s is not a folder (a link or a file); %s", path, fix);
    }
    return fk_ok(); /* per-user folders (%TEMP%, %LOCALAPPDATA%) carry a private ACL */
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
    wchar_t wide[FK_WIDE_MAX];
    DWORD share = shared ? FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
                         : FILE_SHARE_DELETE;
    char reason[256];
    *busy = 0;
    *lock = FK_NO_HANDLE;
    if (!to_wide_path(path, wide, FK_WIDE_MAX)) {
        return too_long(path);
    }
    for (;;) {
        HANDLE handle = CreateFileW(wide, FILE_LIST_DIRECTORY, share, NULL, OPEN_EXISTING,
                                    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                                    NULL);
        DWORD code;
        if (handle != INVALID_HANDLE_VALUE) {
            *lock = (fk_handle)handle;
            return fk_ok();
        }
        code = GetLastError();
        if (code != ERROR_SHARING_VIOLATION) {
            return fk_fail(FK_E_IO, (int)code, "cannot lock folder %s: %s", path,
                           error_text(code, reason, sizeof reason));
        }
        if (!wait) {
            *busy = 1;
            return fk_ok();
        }
        Sleep(20);
    }
}

void fk_platform_unlock(fk_handle lock)
{
    if (lock != FK_NO_HANDLE) {
        CloseHandle((HANDLE)lock);
    }
}

void fk_platform_list_dir(const char *path, fk_dir_visitor visit, void *user)
{
    char pattern[FK_PATH_MAX];
    wchar_t wide[FK_WIDE_MAX];
    WIN32_FIND_DATAW found;
    HANDLE search;
    if (FK_FAILED(fk_path_join(pattern, sizeof pattern, path, "*")) ||
        !to_wide_path(pattern, wide, FK_WIDE_MAX)) {
        return;
    }
    search = FindFirstFileW(wide, &found);
    if (search == INVALID_HANDLE_VALUE) {
        return;
    }
    do {
        char name[FK_PATH_MAX];
        if (wcscmp(found.cFileName, L".") == 0 || wcscmp(found.cFileName, L"..") == 0 ||
            !to_utf8(found.cFileName, name, (int)sizeof name)) {
            continue;
        }
        visit(user, path, name);
    } while (FindNextFileW(search, &found));
    FindClose(search);
}

int fk_platform_is_own_dir(const char *path)
{
    DWORD attributes = attributes_of(path);
    return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) &&
           !(attributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

const char *fk_platform_getenv(const char *name)
{
    return getenv(name); /* ANSI: only for values that are ASCII (flags such as "1") */
}

/* The wide value of `name` in `out` (size in characters): 1 when set, 0 when not (or empty),
 * -1 when it does not fit. */
static int wide_getenv(const wchar_t *name, wchar_t *out, DWORD size)
{
    DWORD length = GetEnvironmentVariableW(name, out, size);
    if (length == 0) {
        out[0] = 0;
        return 0;
    }
    return length < size ? 1 : -1;
}

/* The temp folder as GetTempPathW finds it (TMP, TEMP, USERPROFILE, the Windows folder), in
 * its long form (TEMP often holds 8.3 names such as C:\Users\JOHNSM~1\...) and without the
 * trailing backslash. */
static int temp_folder(wchar_t *out, DWORD size)
{
    wchar_t long_form[FK_WIDE_MAX];
    DWORD length = GetTempPathW(size, out);
    DWORD long_length;
    if (length == 0 || length >= size) {
        return 0;
    }
    long_length = GetLongPathNameW(out, long_form, FK_WIDE_MAX);
    if (long_length > 0 && long_length < FK_WIDE_MAX && long_length < size) {
        wcscpy(out, long_form);
        length = long_length;
    }
    if (length > 3 && out[length - 1] == L'\\') { /* but "C:\" stays */
        out[length - 1] = 0;
    }
    return 1;
}

fk_status fk_platform_getenv_path(const char *name, char *out, size_t size)
{
    wchar_t wide_name[256];
    wchar_t wide[FK_WIDE_MAX];
    int found;
    out[0] = '\0';
    if (!to_wide(name, wide_name, 256)) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "environment variable name %s is too long", name);
    }
    found = wide_getenv(wide_name, wide, FK_WIDE_MAX);
    if (found >= 0 && strcmp(name, "TMPDIR") == 0 &&
        !(found > 0 && to_utf8(wide, out, (int)size) && fk_path_is_absolute(out, NULL))) {
        /* The shared code asks for TMPDIR (a POSIX name); on Windows the temp folder is TMP or
         * TEMP, unless TMPDIR holds a full Windows path (MSYS2 shells pass TMPDIR=/tmp). */
        found = temp_folder(wide, FK_WIDE_MAX) ? 1 : -1;
    }
    if (found < 0 || (found > 0 && !to_utf8(wide, out, (int)size))) {
        out[0] = '\0';
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "environment variable %s is too long; set it to "
                       "a shorter path", name);
    }
    if (found == 0) {
        out[0] = '\0';
    }
    return fk_ok();
}

fk_status fk_platform_setenv(const char *name, const char *value)
{
    wchar_t wide_name[256];
    wchar_t wide_value[2 * FK_WIDE_MAX + 2];
    if (!to_wide(name, wide_name, 256) || !to_wide(value, wide_value, 2 * FK_WIDE_MAX + 2)) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "environment variable %s is too long", name);
    }
    /* The process block (for CreateProcessW) and the CRT's copy (for getenv) both. */
    if (!SetEnvironmentVariableW(wide_name, wide_value) ||
        _wputenv_s(wide_name, wide_value) != 0) {
        return fk_fail(FK_E_MEMORY, (int)GetLastError(), "cannot set environment variable %s",
                       name);
    }
    return fk_ok();
}

void fk_platform_unsetenv(const char *name)
{
    wchar_t wide_name[256];
    if (to_wide(name, wide_name, 256)) {
        SetEnvironmentVariableW(wide_name, NULL);
        _wputenv_s(wide_name, L"");
    }
}

fk_status fk_platform_cache_home(char *out, size_t size)
{
    wchar_t wide[FK_WIDE_MAX];
    int found = wide_getenv(L"LOCALAPPDATA", wide, FK_WIDE_MAX);
    if (found == 0) {
        return fk_fail(FK_E_ENV, 0, "LOCALAPPDATA is not set; set it or XDG_CACHE_HOME");
    }
    if (found < 0 || !to_utf8(wide, out, (int)size)) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "LOCALAPPDATA is too long; set XDG_CACHE_HOME "
                       "to a shorter path");
    }
    return fk_ok();
}

/* Appends `arg` to the command line quoted the way CommandLineToArgvW and the C runtime read
 * it back: backslashes are literal except before a quote, where they are doubled. */
static int append_argument(wchar_t *line, size_t size, size_t *used, const wchar_t *arg)
{
    size_t at = *used;
    int quote = arg[0] == 0 || wcspbrk(arg, L" \t\n\v\"") != NULL;
    const wchar_t *cursor;
#define FK_PUT(c)                                                                              \
    do {                                                                                       \
        if (at + 1 >= size) {                                                                  \
            return 0;                                                                          \
        }                                                                                      \
        line[at++] = (c);                                                                      \
    } while (0)
    if (at > 0) {
        FK_PUT(L' ');
    }
    if (quote) {
        FK_PUT(L'"');
    }
    for (cursor = arg;; cursor++) {
        size_t backslashes = 0;
        size_t k;
        while (*cursor == L'\\') {
            cursor++;
            backslashes++;
        }
        if (*cursor == 0) {
            for (k = 0; k < (quote ? 2 * backslashes : backslashes); k++) {
                FK_PUT(L'\\');
            }
            break;
        }
        for (k = 0; k < (*cursor == L'"' ? 2 * backslashes + 1 : backslashes); k++) {
            FK_PUT(L'\\');
        }
        FK_PUT(*cursor);
    }
    if (quote) {
        FK_PUT(L'"');
    }
#undef FK_PUT
    line[at] = 0;
    *used = at;
    return 1;
}

/* The parent of a onefile app ignores Ctrl+C and Ctrl+Break: the child, on the same console,
 * gets them and decides. A handler (unlike SetConsoleCtrlHandler(NULL, TRUE)) is not
 * inherited by the child. */
static BOOL WINAPI ignore_console_event(DWORD event)
{
    return event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT;
}

/* A job that kills the child when the parent's handle closes (the parent was killed), while
 * the child's own children may leave it (they are not the app's to end). */
static HANDLE make_kill_on_close_job(void)
{
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (job == NULL) {
        return NULL;
    }
    memset(&limits, 0, sizeof limits);
    limits.BasicLimitInformation.LimitFlags =
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                                 sizeof limits)) {
        CloseHandle(job);
        return NULL;
    }
    return job;
}

static fk_status build_command_line(char **argv, wchar_t *line, size_t size)
{
    size_t used = 0;
    line[0] = 0;
    for (; *argv != NULL; argv++) {
        wchar_t wide[FK_WIDE_MAX];
        if (!to_wide(*argv, wide, FK_WIDE_MAX) || !append_argument(line, size, &used, wide)) {
            return fk_fail(FK_E_PROCESS, E2BIG, "the command line is too long for Windows "
                           "(32767 characters); pass fewer or shorter arguments");
        }
    }
    return fk_ok();
}

fk_status fk_platform_run_child(const char *exe, char **argv, int *exit_code)
{
    enum { LINE_MAX = 32768 };
    wchar_t wide_exe[FK_WIDE_MAX];
    wchar_t *line = NULL;
    STARTUPINFOW startup;
    PROCESS_INFORMATION child;
    HANDLE job = NULL;
    DWORD code = 1;
    char reason[256];
    fk_status status = fk_ok();

    memset(&child, 0, sizeof child);
    *exit_code = 1;
    line = malloc(LINE_MAX * sizeof *line);
    if (line == NULL) {
        status = fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for the command line");
        goto cleanup;
    }
    if (!to_wide(exe, wide_exe, FK_WIDE_MAX)) {
        status = too_long(exe);
        goto cleanup;
    }
    backslashes(wide_exe);
    status = build_command_line(argv, line, LINE_MAX);
    if (FK_FAILED(status)) {
        goto cleanup;
    }
    memset(&startup, 0, sizeof startup);
    startup.cb = sizeof startup;
    GetStartupInfoW(&startup); /* the same window state as ours */
    startup.lpReserved = NULL;
    startup.lpReserved2 = NULL; /* not our C runtime's descriptor table: the child has its own */
    startup.cbReserved2 = 0;
    /* A shortcut's hot key and a shell's monitor travel in hStdInput and hStdOutput: they
     * cannot go with standard handles (and belong to our window, not the child's). */
    startup.dwFlags &= ~(DWORD)(STARTF_USEHOTKEY | FK_STARTF_HASSHELLDATA);
    startup.dwFlags |= STARTF_USESTDHANDLES; /* and the same standard handles */
    startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    SetConsoleCtrlHandler(ignore_console_event, TRUE);
    job = make_kill_on_close_job();
    if (!CreateProcessW(wide_exe, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL,
                        &startup, &child)) {
        DWORD err = GetLastError();
        status = fk_fail(FK_E_PROCESS, (int)err, "cannot start %s: %s; check that the file is "
                         "still there and that no security software blocks it", exe,
                         error_text(err, reason, sizeof reason));
        goto cleanup;
    }
    if (job != NULL && !AssignProcessToJobObject(job, child.hProcess)) {
        CloseHandle(job); /* an outer job forbids nesting (old Windows): run without one */
        job = NULL;
    }
    if (ResumeThread(child.hThread) == (DWORD)-1) {
        DWORD err = GetLastError();
        TerminateProcess(child.hProcess, 1);
        status = fk_fail(FK_E_PROCESS, (int)err, "cannot start the application process: %s",
                         error_text(err, reason, sizeof reason));
        goto cleanup;
    }
    if (WaitForSingleObject(child.hProcess, INFINITE) != WAIT_OBJECT_0 ||
        !GetExitCodeProcess(child.hProcess, &code)) {
        DWORD err = GetLastError();
        status = fk_fail(FK_E_PROCESS, (int)err, "cannot wait for the application process: "
                         "%s", error_text(err, reason, sizeof reason));
        goto cleanup;
    }
    *exit_code = (int)code;
cleanup:
    if (child.hThread != NULL) {
        CloseHandle(child.hThread);
    }
    if (child.hProcess != NULL) {
        CloseHandle(child.hProcess);
    }
    if (job != NULL) {
        CloseHandle(job);
    }
    free(line);
    return status;
}

fk_status fk_platform_load_library(const char *path, void **library)
{
    wchar_t wide[FK_WIDE_MAX];
    wchar_t *slash;
    HMODULE module;
    UINT old_mode;
    char reason[256];
    if (!to_wide(path, wide, FK_WIDE_MAX)) {
        return too_long(path);
    }
    backslashes(wide); /* LOAD_WITH_ALTERED_SEARCH_PATH needs a backslashed full path */
    slash = wcsrchr(wide, L'\\');
    if (slash != NULL) {
        /* The top directory (the library's folder) is where the DLLs it needs are: python3.dll,
         * vcruntime140.dll, the DLLs of extension modules. */
        *slash = 0;
        SetDllDirectoryW(wide);
        *slash = L'\\';
    }
    /* Like Python's own DLL loading: no system message box for a missing or damaged DLL (a
     * console app would hang on it); the failure is reported below. */
    old_mode = SetErrorMode(SEM_FAILCRITICALERRORS);
    module = LoadLibraryExW(wide, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (module == NULL) {
        DWORD code = GetLastError();
        SetErrorMode(old_mode);
        return fk_fail(FK_E_PYTHON, (int)code, "cannot load %s: %s; the bundle is incomplete "
                       "or was built for another system, rebuild it", path,
                       error_text(code, reason, sizeof reason));
    }
    SetErrorMode(old_mode);
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
    HMODULE module = python_module(library);
    FARPROC address = module != NULL ? GetProcAddress(module, name) : NULL;
    memcpy(function, &address, sizeof *function);
    return address != NULL;
}

int fk_platform_data_symbol(void *library, const char *name, void **data)
{
    HMODULE module = python_module(library);
    FARPROC address = module != NULL ? GetProcAddress(module, name) : NULL;
    memcpy(data, &address, sizeof *data);
    return address != NULL;
}

static DWORD WINAPI thread_entry(LPVOID arg)
{
    struct fk_thread *thread = arg;
    thread->work(thread->user);
    return 0;
}

int fk_platform_thread_start(struct fk_thread *thread)
{
    thread->os = CreateThread(NULL, 0, thread_entry, thread, 0, NULL); /* a HANDLE */
    return thread->os != NULL;
}

void fk_platform_thread_join(struct fk_thread *thread)
{
    WaitForSingleObject((HANDLE)thread->os, INFINITE);
    CloseHandle((HANDLE)thread->os);
}

unsigned fk_platform_cpu_count(void)
{
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return info.dwNumberOfProcessors > 0 ? (unsigned)info.dwNumberOfProcessors : 1u;
}

struct fk_monitor {
    SRWLOCK lock;
    CONDITION_VARIABLE condition;
};

fk_status fk_platform_monitor_new(struct fk_monitor **monitor)
{
    *monitor = malloc(sizeof **monitor);
    if (*monitor == NULL) {
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for a lock");
    }
    InitializeSRWLock(&(*monitor)->lock);
    InitializeConditionVariable(&(*monitor)->condition);
    return fk_ok();
}

void fk_platform_monitor_free(struct fk_monitor *monitor)
{
    free(monitor); /* neither needs destroying */
}

void fk_platform_monitor_enter(struct fk_monitor *monitor)
{
    AcquireSRWLockExclusive(&monitor->lock);
}

void fk_platform_monitor_leave(struct fk_monitor *monitor)
{
    ReleaseSRWLockExclusive(&monitor->lock);
}

void fk_platform_monitor_wait(struct fk_monitor *monitor)
{
    SleepConditionVariableSRW(&monitor->condition, &monitor->lock, INFINITE, 0);
}

void fk_platform_monitor_notify(struct fk_monitor *monitor)
{
    WakeAllConditionVariable(&monitor->condition);
}

void fk_platform_show_dialog(const char *title, const char *text)
{
    wchar_t wide_title[FK_WIDE_MAX];
    wchar_t wide_text[FK_WIDE_MAX + FK_MESSAGE_MAX];
    if (!to_wide(title, wide_title, FK_WIDE_MAX)) {
        wcscpy(wide_title, L"freezekit");
    }
    if (!to_wide(text, wide_text, FK_WIDE_MAX + FK_MESSAGE_MAX)) {
        return; /* cannot happen: log.c's text fits; stderr has the message anyway */
    }
    MessageBoxW(NULL, wide_text, wide_title, MB_OK | MB_ICONERROR | MB_SETFOREGROUND);
}

void fk_platform_exit_interrupted(void)
{
    /* What python.exe does for an unhandled KeyboardInterrupt: cmd.exe then prints ^C and
     * offers to end a batch file, and a onefile parent passes the code on. */
    ExitProcess((UINT)STATUS_CONTROL_C_EXIT);
}
