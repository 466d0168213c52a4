/* platform_check FOLDER: the checks of platform_checks.c, using FOLDER (it must exist) for
 * scratch folders. One line per check, "ok <name>" or "FAIL <name>: <why>", then
 * "N passed, M failed"; exit 0 when none failed. */
#include <stdio.h>

#include "platform_checks.h"

int main(int argc, char **argv)
{
    struct tally tally = {0, 0};
    if (argc != 2) {
        fprintf(stderr, "usage: %s FOLDER (an existing folder for scratch files)\n", argv[0]);
        return 2;
    }
    fk_platform_checks(argv[1], &tally);
    printf("%d passed, %d failed\n", tally.passed, tally.failed);
    return tally.failed ? 1 : 0;
}
