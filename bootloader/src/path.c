/* Path helpers that are the same on every platform. Paths use the platform's separator
 * (FK_SEP); names inside the archive always use '/', and fk_path_join converts them. The
 * Windows forms (drive letters, UNC shares) are told apart by FK_SEP, not by conditionals. */
#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int is_separator(char c)
{
    return c == '/' || c == FK_SEP;
}

fk_status fk_path_join(char *out, size_t size, const char *left, const char *right)
{
    static const char separator[] = {FK_SEP, '\0'};
    size_t length = strlen(left);
    int between = length == 0 || !is_separator(left[length - 1]);
    int written = snprintf(out, size, "%s%s%s", left, between ? separator : "", right);
    char *cursor;
    if (written < 0 || (size_t)written >= size) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s%c%s is too long; move the program or "
                       "its temp folder to a shorter path", left, FK_SEP, right);
    }
    for (cursor = out; FK_SEP != '/' && *cursor != '\0'; cursor++) {
        if (*cursor == '/') {
            *cursor = FK_SEP;
        }
    }
    return fk_ok();
}

const char *fk_path_basename(const char *path)
{
    const char *base = path;
    for (; *path != '\0'; path++) {
        if (is_separator(*path)) {
            base = path + 1;
        }
    }
    return base;
}

/* Windows: "\\server\share" (also after "\\?\UNC\"): the length up to the end of the share. */
static size_t share_length(const char *path, size_t start)
{
    size_t at = start;
    size_t server;
    while (path[at] != '\0' && !is_separator(path[at])) {
        at++;
    }
    server = at - start;
    if (server == 0 || path[at] == '\0') {
        return 0;
    }
    at++;
    start = at;
    while (path[at] != '\0' && !is_separator(path[at])) {
        at++;
    }
    return at > start ? at : 0;
}

int fk_path_is_absolute(const char *path, size_t *root)
{
    size_t length = 0;
    size_t skip = 0;
    if (FK_SEP == '/') {
        if (path[0] != '/') {
            return 0;
        }
    } else {
        if (is_separator(path[0]) && is_separator(path[1]) &&
            (path[2] == '?' || path[2] == '.') && is_separator(path[3])) {
            skip = 4; /* "\\?\" and "\\.\": the rest is a drive or "UNC\server\share" */
            if (strncmp(path + skip, "UNC", 3) == 0 && is_separator(path[skip + 3])) {
                length = share_length(path, skip + 4);
                if (length == 0) {
                    return 0;
                }
            }
        } else if (is_separator(path[0]) && is_separator(path[1])) {
            length = share_length(path, 2);
            if (length == 0) {
                return 0;
            }
        }
        if (length == 0) {
            char drive = path[skip];
            if (!((drive >= 'A' && drive <= 'Z') || (drive >= 'a' && drive <= 'z')) ||
                path[skip + 1] != ':' || !is_separator(path[skip + 2])) {
                return 0;
            }
            length = skip + 2;
        }
    }
    if (root != NULL) {
        *root = length;
    }
    return 1;
}

fk_status fk_path_make_dirs(const char *path)
{
    char root[FK_PATH_MAX];
    size_t length = 0;
    if (!fk_path_is_absolute(path, &length) || length >= sizeof root) {
        return fk_fail(FK_E_ENV, EINVAL, "folder %s is not an absolute path; give a full path "
                       "(with its drive on Windows)", path);
    }
    if (path[length] == '\0' || path[length + 1] == '\0') {
        return fk_ok(); /* the root itself */
    }
    memcpy(root, path, length);
    root[length] = '\0';
    return fk_platform_make_dirs(root, path + length + 1);
}

int fk_path_is_plain_name(const char *name, size_t length)
{
    size_t i;
    if (length == 0 || (length == 1 && name[0] == '.') ||
        (length == 2 && name[0] == '.' && name[1] == '.')) {
        return 0;
    }
    for (i = 0; i < length; i++) {
        if (name[i] == '\0' || strchr(FK_NAME_FORBIDDEN, name[i]) != NULL) {
            return 0;
        }
    }
    return 1;
}
