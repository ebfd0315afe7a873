/*
 * Baseline for the stat benchmark: the smallest possible FUSE server, in C, single-threaded, speaking raw
 * /dev/fuse. It answers LOOKUP with a synthetic node (names starting with 'f' are files, others directories) and GETATTR with
 * fixed attributes and no attribute caching, so a stat through it costs one kernel round trip and nothing else.
 * It shows the floor the managed server is measured against. Usage: baseline <mount point>; prints READY.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static char request[(1 << 17) + 8192];

static void fill_attr(struct fuse_attr *attr, uint64_t id)
{
    attr->ino = id;
    attr->mode = (id == FUSE_ROOT_ID || (id & 1)) ? 040755 : 0100644;
    attr->nlink = 1;
    attr->blksize = 4096;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <mount point>\n", argv[0]);
        return 2;
    }
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    char options[256];
    snprintf(options, sizeof options, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fd);
    if (fd < 0 || mount("fuse-baseline", argv[1], "fuse.baseline", MS_RDONLY, options) != 0) {
        perror("mount");
        return 1;
    }
    printf("READY\n");
    fflush(stdout);
    uint64_t next = 2; /* even: files; odd (low bit set): directories */
    for (;;) {
        ssize_t n = read(fd, request, sizeof request);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
                continue;
            return 0; /* ENODEV: unmounted */
        }
        struct fuse_in_header *in = (struct fuse_in_header *)request;
        void *arg = request + sizeof *in;
        struct {
            struct fuse_out_header header;
            union {
                struct fuse_init_out init;
                struct fuse_entry_out entry;
                struct fuse_attr_out attr;
                struct fuse_open_out open;
            } body;
        } reply;
        memset(&reply, 0, sizeof reply);
        size_t length = 0;
        int error = 0;
        switch (in->opcode) {
        case FUSE_INIT: {
            struct fuse_init_in *init = arg;
            reply.body.init.major = FUSE_KERNEL_VERSION;
            reply.body.init.minor = init->minor < FUSE_KERNEL_MINOR_VERSION ? init->minor : FUSE_KERNEL_MINOR_VERSION;
            reply.body.init.max_readahead = init->max_readahead;
            reply.body.init.max_write = 1 << 17;
            reply.body.init.flags = init->flags & (FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS);
            length = sizeof reply.body.init;
            break;
        }
        case FUSE_LOOKUP: {
            const char *name = arg;
            next += 2;
            uint64_t id = next | (name[0] == 'f' ? 0 : 1);
            reply.body.entry.nodeid = id;
            reply.body.entry.entry_valid = 3600;
            fill_attr(&reply.body.entry.attr, id);
            length = sizeof reply.body.entry;
            break;
        }
        case FUSE_GETATTR:
            fill_attr(&reply.body.attr.attr, in->nodeid);
            length = sizeof reply.body.attr;
            break;
        case FUSE_FORGET:
        case FUSE_BATCH_FORGET:
            continue;
        case FUSE_OPENDIR:
            length = sizeof reply.body.open;
            break;
        case FUSE_RELEASEDIR:
        case FUSE_READDIR:
            break;
        default:
            error = -ENOSYS;
        }
        reply.header.len = sizeof reply.header + (error ? 0 : length);
        reply.header.error = error;
        reply.header.unique = in->unique;
        if (write(fd, &reply, reply.header.len) < 0 && errno != ENOENT)
            perror("write");
    }
}
