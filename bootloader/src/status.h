/* fk_status: the result of every fallible bootloader function. */
#ifndef FK_STATUS_H
#define FK_STATUS_H

#define FK_MESSAGE_MAX 1024
/* The end of every FK_E_ARCHIVE message: "<what>" FK_DAMAGED, so that any damage reads
 * "freezekit: cannot start <exe>: <what> — rebuild or recopy it" (exit status 1). */
#define FK_DAMAGED " \xe2\x80\x94 rebuild or recopy it"

enum fk_code {
    FK_OK = 0,
    FK_E_ARCHIVE,  /* the executable's archive is damaged, truncated or not ours */
    FK_E_IO,       /* reading, writing, creating files or folders failed */
    FK_E_MEMORY,   /* out of memory */
    FK_E_PYTHON,   /* libpython could not be loaded or initialised */
    FK_E_ENV,      /* the environment (temp folder, cache folder) is unusable */
    FK_E_PROCESS   /* fork, exec or wait failed */
};

typedef struct fk_status {
    int code;                      /* enum fk_code */
    int err;                       /* errno (or GetLastError) captured where it failed */
    char message[FK_MESSAGE_MAX];  /* "<what>; <fix>", without the "freezekit:" prefix */
} fk_status;

#if defined(__GNUC__)
#define FK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FK_PRINTF(a, b)
#endif

fk_status fk_ok(void);
fk_status fk_fail(int code, int err, const char *format, ...) FK_PRINTF(3, 4);
#define FK_FAILED(status) ((status).code != FK_OK)

#endif /* FK_STATUS_H */
