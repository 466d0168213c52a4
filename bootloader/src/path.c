/* Path helpers that are the same on every platform (paths use '/' everywhere inside the
 * bootloader; platform_win32.c converts at its edges). */
#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

fk_status fk_path_join(char *out, size_t size, const char *left, const char *right)
{
    int written = snprintf(out, size, "%s/%s", left, right);
    if (written < 0 || (size_t)written >= size) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s/%s is too long; move the program or "
                       "its temp folder to a shorter path", left, right);
    }
    return fk_ok();
}

const char *fk_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
