/* POSIX (Linux, macOS) implementation of platform.h. */
#include "platform.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif
#ifdef __linux__
#include <sys/syscall.h>
#endif

extern char **environ;

fk_status fk_platform_reserve_stdio(void)
{
    int fd;
#ifdef SIGXFSZ
    /* A file size limit (ulimit -f) must not kill the launcher mid-extraction: writes fail
     * with EFBIG instead, reported like a full disk, and the partial folder is removed. */
    signal(SIGXFSZ, SIG_IGN);
#endif
    for (fd = 0; fd < 3; fd++) {
        int opened;
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
            continue;
        }
        opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (opened < 0) {
            return fk_fail(FK_E_IO, errno, "cannot open /dev/null for closed descriptor %d: %s; "
                           "check that /dev/null exists", fd, strerror(errno));
        }
        if (opened != fd) {
            /* A lower descriptor was closed too and took it; the loop fills them in order. */
            close(opened);
            return fk_fail(FK_E_IO, 0, "cannot reserve descriptor %d; start the program with "
                           "stdin, stdout and stderr open", fd);
        }
    }
    return fk_ok();
}

fk_status fk_platform_executable_path(char *out, size_t size)
{
#ifdef __APPLE__
    char raw[FK_PATH_MAX];
    uint32_t raw_size = sizeof raw;
    if (_NSGetExecutablePath(raw, &raw_size) != 0 || realpath(raw, out) == NULL) {
        return fk_fail(FK_E_IO, errno, "cannot find the path of the executable; "
                       "start it through a real path");
    }
    (void)size;
    return fk_ok();
#else
    ssize_t length = readlink("/proc/self/exe", out, size - 1);
    if (length < 0) {
        return fk_fail(FK_E_IO, errno, "cannot read /proc/self/exe: %s; mount /proc",
                       strerror(errno));
    }
    if ((size_t)length >= size - 1) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "the path of the executable is longer than %lu "
                       "bytes; move it to a shorter path", (unsigned long)size);
    }
    out[length] = '\0';
    return fk_ok();
#endif
}

fk_status fk_path_dirname(char *out, size_t size, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t length;
    if (slash == NULL) {
        return fk_path_join(out, size, ".", "") ;
    }
    length = (size_t)(slash - path);
    if (length == 0) {
        length = 1; /* "/name" -> "/" */
    }
    if (length >= size) {
        return fk_fail(FK_E_IO, ENAMETOOLONG, "path %s is too long", path);
    }
    memcpy(out, path, length);
    out[length] = '\0';
    return fk_ok();
}

int fk_path_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

void fk_platform_file_info(const char *path, struct fk_file_info *info)
{
    struct stat st;
    memset(info, 0, sizeof *info);
    if (lstat(path, &st) != 0) {
        info->kind = FK_FILE_MISSING;
        return;
    }
    info->kind = S_ISREG(st.st_mode)   ? FK_FILE_REGULAR
                 : S_ISLNK(st.st_mode) ? FK_FILE_LINK
                 : S_ISDIR(st.st_mode) ? FK_FILE_DIR
                                       : FK_FILE_OTHER;
    info->size = (uint64_t)st.st_size;
#if defined(__APPLE__)
    info->changed = (int64_t)st.st_ctimespec.tv_sec * 1000000000 + st.st_ctimespec.tv_nsec;
#else
    info->changed = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
#endif
}

int fk_path_is_dir(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

fk_status fk_platform_open_read(const char *path, fk_handle *file, uint64_t *size)
{
    struct stat info;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fk_fail(FK_E_IO, errno, "cannot open %s for reading: %s; check that it exists "
                       "and is readable", path, strerror(errno));
    }
    if (fstat(fd, &info) != 0) {
        int err = errno;
        close(fd);
        return fk_fail(FK_E_IO, err, "cannot stat %s: %s", path, strerror(err));
    }
    *file = fd;
    *size = (uint64_t)info.st_size;
    return fk_ok();
}

fk_status fk_platform_read_at(fk_handle file, const char *path, uint64_t offset, void *buffer,
                              size_t length)
{
    unsigned char *cursor = buffer;
    while (length > 0) {
        ssize_t got = pread((int)file, cursor, length, (off_t)offset);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return fk_fail(FK_E_IO, errno, "cannot read %s at offset %llu: %s", path,
                           (unsigned long long)offset, strerror(errno));
        }
        if (got == 0) {
            return fk_fail(FK_E_ARCHIVE, 0, "archive truncated at offset %llu"
                           FK_DAMAGED, (unsigned long long)offset);
        }
        cursor += got;
        offset += (uint64_t)got;
        length -= (size_t)got;
    }
    return fk_ok();
}

int fk_platform_map(fk_handle file, uint64_t size, const unsigned char **data)
{
    void *address;
    if (size == 0 || size > SIZE_MAX) {
        return 0;
    }
    address = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, (int)file, 0);
    if (address == MAP_FAILED) {
        return 0;
    }
    *data = address;
    return 1;
}

void fk_platform_unmap(const unsigned char *data, uint64_t size)
{
    munmap((void *)data, (size_t)size);
}

#ifndef MAP_POPULATE
#define MAP_POPULATE 0 /* macOS: pages come on first touch */
#endif

void *fk_platform_alloc_pages(size_t size)
{
    void *address;
    if (size == 0) {
        return NULL;
    }
    address = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    return address == MAP_FAILED ? NULL : address;
}

void fk_platform_free_pages(void *data, size_t size)
{
    if (data != NULL) {
        munmap(data, size);
    }
}

void fk_platform_release_mapped(const unsigned char *data, size_t size)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)data + page - 1) / page * page;
    uintptr_t end = ((uintptr_t)data + size) / page * page;
    if (end > start) {
        madvise((void *)start, end - start, MADV_DONTNEED);
    }
}

void fk_platform_close(fk_handle file)
{
    if (file != FK_NO_HANDLE) {
        close((int)file);
    }
}

static fk_status write_error(const char *path, int err)
{
    const char *fix = (err == ENOSPC || err == EDQUOT || err == EFBIG)
                          ? "free some disk space, or point TMPDIR (temp mode) or "
                            "XDG_CACHE_HOME (cache mode) to a folder with room"
                          : "check the permissions and free space of the folder";
    return fk_fail(FK_E_IO, err, "cannot write %s: %s; %s", path, strerror(err), fix);
}

fk_status fk_platform_create_file(const char *path, fk_handle *file)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        *file = FK_NO_HANDLE;
        return write_error(path, errno);
    }
    *file = (fk_handle)fd;
    return fk_ok();
}

fk_status fk_platform_append(fk_handle file, const char *path, const void *data, size_t length)
{
    const unsigned char *cursor = data;
    while (length > 0) {
        ssize_t done = write((int)file, cursor, length);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done <= 0) {
            return write_error(path, done < 0 ? errno : EIO);
        }
        cursor += done;
        length -= (size_t)done;
    }
    return fk_ok();
}

fk_status fk_platform_write_at(fk_handle file, const char *path, uint64_t offset,
                               const void *data, size_t length)
{
    const unsigned char *cursor = data;
    while (length > 0) {
        ssize_t done = pwrite((int)file, cursor, length, (off_t)offset);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done <= 0) {
            return write_error(path, done < 0 ? errno : EIO);
        }
        cursor += done;
        offset += (uint64_t)done;
        length -= (size_t)done;
    }
    return fk_ok();
}

/* onefile temp mode: this process's end of the watchdog's socket (fk_platform_watchdog_start)
 * and what it is, so that a descriptor number the app closed (a daemon's close-all) and got
 * back for something else is never written to; -1: no watchdog to hand files to. Set before
 * any thread exists, cleared by fk_platform_watchdog_watch before any thread exists again. */
static int fk_handover = -1;
static struct stat fk_handover_info;

#ifdef MSG_NOSIGNAL
#define FK_SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL)
#else
#define FK_SEND_FLAGS MSG_DONTWAIT /* macOS: SO_NOSIGPIPE on the socket instead */
#endif

/* Hands the finished file `path` to the watchdog: a read-only descriptor of it (a writable
 * one would make an exec of the file fail with ETXTBSY) sent as SCM_RIGHTS with one byte,
 * without waiting. The watchdog keeps it until the folder is gone, so the app's removal at
 * its end only unlinks the name and the file's pages are freed in the watchdog, not in the
 * exit the caller waits for. Best effort: when the socket is full, the watchdog is gone or
 * anything fails, the file is not handed over and the app frees its pages itself. */
static void hand_over(const char *path)
{
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct stat now;
    struct msghdr message;
    struct iovec data;
    struct cmsghdr *rights;
    char byte = '\0';
    int fd;
    if (fk_handover < 0 || fstat(fk_handover, &now) != 0 ||
        now.st_ino != fk_handover_info.st_ino || now.st_dev != fk_handover_info.st_dev) {
        return;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return;
    }
    memset(&control, 0, sizeof control);
    memset(&message, 0, sizeof message);
    data.iov_base = &byte;
    data.iov_len = 1;
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.space;
    message.msg_controllen = sizeof control.space;
    rights = CMSG_FIRSTHDR(&message);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(rights), &fd, sizeof fd);
    (void)sendmsg(fk_handover, &message, FK_SEND_FLAGS);
    close(fd);
}

fk_status fk_platform_finish_file(fk_handle file, const char *path, unsigned mode, int failed)
{
    int err = 0;
    if (!failed && fchmod((int)file, (mode_t)(mode & 0777) | S_IRUSR) != 0) {
        err = errno;
    }
    if (close((int)file) != 0 && err == 0) {
        err = errno;
    }
    if (failed || err != 0) {
        unlink(path);
    } else {
        hand_over(path);
    }
    return err != 0 ? write_error(path, err) : fk_ok();
}

/* The folder that holds `relative` below `base`, as a descriptor: each parent component is
 * made if missing (0700) and opened with O_NOFOLLOW | O_DIRECTORY relative to the previous
 * one, so a symbolic link anywhere on the way stops the walk. *leaf: the last component. */
static fk_status open_parent_beneath(const char *base, const char *relative, int *dir_fd,
                                     const char **leaf)
{
    char part[FK_PATH_MAX];
    const char *cursor = relative;
    int dir = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        return fk_fail(FK_E_IO, errno, "cannot open folder %s: %s", base, strerror(errno));
    }
    for (;;) {
        const char *slash = strchr(cursor, '/');
        size_t length = slash ? (size_t)(slash - cursor) : strlen(cursor);
        int next;
        if (length == 0 || length >= sizeof part ||
            (length <= 2 && cursor[0] == '.' && (length == 1 || cursor[1] == '.'))) {
            close(dir);
            return fk_fail(FK_E_ARCHIVE, 0, "entry name %s is not a plain relative path"
                           FK_DAMAGED, relative);
        }
        if (slash == NULL) {
            *dir_fd = dir;
            *leaf = cursor;
            return fk_ok();
        }
        memcpy(part, cursor, length);
        part[length] = '\0';
        if (mkdirat(dir, part, 0700) != 0 && errno != EEXIST) {
            int err = errno;
            close(dir);
            return write_error(base, err);
        }
        next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int err = errno;
            close(dir);
            if (err == ELOOP || err == ENOTDIR) {
                return fk_fail(FK_E_ARCHIVE, 0, "entry %s passes through a symbolic link or a "
                               "file (%.*s), which would write outside the folder"
                               FK_DAMAGED, relative,
                               (int)(slash - relative), relative);
            }
            return fk_fail(FK_E_IO, err, "cannot open folder %s/%.*s: %s", base,
                           (int)(slash - relative), relative, strerror(err));
        }
        close(dir);
        dir = next;
        cursor = slash + 1;
    }
}

fk_status fk_platform_create_beneath(const char *base, const char *relative, fk_handle *file)
{
    const char *leaf;
    int dir = -1, fd;
    fk_status status = open_parent_beneath(base, relative, &dir, &leaf);
    *file = FK_NO_HANDLE;
    if (FK_FAILED(status)) {
        return status;
    }
    /* O_EXCL: an existing name, a symbolic link included, is never opened */
    fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        close(dir);
        return fk_fail(FK_E_IO, err, "cannot write %s/%s: %s; %s", base, relative,
                       strerror(err), err == EEXIST ? "the archive names it twice, or the "
                       "folder was changed during extraction" : "check the permissions and "
                       "free space of the folder");
    }
    close(dir);
    *file = (fk_handle)fd;
    return fk_ok();
}

fk_status fk_platform_symlink_beneath(const char *target, const char *base,
                                      const char *relative)
{
    const char *leaf;
    int dir = -1;
    fk_status status = open_parent_beneath(base, relative, &dir, &leaf);
    if (FK_FAILED(status)) {
        return status;
    }
    if (symlinkat(target, dir, leaf) != 0) {
        int err = errno;
        char path[FK_PATH_MAX];
        close(dir);
        snprintf(path, sizeof path, "%s/%s", base, relative);
        if (err == EPERM || err == ENOSYS || err == EOPNOTSUPP) {
            return fk_fail(FK_E_IO, err, "cannot create symbolic link %s -> %s: %s; this "
                           "filesystem does not support symbolic links, set TMPDIR (or build "
                           "with --runtime-tmpdir) to a folder on one that does",
                           path, target, strerror(err));
        }
        return write_error(path, err);
    }
    close(dir);
    return fk_ok();
}

fk_status fk_platform_symlink(const char *target, const char *path)
{
    if (symlink(target, path) != 0) {
        int err = errno;
        if (err == EPERM || err == ENOSYS || err == EOPNOTSUPP) {
            return fk_fail(FK_E_IO, err, "cannot create symbolic link %s -> %s: %s; this "
                           "filesystem does not support symbolic links, set TMPDIR (or build "
                           "with --runtime-tmpdir) to a folder on one that does",
                           path, target, strerror(err));
        }
        return write_error(path, err);
    }
    return fk_ok();
}

fk_status fk_platform_make_private_dir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        return fk_fail(FK_E_IO, errno, "cannot create folder %s: %s; check the permissions of "
                       "its parent", path, strerror(errno));
    }
    return fk_ok();
}

fk_status fk_platform_make_temp_dir(char *out, size_t size, const char *parent,
                                    const char *prefix)
{
    int written = snprintf(out, size, "%s/%sXXXXXX", parent, prefix);
    if (written < 0 || (size_t)written >= size) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "temp folder path %s is too long; set TMPDIR to "
                       "a shorter path", parent);
    }
    if (mkdtemp(out) == NULL) {
        return fk_fail(FK_E_ENV, errno, "cannot create a folder in %s: %s; set TMPDIR (or build "
                       "with --runtime-tmpdir) to a writable folder", parent, strerror(errno));
    }
    return fk_ok();
}

int fk_platform_remove_tree(const char *path)
{
    struct stat info;
    if (lstat(path, &info) != 0) {
        return errno == ENOENT ? 0 : -1;
    }
    if (S_ISDIR(info.st_mode)) {
        int failures = fk_platform_remove_entries(path);
        return rmdir(path) != 0 || failures ? -1 : 0;
    }
    return unlink(path);
}

fk_status fk_platform_rename_dir(const char *from, const char *to, int *lost)
{
    *lost = 0;
    if (rename(from, to) == 0) {
        return fk_ok();
    }
    if (errno == EEXIST || errno == ENOTEMPTY) {
        *lost = 1;
        return fk_ok();
    }
    return fk_fail(FK_E_IO, errno, "cannot rename %s to %s: %s; check the permissions of the "
                   "cache folder", from, to, strerror(errno));
}

unsigned long fk_platform_process_id(void)
{
    return (unsigned long)getpid();
}

fk_status fk_platform_rename_file(const char *from, const char *to, int *lost)
{
    /* rename(2) replaces atomically; a process that already mapped the old copy keeps it. */
    *lost = 0;
    if (rename(from, to) == 0) {
        return fk_ok();
    }
    {
        int err = errno;
        unlink(from);
        return fk_fail(FK_E_IO, err, "cannot rename %s to %s: %s", from, to, strerror(err));
    }
}

fk_status fk_platform_check_private_dir(const char *path, const char *fix)
{
    struct stat info;
    if (lstat(path, &info) != 0) {
        return fk_fail(FK_E_ENV, errno, "cannot inspect %s: %s; %s", path, strerror(errno), fix);
    }
    if (!S_ISDIR(info.st_mode)) {
        return fk_fail(FK_E_ENV, 0, "%s is not a folder (a symbolic link or a file); %s", path,
                       fix);
    }
    if (info.st_uid != geteuid()) {
        return fk_fail(FK_E_ENV, 0, "%s belongs to user id %lu, not to you (%lu); %s", path,
                       (unsigned long)info.st_uid, (unsigned long)geteuid(), fix);
    }
    if (info.st_mode & (S_IWGRP | S_IWOTH)) {
        return fk_fail(FK_E_ENV, 0, "%s is writable by other users (mode %03o); %s", path,
                       (unsigned)(info.st_mode & 0777), fix);
    }
    return fk_ok();
}

fk_status fk_platform_check_exec_allowed(const char *path, const char *fix)
{
#ifdef ST_NOEXEC
    struct statvfs info;
    if (statvfs(path, &info) == 0 && (info.f_flag & ST_NOEXEC)) {
        return fk_fail(FK_E_ENV, 0, "%s is on a filesystem mounted noexec, so the bundled "
                       "libraries cannot be loaded from it; %s", path, fix);
    }
#else
    (void)path;
    (void)fix;
#endif
    return fk_ok();
}

static int is_writable_dir(const char *path)
{
    struct stat info;
    return path[0] != '\0' && stat(path, &info) == 0 && S_ISDIR(info.st_mode) &&
           access(path, W_OK | X_OK) == 0;
}

fk_status fk_platform_temp_base(char *out, size_t size)
{
    static const char *const variables[] = {"TMPDIR", "TEMP", "TMP", NULL};
    static const char *const folders[] = {"/tmp", "/var/tmp", "/usr/tmp", NULL};
    const char *tmpdir = getenv("TMPDIR");
    size_t i;
    for (i = 0; variables[i] != NULL; i++) {
        const char *value = getenv(variables[i]);
        if (value != NULL && strlen(value) < size && is_writable_dir(value)) {
            memcpy(out, value, strlen(value) + 1);
            return fk_ok();
        }
    }
    for (i = 0; folders[i] != NULL; i++) {
        if (strlen(folders[i]) < size && is_writable_dir(folders[i])) {
            memcpy(out, folders[i], strlen(folders[i]) + 1);
            return fk_ok();
        }
    }
    if (getcwd(out, size) != NULL && is_writable_dir(out)) {
        return fk_ok();
    }
    out[0] = '\0';
    return fk_fail(FK_E_ENV, ENOENT, "found no folder to unpack into: TMPDIR%s%s%s, TEMP, TMP, "
                   "/tmp, /var/tmp, /usr/tmp and the current folder are not writable folders; "
                   "set TMPDIR to one", tmpdir ? " (" : "", tmpdir ? tmpdir : "",
                   tmpdir ? ")" : "");
}

fk_status fk_platform_lock_dir(const char *path, int shared, int wait, fk_handle *lock,
                               int *busy)
{
    struct stat held;
    struct stat current;
    int fd;
    int operation = (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
    *busy = 0;
    *lock = FK_NO_HANDLE;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return fk_fail(FK_E_IO, errno, "cannot open folder %s: %s", path, strerror(errno));
    }
    while (flock(fd, operation) != 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno == EWOULDBLOCK) {
            *busy = 1;
            close(fd);
            return fk_ok();
        }
        close(fd);
        return fk_fail(FK_E_IO, errno, "cannot lock folder %s: %s", path, strerror(errno));
    }
    /* Someone may have removed (swept) the folder between our open and our lock. */
    if (fstat(fd, &held) != 0 || stat(path, &current) != 0 || held.st_ino != current.st_ino ||
        held.st_dev != current.st_dev || held.st_nlink == 0) {
        close(fd);
        return fk_fail(FK_E_IO, ENOENT, "folder %s was removed while being locked", path);
    }
    *lock = fd;
    return fk_ok();
}

void fk_platform_unlock(fk_handle lock)
{
    if (lock != FK_NO_HANDLE) {
        close((int)lock); /* closing the descriptor releases the flock */
    }
}

void fk_platform_list_dir(const char *path, fk_dir_visitor visit, void *user)
{
    struct dirent *entry;
    DIR *dir = opendir(path);
    if (dir == NULL) {
        return;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        visit(user, path, entry->d_name);
    }
    closedir(dir);
}

int fk_platform_is_own_dir(const char *path)
{
    struct stat info;
    return lstat(path, &info) == 0 && S_ISDIR(info.st_mode) && info.st_uid == geteuid();
}

const char *fk_platform_getenv(const char *name)
{
    return getenv(name);
}

fk_status fk_platform_getenv_path(const char *name, char *out, size_t size)
{
    const char *value = getenv(name);
    int written = snprintf(out, size, "%s", value != NULL ? value : "");
    if (written < 0 || (size_t)written >= size) {
        out[0] = '\0';
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "environment variable %s is too long; set it to "
                       "a shorter path", name);
    }
    return fk_ok();
}

fk_status fk_platform_setenv(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0) {
        return fk_fail(FK_E_MEMORY, errno, "cannot set environment variable %s: %s", name,
                       strerror(errno));
    }
    return fk_ok();
}

void fk_platform_unsetenv(const char *name)
{
    unsetenv(name);
}

fk_status fk_platform_cache_home(char *out, size_t size)
{
    const char *home = getenv("HOME");
    int written;
    if (home == NULL || home[0] != '/') {
        struct passwd *entry = getpwuid(geteuid());
        home = entry ? entry->pw_dir : NULL;
    }
    if (home == NULL || home[0] != '/') {
        return fk_fail(FK_E_ENV, 0, "cannot find your home folder for the extraction cache; "
                       "set HOME or XDG_CACHE_HOME");
    }
    written = snprintf(out, size, "%s/.cache", home);
    if (written < 0 || (size_t)written >= size) {
        return fk_fail(FK_E_ENV, ENAMETOOLONG, "home folder path is too long; set "
                       "XDG_CACHE_HOME to a shorter path");
    }
    return fk_ok();
}

/* Closes every descriptor from `lowest` up: close_range where the kernel has it (Linux 5.9),
 * else the listing of /dev/fd (Linux: /proc/self/fd; macOS: fdesc), else every number below
 * the descriptor limit. */
static void close_from(int lowest)
{
    DIR *dir;
    long limit;
    int fd;
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned)lowest, ~0u, 0u) == 0) {
        return;
    }
#endif
    dir = opendir("/dev/fd");
    if (dir != NULL) {
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            fd = atoi(entry->d_name);
            if (fd >= lowest && fd != dirfd(dir) && entry->d_name[0] >= '0' &&
                entry->d_name[0] <= '9') {
                close(fd);
            }
        }
        closedir(dir);
        return;
    }
    limit = sysconf(_SC_OPEN_MAX);
    for (fd = lowest; fd < (limit > 0 && limit < 65536 ? limit : 65536); fd++) {
        close(fd);
    }
}

/* Waits for the end of the process `app` (the launcher): a process that closed descriptors
 * it did not open (a daemon's close-all) ends the stream while it still runs. Linux: a pidfd,
 * readable once it exited (zombie or not); elsewhere kill(0) every 100 ms. */
static void wait_for_app(pid_t app, int app_fd)
{
    if (app_fd >= 0) {
        struct pollfd exited;
        exited.fd = app_fd;
        exited.events = POLLIN;
        exited.revents = 0;
        while (poll(&exited, 1, -1) < 0 && errno == EINTR) {
        }
        return;
    }
    while (kill(app, 0) == 0) {
        usleep(100000);
    }
}

/* The descriptors the app handed over (hand_over), kept until the watchdog ends: when the app
 * removes the folder at its end, the last reference to those files is ours, so the kernel
 * frees their pages here, beside the caller, not in the app's exit the caller waits for. At
 * most FK_WATCHDOG_HELD; one more is closed at once (the app then frees that file). */
#define FK_WATCHDOG_HELD 4096
struct held_files {
    int *fds;
    size_t count;
};

/* One read of the socket into `buffer` (the byte count; 0 at the end of the stream, when no
 * process holds the app's end any more; -1 on an error); the descriptors that come with the
 * bytes go to `held`. */
static ssize_t receive(int input, char *buffer, size_t size, struct held_files *held)
{
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(16 * sizeof(int))];
    } control;
    struct msghdr message;
    struct iovec data;
    struct cmsghdr *part;
    ssize_t got;
    memset(&message, 0, sizeof message);
    data.iov_base = buffer;
    data.iov_len = size;
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.space;
    message.msg_controllen = sizeof control.space;
    do {
        got = recvmsg(input, &message, 0);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        return got;
    }
    for (part = CMSG_FIRSTHDR(&message); part != NULL; part = CMSG_NXTHDR(&message, part)) {
        const unsigned char *fds = CMSG_DATA(part);
        size_t count = (part->cmsg_len - (size_t)(fds - (const unsigned char *)part)) /
                       sizeof(int);
        size_t i;
        if (part->cmsg_level != SOL_SOCKET || part->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        for (i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, fds + i * sizeof fd, sizeof fd);
            if (held->fds != NULL && held->count < FK_WATCHDOG_HELD) {
                held->fds[held->count++] = fd;
            } else {
                close(fd);
            }
        }
    }
    return got;
}

/* Raises the soft limit of open descriptors toward what the held files need (the hard limit
 * at most): the usual soft limit, 1024, would refuse some of them. */
static void allow_held_files(void)
{
    struct rlimit limit;
    rlim_t wanted = FK_WATCHDOG_HELD + 64;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < wanted) {
        limit.rlim_cur = limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted
                             ? limit.rlim_max
                             : wanted;
        (void)setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* The watchdog itself (see platform.h): reads the folder's path and keeps the files handed
 * over (before and after the path), until the end of the stream, which comes when the last
 * process holding the app's end is gone, however it ended; then waits for the end of the
 * app's own process, removes the folder and lets the files go. Never returns. */
static void watchdog_run(int input, pid_t app)
{
    static const int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    char path[FK_PATH_MAX];
    size_t length = 0;
    int have_path = 0;
    struct stat watched;
    struct stat lock_info;
    struct held_files held;
    fk_handle lock;
    int busy = 0;
    int null_fd;
    int app_fd = -1;
    size_t i;

    for (i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        signal(ignored[i], SIG_IGN);
    }
    /* Only the socket's end stays: a pipe of the caller's (captured stdout, a job server)
     * must see its end when the app is gone, and the app's lock on the folder, inherited by
     * the fork, would block our own. */
    if (dup2(input, 3) != 3) {
        _exit(1);
    }
    input = 3;
    null_fd = open("/dev/null", O_RDWR); /* not 0-3: all four are open */
    for (i = 0; i < 3; i++) {
        if (null_fd < 0 || dup2(null_fd, (int)i) != (int)i) {
            _exit(1);
        }
    }
    close_from(4);
#if defined(__linux__) && defined(SYS_pidfd_open)
    app_fd = (int)syscall(SYS_pidfd_open, app, 0u); /* -1 before Linux 5.3: kill(0) then */
#endif
    allow_held_files();
    held.fds = malloc(FK_WATCHDOG_HELD * sizeof *held.fds);
    held.count = 0;
    /* The stream: the path, ended by '\0', and one '\0' with each file handed over (the
     * extraction's files come before the path). */
    for (;;) {
        char chunk[512];
        ssize_t got = receive(input, chunk, sizeof chunk, &held);
        ssize_t k;
        if (got <= 0) {
            break;
        }
        for (k = 0; k < got && !have_path; k++) {
            if (chunk[k] != '\0') {
                if (length == sizeof path - 1) {
                    _exit(0); /* not a path of ours */
                }
                path[length++] = chunk[k];
            } else if (length > 0) {
                path[length] = '\0';
                have_path = 1;
                /* The folder as it is now, while the app holds its lock: a folder that later
                 * takes the same name is not ours. */
                if (lstat(path, &watched) != 0 || !S_ISDIR(watched.st_mode)) {
                    _exit(0);
                }
            }
        }
    }
    if (!have_path) {
        _exit(0); /* nothing to watch (the start failed): the held files go with us */
    }
    wait_for_app(app, app_fd);
    if (!FK_FAILED(fk_platform_lock_dir(path, 0, 1, &lock, &busy)) && !busy &&
        fstat((int)lock, &lock_info) == 0 && lock_info.st_dev == watched.st_dev &&
        lock_info.st_ino == watched.st_ino) {
        fk_platform_remove_tree(path); /* holding the lock: late lockers see it is gone */
    }
    /* (gone already: the app removed it at its end, or a sweep did) */
    for (i = 0; i < held.count; i++) {
        close(held.fds[i]); /* the last references: the pages are freed now */
    }
    _exit(0);
}

void fk_platform_watchdog_start(struct fk_watchdog *watchdog)
{
    int ends[2];
    pid_t helper;
    pid_t app = getpid();
    watchdog->channel = FK_NO_HANDLE;
    watchdog->helper = 0;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ends) != 0) {
        return;
    }
    /* No thread exists yet, so nothing can fork or exec between socketpair() and these. */
    if (fcntl(ends[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(ends[1], F_SETFD, FD_CLOEXEC) != 0) {
        close(ends[0]);
        close(ends[1]);
        return;
    }
#ifdef SO_NOSIGPIPE
    {
        int on = 1; /* macOS: a watchdog that died must not take us with it (SIGPIPE) */
        (void)setsockopt(ends[1], SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
    }
#endif
    helper = fork();
    if (helper == 0) {
        /* The middle process: a new session for the watchdog, which it leaves as an orphan
         * (adopted by init or a subreaper) so that it is never the app's child. */
        pid_t watcher;
        setsid();
        watcher = fork();
        if (watcher == 0) {
            watchdog_run(ends[0], app);
        }
        _exit(watcher > 0 ? 0 : 1);
    }
    close(ends[0]);
    if (helper < 0) {
        close(ends[1]);
        return;
    }
    watchdog->channel = ends[1];
    watchdog->helper = (long)helper;
    /* the files unpacked from now on are handed to the watchdog as they are finished */
    if (fstat(ends[1], &fk_handover_info) == 0) {
        fk_handover = ends[1];
    }
}

static void close_channel(struct fk_watchdog *watchdog)
{
    fk_handover = -1;
    fk_platform_close(watchdog->channel);
    watchdog->channel = FK_NO_HANDLE;
}

void fk_platform_watchdog_watch(struct fk_watchdog *watchdog, const char *dir)
{
    struct sigaction ignore;
    struct sigaction previous;
    int wait_status = 0;
    pid_t waited = 0;
    if (watchdog->helper > 0) {
        do {
            waited = waitpid((pid_t)watchdog->helper, &wait_status, 0);
        } while (waited < 0 && errno == EINTR);
        watchdog->helper = 0;
    }
    if (watchdog->channel == FK_NO_HANDLE) {
        return;
    }
    if (waited < 0 || !WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0 || dir == NULL) {
        close_channel(watchdog); /* no watchdog, or nothing to watch: it ends */
        return;
    }
    /* A watchdog that died already must not take us with it (SIGPIPE). */
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &previous);
    if (write((int)watchdog->channel, dir, strlen(dir) + 1) != (ssize_t)(strlen(dir) + 1)) {
        close_channel(watchdog);
    }
    sigaction(SIGPIPE, &previous, NULL);
}

fk_status fk_platform_load_library(const char *path, void **library)
{
    *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (*library == NULL) {
        const char *reason = dlerror();
        return fk_fail(FK_E_PYTHON, 0, "cannot load %s: %s; the bundle is incomplete or was "
                       "built for another system, rebuild it", path,
                       reason ? reason : "unknown error");
    }
    return fk_ok();
}

int fk_platform_symbol(void *library, const char *name, void (**function)(void))
{
    void *address = dlsym(library ? library : RTLD_DEFAULT, name);
    /* ISO C has no object-to-function pointer conversion; POSIX guarantees this copy works. */
    memcpy(function, &address, sizeof *function);
    return address != NULL;
}

int fk_platform_data_symbol(void *library, const char *name, void **data)
{
    *data = dlsym(library ? library : RTLD_DEFAULT, name);
    return *data != NULL;
}

static void *thread_entry(void *arg)
{
    struct fk_thread *thread = arg;
    thread->work(thread->user);
    return NULL;
}

int fk_platform_thread_start(struct fk_thread *thread)
{
    pthread_t *id = malloc(sizeof *id); /* pthread_t is opaque: it may not fit a pointer */
    if (id == NULL || pthread_create(id, NULL, thread_entry, thread) != 0) {
        free(id);
        return 0;
    }
    thread->os = id;
    return 1;
}

void fk_platform_thread_join(struct fk_thread *thread)
{
    pthread_join(*(pthread_t *)thread->os, NULL);
    free(thread->os);
}

unsigned fk_platform_cpu_count(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (unsigned)online : 1u;
}

struct fk_monitor {
    pthread_mutex_t mutex;
    pthread_cond_t condition;
};

fk_status fk_platform_monitor_new(struct fk_monitor **monitor)
{
    *monitor = malloc(sizeof **monitor);
    if (*monitor == NULL || pthread_mutex_init(&(*monitor)->mutex, NULL) != 0) {
        free(*monitor);
        *monitor = NULL;
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for a lock");
    }
    if (pthread_cond_init(&(*monitor)->condition, NULL) != 0) {
        pthread_mutex_destroy(&(*monitor)->mutex);
        free(*monitor);
        *monitor = NULL;
        return fk_fail(FK_E_MEMORY, ENOMEM, "out of memory for a lock");
    }
    return fk_ok();
}

void fk_platform_monitor_free(struct fk_monitor *monitor)
{
    if (monitor != NULL) {
        pthread_cond_destroy(&monitor->condition);
        pthread_mutex_destroy(&monitor->mutex);
        free(monitor);
    }
}

void fk_platform_monitor_enter(struct fk_monitor *monitor)
{
    pthread_mutex_lock(&monitor->mutex);
}

void fk_platform_monitor_leave(struct fk_monitor *monitor)
{
    pthread_mutex_unlock(&monitor->mutex);
}

void fk_platform_monitor_wait(struct fk_monitor *monitor)
{
    pthread_cond_wait(&monitor->condition, &monitor->mutex);
}

void fk_platform_monitor_notify(struct fk_monitor *monitor)
{
    pthread_cond_broadcast(&monitor->condition);
}

void fk_platform_show_dialog(const char *title, const char *text)
{
    (void)title; /* no dialog here (FK_HAS_DIALOG is 0): stderr is all there is */
    (void)text;
}

void fk_platform_exit_interrupted(void)
{
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
}
