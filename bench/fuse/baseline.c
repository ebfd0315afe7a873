/*
 * Baseline for the benchmark: the smallest possible FUSE server, in C, single-threaded, speaking raw /dev/fuse.
 * LOOKUP answers a synthetic node: names starting with 'f' are empty files, 'b' a 1 GiB file of zeros, others
 * directories; GETATTR has no attribute caching, so a stat costs kernel round trips and nothing else, and READ
 * replies straight from a static buffer. It shows the floor the managed server is measured against.
 * Usage: baseline <mount point>; prints READY once mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <sys/uio.h>

#define BIG_SIZE (1ULL << 30)
#define KIND(id) ((id) & 3) /* 0 empty file, 1 directory, 2 big file */

static char request[(1 << 17) + 8192];
static char zeros[1 << 20];

static void fill_attr(struct fuse_attr *attr, uint64_t id)
{
    attr->ino = id;
    attr->mode = (id == FUSE_ROOT_ID || KIND(id) == 1) ? 040755 : 0100644;
    attr->size = KIND(id) == 2 ? BIG_SIZE : 0;
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
    uint64_t next = 4; /* the low two bits carry the kind */
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
            reply.body.init.flags = init->flags & (FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES);
            reply.body.init.max_pages = 256;
            reply.body.init.max_background = 64;
            reply.body.init.congestion_threshold = 48;
            length = sizeof reply.body.init;
            break;
        }
        case FUSE_LOOKUP: {
            const char *name = arg;
            next += 4;
            uint64_t id = next | (name[0] == 'f' ? 0 : name[0] == 'b' ? 2 : 1);
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
        case FUSE_OPEN:
            length = sizeof reply.body.open;
            break;
        case FUSE_READ: {
            struct fuse_read_in *read_in = arg;
            uint64_t size = KIND(in->nodeid) == 2 ? BIG_SIZE : 0;
            uint64_t count = read_in->offset >= size ? 0 : size - read_in->offset;
            if (count > read_in->size)
                count = read_in->size;
            if (count > sizeof zeros)
                count = sizeof zeros;
            reply.header.len = sizeof reply.header + count;
            reply.header.unique = in->unique;
            struct iovec vectors[2] = { { &reply.header, sizeof reply.header }, { zeros, count } };
            if (writev(fd, vectors, 2) < 0 && errno != ENOENT)
                perror("writev");
            continue;
        }
        case FUSE_RELEASE:
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
