/* win_check: checks of platform_win32.c and path.c that need Windows (run under wine by
 * freezekit.crossbuild.windows). One line per check, "ok <name>" or "FAIL <name>: <why>",
 * then "N passed, M failed"; exit 0 when none failed. The checks of platform_checks.c (shared
 * with platform_check) run here too.
 *
 * The child modes are the other end of the command line and exit code checks:
 *   win_check child-argv <set> <arg>...   exit 0 when the arguments, as the C runtime and
 *                                          CommandLineToArgvW read them, are set <set>
 *   win_check child-exit <code>            ExitProcess(code)
 *   win_check child-interrupted            fk_platform_exit_interrupted()
 * and, for the manifest check (src/run.manifest is linked in here too):
 *   win_check versions                     prints "GetVersionExW a.b.c RtlGetVersion a.b.c" */
#include <windows.h>

#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "platform_checks.h"

#define CHECK_EXIT_MISMATCH 1

static void expect_text(struct tally *tally, const char *name, const char *got,
                        const char *wanted)
{
    char why[2 * FK_PATH_MAX + 32];
    snprintf(why, sizeof why, "got '%s', wanted '%s'", got, wanted);
    report(tally, strcmp(got, wanted) == 0, name, why);
}

/* -- argument sets: what the parent passes and the child must read back ------------------ */

/* Every case of the MSVCRT rules: quotes, backslash runs before a quote, before the end of a
 * quoted argument and elsewhere, empty arguments, white space of each kind. */
static const char *const ascii_set[] = {
    "plain", "", "a b", "a\tb", "a\vb", " ", "\"", "\"\"", "a\"b", "\"a b\"", "\\", "\\\\", "a\\",
    "a\\\\", "a\\\"b", "a\\\\\"b", "a\\\\\\\"b", "a\\\\b", "C:\\Program Files\\",
    "\\\\server\\share\\", "x\\y\\ z", "%PATH%", "^&|<>()", "*?", "-c", "--x=\"y z\"",
    "trailing\\\\", "\\\"", "end\\ ", NULL};
/* Characters outside every ANSI code page: only CommandLineToArgvW can hold them. */
static const char *const unicode_set[] = {"\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e",
                                          "\xe2\x82\xac\\\"", "a\\\xc3\xa9 b", NULL};

static const char *const *argument_set(const char *name)
{
    return strcmp(name, "unicode") == 0 ? unicode_set : ascii_set;
}

static int is_ascii(const char *text)
{
    for (; *text != '\0'; text++) {
        if ((unsigned char)*text >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* The child: compares its arguments, read both ways, with the set. */
static int child_argv(int argc, char **argv)
{
    const char *const *set = argument_set(argv[2]);
    int wide_count = 0;
    LPWSTR *wide = CommandLineToArgvW(GetCommandLineW(), &wide_count);
    int expected = 0;
    int mismatches = 0;
    int i;
    while (set[expected] != NULL) {
        expected++;
    }
    if (argc != expected + 3 || wide == NULL || wide_count != expected + 3) {
        fprintf(stderr, "child-argv: %d arguments from the C runtime, %d from "
                "CommandLineToArgvW, wanted %d\n", argc, wide_count, expected + 3);
        return CHECK_EXIT_MISMATCH;
    }
    for (i = 0; i < expected; i++) {
        char text[FK_PATH_MAX];
        WideCharToMultiByte(CP_UTF8, 0, wide[i + 3], -1, text, (int)sizeof text, NULL, NULL);
        if (strcmp(text, set[i]) != 0) {
            fprintf(stderr, "child-argv: CommandLineToArgvW argument %d is [%s], wanted [%s]\n",
                    i, text, set[i]);
            mismatches++;
        }
        if (is_ascii(set[i]) && strcmp(argv[i + 3], set[i]) != 0) {
            fprintf(stderr, "child-argv: C runtime argument %d is [%s], wanted [%s]\n", i,
                    argv[i + 3], set[i]);
            mismatches++;
        }
    }
    LocalFree(wide);
    return mismatches == 0 ? 0 : CHECK_EXIT_MISMATCH;
}

static void check_quoting(struct tally *tally, const char *exe, const char *set_name)
{
    const char *const *set = argument_set(set_name);
    char *argv[64];
    char name[64];
    int count = 0;
    int exit_code = -1;
    fk_status status;
    argv[count++] = (char *)exe;
    argv[count++] = "child-argv";
    argv[count++] = (char *)set_name;
    while (*set != NULL) {
        argv[count++] = (char *)*set++;
    }
    argv[count] = NULL;
    status = fk_platform_run_child(exe, argv, &exit_code);
    snprintf(name, sizeof name, "CreateProcessW quoting, %s arguments", set_name);
    report(tally, !FK_FAILED(status) && exit_code == 0, name,
           FK_FAILED(status) ? status.message : "the child read other arguments (above)");
}

static void check_exit_code(struct tally *tally, const char *exe, unsigned long code,
                            const char *mode)
{
    char number[32];
    char name[96];
    char why[128];
    char *argv[4];
    int exit_code = -1;
    fk_status status;
    snprintf(number, sizeof number, "%lu", code);
    argv[0] = (char *)exe;
    argv[1] = (char *)mode;
    argv[2] = number;
    argv[3] = NULL;
    status = fk_platform_run_child(exe, argv, &exit_code);
    snprintf(name, sizeof name, "exit code 0x%lX passed on (%s)", code, mode);
    snprintf(why, sizeof why, "got 0x%lX", (unsigned long)(unsigned)exit_code);
    report(tally, !FK_FAILED(status) && (unsigned)exit_code == (unsigned)code, name,
           FK_FAILED(status) ? status.message : why);
}

/* -- paths ------------------------------------------------------------------------------- */

static void check_join(struct tally *tally)
{
    static const char *const cases[][3] = {
        {"C:\\a", "b/c.dll", "C:\\a\\b\\c.dll"},
        {"C:\\a\\", "b", "C:\\a\\b"},
        {"C:/x/y", "z/w", "C:\\x\\y\\z\\w"},
        {"\\\\srv\\share", "_MEIfk1/python311.dll", "\\\\srv\\share\\_MEIfk1\\python311.dll"},
        {"C:", "x", "C:\\x"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[FK_PATH_MAX];
        char name[128];
        fk_status status = fk_path_join(out, sizeof out, cases[i][0], cases[i][1]);
        snprintf(name, sizeof name, "fk_path_join(%s, %s)", cases[i][0], cases[i][1]);
        expect_text(tally, name, FK_FAILED(status) ? status.message : out, cases[i][2]);
    }
}

static void check_dirname_basename(struct tally *tally)
{
    static const char *const cases[][3] = {
        {"C:\\a\\b.exe", "C:\\a", "b.exe"},
        {"C:\\b.exe", "C:\\", "b.exe"},
        {"C:/a/b", "C:/a", "b"},
        {"b.exe", ".", "b.exe"},
        {"\\\\srv\\share\\app.exe", "\\\\srv\\share\\", "app.exe"},
        {"\\\\?\\C:\\app.exe", "\\\\?\\C:\\", "app.exe"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[FK_PATH_MAX];
        char name[128];
        fk_status status = fk_path_dirname(out, sizeof out, cases[i][0]);
        snprintf(name, sizeof name, "fk_path_dirname(%s)", cases[i][0]);
        expect_text(tally, name, FK_FAILED(status) ? status.message : out, cases[i][1]);
        snprintf(name, sizeof name, "fk_path_basename(%s)", cases[i][0]);
        expect_text(tally, name, fk_path_basename(cases[i][0]), cases[i][2]);
    }
}

static void check_absolute(struct tally *tally)
{
    static const struct {
        const char *path;
        int absolute;
        size_t root;
    } cases[] = {
        {"C:\\x", 1, 2},
        {"c:/x", 1, 2},
        {"C:\\", 1, 2},
        {"C:", 0, 0},
        {"C:x", 0, 0},
        {"\\x", 0, 0},
        {"/tmp", 0, 0},
        {"x\\y", 0, 0},
        {"\\\\srv\\share\\x", 1, 11},
        {"\\\\srv\\share", 1, 11},
        {"\\\\srv", 0, 0},
        {"\\\\?\\C:\\x", 1, 6},
        {"\\\\?\\UNC\\srv\\share\\x", 1, 17},
        {"\\\\.\\pipe\\x", 0, 0},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t root = 0;
        int absolute = fk_path_is_absolute(cases[i].path, &root);
        char name[128];
        char why[128];
        snprintf(name, sizeof name, "fk_path_is_absolute(%s)", cases[i].path);
        snprintf(why, sizeof why, "got %d (root %u), wanted %d (root %u)", absolute,
                 (unsigned)root, cases[i].absolute, (unsigned)cases[i].root);
        report(tally, absolute == cases[i].absolute && (!absolute || root == cases[i].root),
               name, why);
    }
}

static void check_plain_names(struct tally *tally)
{
    static const struct {
        const char *name;
        int plain;
    } cases[] = {
        {"python311.dll", 1}, {"a b", 1},  {"a\\b", 0}, {"a/b", 0}, {"C:x", 0},
        {"..", 0},            {".", 0},    {"", 0},     {"..x", 1},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[96];
        snprintf(name, sizeof name, "fk_path_is_plain_name(%s)", cases[i].name);
        report(tally, fk_path_is_plain_name(cases[i].name, strlen(cases[i].name)) ==
                          cases[i].plain, name, cases[i].plain ? "refused" : "accepted");
    }
}

/* -- environment ------------------------------------------------------------------------- */

static void temp_folder_utf8(char *out, size_t size)
{
    wchar_t wide[MAX_PATH + 1];
    wchar_t long_form[FK_PATH_MAX];
    DWORD length = GetTempPathW(MAX_PATH + 1, wide);
    if (GetLongPathNameW(wide, long_form, FK_PATH_MAX) > 0) {
        wcscpy(wide, long_form);
        length = (DWORD)wcslen(wide);
    }
    if (length > 3 && wide[length - 1] == L'\\') {
        wide[length - 1] = 0;
    }
    WideCharToMultiByte(CP_UTF8, 0, wide, -1, out, (int)size, NULL, NULL);
}

static void check_environment(struct tally *tally)
{
    char out[FK_PATH_MAX];
    char temp[FK_PATH_MAX];
    fk_status status;
    temp_folder_utf8(temp, sizeof temp);

    /* C:\tmp\é日本: 日本 is in no Western ANSI code page, so getenv() would give '?'. */
    SetEnvironmentVariableW(L"FK_CHECK_PATH", L"C:\\tmp\\\x00e9\x65e5\x672c");
    status = fk_platform_getenv_path("FK_CHECK_PATH", out, sizeof out);
    expect_text(tally, "fk_platform_getenv_path: UTF-8 from the wide environment",
                FK_FAILED(status) ? status.message : out, "C:\\tmp\\\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac");

    SetEnvironmentVariableW(L"FK_CHECK_PATH", NULL);
    status = fk_platform_getenv_path("FK_CHECK_PATH", out, sizeof out);
    expect_text(tally, "fk_platform_getenv_path: unset gives \"\"",
                FK_FAILED(status) ? status.message : out, "");

    SetEnvironmentVariableW(L"TMPDIR", NULL);
    status = fk_platform_getenv_path("TMPDIR", out, sizeof out);
    expect_text(tally, "TMPDIR unset: GetTempPathW, long form, no trailing backslash",
                FK_FAILED(status) ? status.message : out, temp);

    SetEnvironmentVariableW(L"TMPDIR", L"/tmp");
    status = fk_platform_getenv_path("TMPDIR", out, sizeof out);
    expect_text(tally, "TMPDIR=/tmp (an MSYS2 shell): GetTempPathW",
                FK_FAILED(status) ? status.message : out, temp);

    SetEnvironmentVariableW(L"TMPDIR", L"D:\\t");
    status = fk_platform_getenv_path("TMPDIR", out, sizeof out);
    expect_text(tally, "TMPDIR=D:\\t is used", FK_FAILED(status) ? status.message : out,
                "D:\\t");
    SetEnvironmentVariableW(L"TMPDIR", NULL);
}

/* -- long paths -------------------------------------------------------------------------- */

static void check_long_paths(struct tally *tally)
{
    char base[FK_PATH_MAX];
    char deep[FK_PATH_MAX];
    char file[FK_PATH_MAX];
    char renamed[FK_PATH_MAX];
    char temp_dir[FK_PATH_MAX];
    char temp[FK_PATH_MAX];
    unsigned char back[5];
    fk_handle handle = FK_NO_HANDLE;
    uint64_t size = 0;
    int lost = 0;
    int busy = 0;
    int k;
    fk_status status;
    temp_folder_utf8(temp, sizeof temp);
    snprintf(base, sizeof base, "%s\\fk-win-check-%lu", temp,
             (unsigned long)GetCurrentProcessId());
    snprintf(deep, sizeof deep, "%s", base);
    for (k = 0; k < 8; k++) { /* 8 x 41 characters: well past MAX_PATH */
        size_t used = strlen(deep);
        snprintf(deep + used, sizeof deep - used, "\\%d-0123456789abcdefghijklmnopqrstuvwxyz-%c",
                 k, 'a' + k);
    }
    fk_path_join(file, sizeof file, deep, "file.bin");
    fk_path_join(renamed, sizeof renamed, deep, "renamed.bin");

    status = fk_path_make_dirs(deep);
    report(tally, !FK_FAILED(status) && fk_path_is_dir(deep),
           "long path: fk_path_make_dirs of a folder past MAX_PATH", status.message);
    status = fk_platform_create_file(file, &handle);
    if (!FK_FAILED(status)) {
        status = fk_platform_append(handle, file, "hello", 5);
        status = fk_platform_finish_file(handle, file, 0644, FK_FAILED(status));
    }
    report(tally, !FK_FAILED(status), "long path: create, append, finish", status.message);
    status = fk_platform_open_read(file, &handle, &size);
    if (!FK_FAILED(status)) {
        status = fk_platform_read_at(handle, file, 0, back, sizeof back);
        fk_platform_close(handle);
    }
    report(tally, !FK_FAILED(status) && size == 5 && memcmp(back, "hello", 5) == 0,
           "long path: open and read back", status.message);
    status = fk_platform_rename_file(file, renamed, &lost);
    report(tally, !FK_FAILED(status) && !lost && fk_path_exists(renamed) && !fk_path_exists(file),
           "long path: rename", status.message);
    status = fk_platform_lock_dir(deep, 1, 0, &handle, &busy);
    fk_platform_unlock(handle);
    report(tally, !FK_FAILED(status) && !busy, "long path: lock the folder", status.message);
    status = fk_platform_make_temp_dir(temp_dir, sizeof temp_dir, deep, "_MEIfk");
    report(tally, !FK_FAILED(status) && fk_path_is_dir(temp_dir) &&
                      strncmp(temp_dir, deep, strlen(deep)) == 0 &&
                      temp_dir[strlen(deep)] == '\\',
           "long path: fk_platform_make_temp_dir, joined with '\\'", status.message);
    report(tally, fk_platform_remove_tree(base) == 0 && !fk_path_exists(base),
           "long path: fk_platform_remove_tree removes it all", base);
}

/* Informational: whether this system enforces MAX_PATH without the \\?\ form (Windows does,
 * unless long paths are enabled in the registry and the manifest; wine does not). */
static void note_max_path(void)
{
    char temp[FK_PATH_MAX];
    char base[FK_PATH_MAX];
    char path[FK_PATH_MAX];
    wchar_t wide[FK_PATH_MAX];
    DWORD error = 0;
    temp_folder_utf8(temp, sizeof temp);
    snprintf(base, sizeof base, "%s\\fk-maxpath-%lu", temp, (unsigned long)GetCurrentProcessId());
    snprintf(path, sizeof path, "%s", base);
    MultiByteToWideChar(CP_UTF8, 0, base, -1, wide, FK_PATH_MAX);
    CreateDirectoryW(wide, NULL);
    while (error == 0 && strlen(path) < 300) {
        size_t used = strlen(path);
        snprintf(path + used, sizeof path - used, "\\0123456789abcdefghijklmnopqrstuvwxyz");
        MultiByteToWideChar(CP_UTF8, 0, path, -1, wide, FK_PATH_MAX);
        if (!CreateDirectoryW(wide, NULL)) {
            error = GetLastError();
        }
    }
    if (error == 0) {
        printf("note: plain CreateDirectoryW made a %u-character path: no MAX_PATH limit here\n",
               (unsigned)strlen(path));
    } else {
        printf("note: plain CreateDirectoryW refused a %u-character path (error %lu): the "
               "MAX_PATH limit\n", (unsigned)strlen(path), (unsigned long)error);
    }
    fk_platform_remove_tree(base);
}

/* platform_checks.c (folder creation, run_parallel's threads) with Windows' own calls. */
static void check_shared(struct tally *tally)
{
    char temp[FK_PATH_MAX];
    temp_folder_utf8(temp, sizeof temp);
    fk_platform_checks(temp, tally);
}

/* Without a manifest naming Windows 10 as supported, GetVersionExW says 6.2 (Windows 8). */
static int print_versions(void)
{
    typedef LONG(WINAPI * rtl_get_version)(OSVERSIONINFOW *);
    OSVERSIONINFOW seen;
    OSVERSIONINFOW real;
    FARPROC address = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion");
    rtl_get_version get_real;
    memset(&seen, 0, sizeof seen);
    memset(&real, 0, sizeof real);
    seen.dwOSVersionInfoSize = real.dwOSVersionInfoSize = sizeof seen;
    if (address == NULL || !GetVersionExW(&seen)) {
        return 1;
    }
    memcpy(&get_real, &address, sizeof get_real);
    get_real(&real);
    printf("GetVersionExW %lu.%lu.%lu RtlGetVersion %lu.%lu.%lu\n",
           (unsigned long)seen.dwMajorVersion, (unsigned long)seen.dwMinorVersion,
           (unsigned long)seen.dwBuildNumber, (unsigned long)real.dwMajorVersion,
           (unsigned long)real.dwMinorVersion, (unsigned long)real.dwBuildNumber);
    return 0;
}

int main(int argc, char **argv)
{
    struct tally tally = {0, 0};
    char exe[FK_PATH_MAX];
    fk_status status;
    if (argc >= 3 && strcmp(argv[1], "child-argv") == 0) {
        return child_argv(argc, argv);
    }
    if (argc >= 3 && strcmp(argv[1], "child-exit") == 0) {
        ExitProcess((UINT)strtoul(argv[2], NULL, 10));
    }
    if (argc >= 2 && strcmp(argv[1], "child-interrupted") == 0) {
        fk_platform_exit_interrupted();
    }
    if (argc >= 2 && strcmp(argv[1], "versions") == 0) {
        return print_versions();
    }
    status = fk_platform_executable_path(exe, sizeof exe);
    if (FK_FAILED(status)) {
        printf("FAIL executable path: %s\n", status.message);
        return 1;
    }
    check_join(&tally);
    check_dirname_basename(&tally);
    check_absolute(&tally);
    check_plain_names(&tally);
    check_environment(&tally);
    check_long_paths(&tally);
    check_shared(&tally);
    note_max_path();
    check_quoting(&tally, exe, "ascii");
    check_quoting(&tally, exe, "unicode");
    check_exit_code(&tally, exe, 0, "child-exit");
    check_exit_code(&tally, exe, 3, "child-exit");
    check_exit_code(&tally, exe, 256, "child-exit");
    check_exit_code(&tally, exe, 0x7FFFFFFFul, "child-exit");
    check_exit_code(&tally, exe, 0xC000013Aul, "child-exit");
    check_exit_code(&tally, exe, 0xC000013Aul, "child-interrupted");
    printf("%d passed, %d failed\n", tally.passed, tally.failed);
    return tally.failed == 0 ? 0 : 1;
}
