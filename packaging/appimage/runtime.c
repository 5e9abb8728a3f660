// SPDX-License-Identifier: Apache-2.0
// podtap's AppImage runtime: the ELF at the front of a type-2 AppImage.
//
// A type-2 AppImage is this ELF, with the bytes 'A' 'I' 0x02 at file offset 8 (in the unused part of
// e_ident; stamped in after linking), followed directly by a squashfs image of the AppDir. The image
// starts where the ELF ends, which is where its section header table ends (the table is the last thing
// the linker writes). The runtime reads the image out of its own file, /proc/self/exe:
//
//   (no option)                  FUSE-mount the image read-only at a temporary mount point and exec
//                                AppRun there; the mount goes away once AppRun and everything it
//                                started have exited.
//   --appimage-extract [PATTERN] write the image (or the paths matching the fnmatch PATTERN) into
//                                ./squashfs-root.
//   --appimage-extract-and-run   extract into a temporary directory, run AppRun, remove the directory.
//                                For hosts without FUSE; APPIMAGE_EXTRACT_AND_RUN=1 does the same.
//   --appimage-offset            print the image's offset in this file.
//   --appimage-help              list these.
//
// AppRun gets APPIMAGE (this file's absolute path), APPDIR (the mounted or extracted AppDir), ARGV0 (how
// the AppImage was invoked) and OWD (the working directory it was started in), as AppImage tools expect.
//
// It is built on Debian's libsquashfuse (image reading and the FUSE low-level operations) and libfuse3
// (the session and the mount; an ordinary user mounts through the setuid fusermount3 of the fuse3
// package, which is therefore the one thing the mount needs on the host). Both are linked statically,
// with the decompressors, so the runtime itself needs only glibc.
#define _GNU_SOURCE

#include <ll.h> // libsquashfuse's FUSE low-level operations; pulls in squashfuse.h and fuse_lowlevel.h

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self_path; // absolute path of this AppImage

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("AppImage runtime: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

// The end of the ELF part of @p path: its section header table's end, for 32- and 64-bit ELF files of
// this machine's byte order. -1 with errno set when the file is no such ELF.
static off_t elf_end(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    unsigned char header[sizeof(Elf64_Ehdr)];
    ssize_t got = pread(fd, header, sizeof header, 0);
    close(fd);
    if (got < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(header, ELFMAG, SELFMAG) != 0) {
        errno = ENOEXEC;
        return -1;
    }
    if (header[EI_CLASS] == ELFCLASS64 && got == (ssize_t)sizeof(Elf64_Ehdr)) {
        Elf64_Ehdr eh;
        memcpy(&eh, header, sizeof eh);
        return (off_t)(eh.e_shoff + (Elf64_Off)eh.e_shentsize * eh.e_shnum);
    }
    if (header[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr eh;
        memcpy(&eh, header, sizeof eh);
        return (off_t)(eh.e_shoff + (Elf32_Off)eh.e_shentsize * eh.e_shnum);
    }
    errno = ENOEXEC;
    return -1;
}

static void open_image(sqfs *fs, off_t offset)
{
    if (sqfs_open_image(fs, self_path, (size_t)offset) != SQFS_OK) {
        // libsquashfuse has printed why (not a squashfs, unsupported compression, ...).
        die("%s has no readable squashfs image at offset %lld; the file is damaged or is no AppImage", self_path,
            (long long)offset);
    }
}

// ---- extraction ---------------------------------------------------------------------------------------

// Creates the directories leading to @p path (not @p path itself).
static void make_parents(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *slash = strchr(buf + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            die("cannot create the directory %s: %s", buf, strerror(errno));
        }
        *slash = '/';
    }
}

static void extract_file(sqfs *fs, sqfs_inode *inode, const char *target)
{
    const mode_t mode = inode->base.mode & 07777;
    unlink(target); // replace what an earlier extraction left, even when it was read-only
    int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode | S_IWUSR);
    if (fd < 0) {
        die("cannot create %s: %s", target, strerror(errno));
    }
    static char buf[1 << 17];
    sqfs_off_t offset = 0;
    const sqfs_off_t size = (sqfs_off_t)inode->xtra.reg.file_size;
    while (offset < size) {
        sqfs_off_t chunk = size - offset < (sqfs_off_t)sizeof buf ? size - offset : (sqfs_off_t)sizeof buf;
        if (sqfs_read_range(fs, inode, offset, &chunk, buf) != SQFS_OK || chunk <= 0) {
            die("cannot read %s from the image (at byte %lld)", target, (long long)offset);
        }
        for (sqfs_off_t done = 0; done < chunk;) {
            ssize_t written = write(fd, buf + done, (size_t)(chunk - done));
            if (written < 0) {
                die("cannot write %s: %s", target, strerror(errno));
            }
            done += written;
        }
        offset += chunk;
    }
    if (fchmod(fd, mode) != 0 || close(fd) != 0) {
        die("cannot finish %s: %s", target, strerror(errno));
    }
}

// Writes the image's entries (those matching @p pattern, or all) below @p dest. Returns how many.
static unsigned extract(off_t offset, const char *dest, const char *pattern)
{
    sqfs fs;
    open_image(&fs, offset);
    if (mkdir(dest, 0755) != 0 && errno != EEXIST) {
        die("cannot create %s: %s", dest, strerror(errno));
    }
    sqfs_traverse trv;
    if (sqfs_traverse_open(&trv, &fs, sqfs_inode_root(&fs)) != SQFS_OK) {
        die("cannot read the root directory of the image in %s", self_path);
    }
    unsigned count = 0;
    sqfs_err err = SQFS_OK;
    char target[PATH_MAX];
    while (sqfs_traverse_next(&trv, &err)) {
        if (trv.dir_end) {
            continue;
        }
        if (pattern && fnmatch(pattern, trv.path, 0) != 0) {
            continue;
        }
        if ((size_t)snprintf(target, sizeof target, "%s/%s", dest, trv.path) >= sizeof target) {
            die("the path %s/%s is too long", dest, trv.path);
        }
        sqfs_inode inode;
        if (sqfs_inode_get(&fs, &inode, sqfs_dentry_inode(&trv.entry)) != SQFS_OK) {
            die("cannot read the inode of %s in the image", trv.path);
        }
        make_parents(target);
        switch (inode.base.inode_type) {
        case SQUASHFS_DIR_TYPE:
        case SQUASHFS_LDIR_TYPE:
            // Owner-writable, so that the tree can be extracted into and removed again.
            if (mkdir(target, (inode.base.mode & 07777) | S_IRWXU) != 0 && errno != EEXIST) {
                die("cannot create the directory %s: %s", target, strerror(errno));
            }
            break;
        case SQUASHFS_REG_TYPE:
        case SQUASHFS_LREG_TYPE:
            extract_file(&fs, &inode, target);
            break;
        case SQUASHFS_SYMLINK_TYPE:
        case SQUASHFS_LSYMLINK_TYPE: {
            char link[PATH_MAX];
            size_t size = sizeof link;
            if (sqfs_readlink(&fs, &inode, link, &size) != SQFS_OK) {
                die("cannot read the symbolic link %s in the image", trv.path);
            }
            unlink(target);
            if (symlink(link, target) != 0) {
                die("cannot create the symbolic link %s: %s", target, strerror(errno));
            }
            break;
        }
        default:
            // Device nodes, FIFOs and sockets have no place in an AppDir.
            fprintf(stderr, "AppImage runtime: skipping %s (not a file, directory or symbolic link)\n", trv.path);
            continue;
        }
        ++count;
    }
    if (err != SQFS_OK) {
        die("the image in %s is damaged: reading its directory tree failed", self_path);
    }
    sqfs_traverse_close(&trv);
    sqfs_destroy(&fs);
    return count;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (remove(path) != 0) {
        fprintf(stderr, "AppImage runtime: cannot remove %s: %s\n", path, strerror(errno));
    }
    return 0;
}

// ---- running AppRun -----------------------------------------------------------------------------------

static void set_environment(const char *appdir, const char *argv0)
{
    char cwd[PATH_MAX];
    setenv("APPIMAGE", self_path, 1);
    setenv("APPDIR", appdir, 1);
    setenv("ARGV0", argv0, 1);
    if (getcwd(cwd, sizeof cwd)) {
        setenv("OWD", cwd, 1);
    }
}

static void exec_apprun(const char *appdir, char **args)
{
    char apprun[PATH_MAX];
    snprintf(apprun, sizeof apprun, "%s/AppRun", appdir);
    args[0] = apprun;
    execv(apprun, args);
    fprintf(stderr, "AppImage runtime: cannot run %s: %s\n", apprun, strerror(errno));
    _exit(127);
}

static volatile pid_t forward_to;

static void forward_signal(int sig)
{
    if (forward_to > 0) {
        kill(forward_to, sig);
    }
}

static int extract_and_run(off_t offset, const char *argv0, char **args)
{
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/appimage_extracted_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        die("cannot create a temporary directory %s: %s (set TMPDIR to a writable directory)", dir, strerror(errno));
    }
    extract(offset, dir, NULL);
    set_environment(dir, argv0);
    pid_t child = fork();
    if (child < 0) {
        die("fork: %s", strerror(errno));
    }
    if (child == 0) {
        exec_apprun(dir, args);
    }
    // The terminal's SIGINT reaches AppRun directly; SIGTERM and SIGHUP sent to this process are passed on,
    // so that the directory is removed after AppRun has gone.
    forward_to = child;
    struct sigaction sa = {.sa_handler = forward_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGINT, SIG_IGN);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) { }
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

// The FUSE side of a mount, in the child. Serves requests until the kernel ends the connection or until
// every holder of @p keepalive's write end (AppRun and whatever it started) has exited, then unmounts.
static void serve(struct fuse_session *se, int keepalive, const char *mountpoint)
{
    struct fuse_buf buf = {0};
    struct pollfd fds[2] = {{.fd = fuse_session_fd(se), .events = POLLIN}, {.fd = keepalive, .events = POLLIN}};
    while (!fuse_session_exited(se)) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (fds[1].revents) { // end of file: the last user is gone
            break;
        }
        if (fds[0].revents & POLLIN) {
            int got = fuse_session_receive_buf(se, &buf);
            if (got == -EINTR || got == -EAGAIN) {
                continue;
            }
            if (got <= 0) {
                break;
            }
            fuse_session_process_buf(se, &buf);
        } else if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            break;
        }
    }
    free(buf.mem);
    // A lazy unmount: it succeeds even if a straggler still has a file open.
    fuse_session_unmount(se);
    fuse_session_destroy(se);
    rmdir(mountpoint);
}

static int mount_and_run(off_t offset, const char *argv0, char **args)
{
    const char *tmp = getenv("TMPDIR");
    const char *base = strrchr(self_path, '/') + 1;
    char mountpoint[PATH_MAX];
    snprintf(mountpoint, sizeof mountpoint, "%s/.mount_%.6sXXXXXX", tmp && *tmp ? tmp : "/tmp", base);
    if (!mkdtemp(mountpoint)) {
        die("cannot create the mount point %s: %s (set TMPDIR to a writable directory)", mountpoint, strerror(errno));
    }
    int ready[2];
    int keepalive[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe(keepalive) != 0) {
        die("pipe: %s", strerror(errno));
    }
    pid_t child = fork();
    if (child < 0) {
        die("fork: %s", strerror(errno));
    }
    if (child == 0) {
        close(ready[0]);
        close(keepalive[1]);
        // Out of the terminal's process group: Ctrl-C stops the application, whose exit then ends the mount,
        // rather than killing the file system under it.
        setsid();
        if (chdir("/") != 0) {
            _exit(1);
        }
        sqfs_ll *ll = sqfs_ll_open(self_path, (size_t)offset);
        if (!ll) {
            fprintf(stderr, "AppImage runtime: %s has no readable squashfs image at offset %lld\n", self_path,
                (long long)offset);
            _exit(1);
        }
        struct fuse_lowlevel_ops ops = {
            .getattr = sqfs_ll_op_getattr,
            .opendir = sqfs_ll_op_opendir,
            .releasedir = sqfs_ll_op_releasedir,
            .readdir = sqfs_ll_op_readdir,
            .lookup = sqfs_ll_op_lookup,
            .open = sqfs_ll_op_open,
            .create = sqfs_ll_op_create,
            .release = sqfs_ll_op_release,
            .read = sqfs_ll_op_read,
            .readlink = sqfs_ll_op_readlink,
            .listxattr = sqfs_ll_op_listxattr,
            .getxattr = sqfs_ll_op_getxattr,
            .forget = sqfs_ll_op_forget,
        };
        // fsname is this file (as mount(8) and findmnt show it); libfuse's option syntax needs ',' and '\\'
        // in it escaped.
        char fsname[2 * PATH_MAX + 64];
        char *out = fsname + sprintf(fsname, "-ofsname=");
        for (const char *in = self_path; *in; ++in) {
            if (*in == ',' || *in == '\\') {
                *out++ = '\\';
            }
            *out++ = *in;
        }
        strcpy(out, ",subtype=appimage,ro,nodev,nosuid");
        char *fuse_argv[] = {(char *)"appimage", fsname, NULL};
        struct fuse_args fuse_args = FUSE_ARGS_INIT(2, fuse_argv);
        struct fuse_session *se = fuse_session_new(&fuse_args, &ops, sizeof ops, ll);
        if (!se || fuse_session_mount(se, mountpoint) != 0) {
            // libfuse has said why on stderr (no /dev/fuse, no fusermount3, ...).
            rmdir(mountpoint);
            _exit(1);
        }
        if (write(ready[1], "1", 1) != 1) {
            _exit(1);
        }
        close(ready[1]);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            // Let a caller that reads the application's output see its end when the application exits.
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            close(devnull);
        }
        serve(se, keepalive[0], mountpoint);
        _exit(0);
    }
    close(ready[1]);
    close(keepalive[0]);
    char byte;
    ssize_t got;
    while ((got = read(ready[0], &byte, 1)) < 0 && errno == EINTR) { }
    if (got != 1) {
        waitpid(child, NULL, 0);
        rmdir(mountpoint);
        die("cannot mount %s with FUSE at %s. FUSE needs /dev/fuse and fusermount3 (Debian and Ubuntu: "
            "apt-get install fuse3). Without FUSE, run it with --appimage-extract-and-run, or unpack it with "
            "--appimage-extract.",
            self_path, mountpoint);
    }
    close(ready[0]);
    // keepalive[1] stays open across exec (no close-on-exec): the mount lives as long as some process holds it.
    set_environment(mountpoint, argv0);
    exec_apprun(mountpoint, args);
    return 127;
}

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: %s [--appimage-OPTION] [ARGUMENT...]\n"
        "Without an --appimage- option it runs the application, with ARGUMENTs passed on.\n\n"
        "  --appimage-extract [PATTERN]  extract the contents (or the paths matching the shell PATTERN)\n"
        "                                into ./squashfs-root\n"
        "  --appimage-extract-and-run    extract into a temporary directory, run, and remove it again\n"
        "                                (for systems without FUSE; also APPIMAGE_EXTRACT_AND_RUN=1)\n"
        "  --appimage-offset             print the offset of the squashfs image in this file\n"
        "  --appimage-help               print this help\n\n"
        "The application runs from a read-only FUSE mount, which needs /dev/fuse and fusermount3 (package fuse3).\n",
        self_path);
}

int main(int argc, char **argv)
{
    static char path[PATH_MAX];
    if (!realpath("/proc/self/exe", path)) {
        die("cannot find its own file through /proc/self/exe: %s (is /proc mounted?)", strerror(errno));
    }
    self_path = path;
    const off_t offset = elf_end(self_path);
    if (offset <= 0) {
        die("cannot read the ELF header of %s: %s", self_path, strerror(errno));
    }

    const char *option = argc > 1 && strncmp(argv[1], "--appimage-", 11) == 0 ? argv[1] : NULL;
    // What AppRun receives: argv[0] is filled in with AppRun's path, then the arguments after any option.
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) {
        die("out of memory");
    }
    for (int i = option ? 2 : 1, n = 1; i < argc; ++i, ++n) {
        args[n] = argv[i];
    }

    if (!option) {
        const char *env = getenv("APPIMAGE_EXTRACT_AND_RUN");
        if (env && strcmp(env, "1") == 0) {
            return extract_and_run(offset, argv[0], args);
        }
        return mount_and_run(offset, argv[0], args);
    }
    if (strcmp(option, "--appimage-offset") == 0) {
        printf("%lld\n", (long long)offset);
        return 0;
    }
    if (strcmp(option, "--appimage-help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(option, "--appimage-extract") == 0) {
        if (argc > 3) {
            die("--appimage-extract takes at most one PATTERN, got %d arguments", argc - 2);
        }
        const char *pattern = argc == 3 ? argv[2] : NULL;
        unsigned count = extract(offset, "squashfs-root", pattern);
        if (pattern && count == 0) {
            die("nothing in %s matches '%s'", self_path, pattern);
        }
        return 0;
    }
    if (strcmp(option, "--appimage-extract-and-run") == 0) {
        return extract_and_run(offset, argv[0], args);
    }
    fprintf(stderr, "AppImage runtime: unknown option %s\n\n", option);
    usage(stderr);
    return 1;
}
