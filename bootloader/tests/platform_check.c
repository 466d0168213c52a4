/* platform_check FOLDER: the checks of platform_checks.c, using FOLDER (it must exist) for
 * scratch folders. One line per check, "ok <name>" or "FAIL <name>: <why>", then
 * "N passed, M failed"; exit 0 when none failed. */
#include <stdio.h>

#include "platform_checks.h"

struct tally {
    int passed;
    int failed;
};

static void report(void *user, int ok, const char *name, const char *why)
{
    struct tally *tally = user;
    if (ok) {
        tally->passed++;
        printf("ok %s\n", name);
    } else {
        tally->failed++;
        printf("FAIL %s: %s\n", name, why);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct tally tally = {0, 0};
    if (argc != 2) {
        fprintf(stderr, "usage: %s FOLDER (an existing folder for scratch files)\n", argv[0]);
        return 2;
    }
    fk_platform_checks(argv[1], report, &tally);
    printf("%d passed, %d failed\n", tally.passed, tally.failed);
    return tally.failed ? 1 : 0;
}
