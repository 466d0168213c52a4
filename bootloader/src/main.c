/* Entry points only: store argv in the context and call fk_run. */
#include "launch.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
    struct fk_context *ctx = malloc(sizeof *ctx);
    int exit_code;
    if (ctx == NULL) {
        return 1;
    }
    fk_context_init(ctx, argc, argv);
    exit_code = fk_run(ctx);
    free(ctx);
    return exit_code;
}
