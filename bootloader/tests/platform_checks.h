/* Checks of platform.c (fk_platform_make_dirs, fk_platform_run_parallel) for every operating
 * system: platform_check runs them (pytest), win_check too (under wine). */
#ifndef FK_PLATFORM_CHECKS_H
#define FK_PLATFORM_CHECKS_H

/* Called once per check: ok, its name, and why it failed. */
typedef void (*fk_check_report)(void *user, int ok, const char *name, const char *why);

/* Runs the checks, making and removing folders below the existing folder `scratch`. */
void fk_platform_checks(const char *scratch, fk_check_report report, void *user);

#endif /* FK_PLATFORM_CHECKS_H */
