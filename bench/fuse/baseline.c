/*
 * Baseline for the benchmark: the smallest possible FUSE server, in C, speaking the raw kernel protocol.
 * LOOKUP answers a synthetic node: names starting with 'f' are empty files, 'b' a 1 GiB file of zeros, others
 * directories; GETATTR has no attribute caching, so a stat costs kernel round trips and nothing else, and READ
 * replies straight from a static buffer. It shows the floor the managed server is measured against.
 *
 * Usage: baseline [--uring] [--no-default-permissions] [--array] <mount point>; prints READY once mounted.
 *   default   one thread, read(2)/write(2) on /dev/fuse
 *   --array   READ replies from a 1 GiB array instead of one cache-resident 1 MiB buffer, as the managed
 *             server's in-memory file does
 *   --uring   FUSE over io_uring (needs fuse.enable_uring=Y): one queue per CPU, each served by a thread pinned to
 *             it with its own ring and one entry; /dev/fuse still carries INIT and FORGET.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define BIG_SIZE (1ULL << 30)
#define KIND(id) ((id) & 3) /* 0 empty file, 1 directory, 2 big file */
#define PAYLOAD_SIZE (1 << 20)
#define OVER_IO_URING_FLAGS2 (1u << 9) /* FUSE_OVER_IO_URING >> 32 */

/* Protocol 7.42 structures that Debian's linux/fuse.h (7.38) does not have yet. */
struct init_in_ext { uint32_t major, minor, max_readahead, flags, flags2, unused[11]; };
struct init_out_ext {
    uint32_t major, minor, max_readahead, flags;
    uint16_t max_background, congestion_threshold;
    uint32_t max_write, time_gran;
    uint16_t max_pages, map_alignment;
    uint32_t flags2, max_stack_depth;
    uint16_t request_timeout, unused[11];
};
struct ring_header {
    char in_out[128];
    char op_in[128];
    struct { uint64_t flags, commit_id; uint32_t payload_sz, padding; uint64_t reserved; } ent;
};
struct ring_command { uint64_t flags, commit_id; uint16_t qid; uint8_t padding[6]; };

static int fd;
static uint64_t next_id = 4; /* the low two bits carry the kind */
static char zeros[PAYLOAD_SIZE];
static char *array; /* --array: the big file's bytes */

static void fill_attr(struct fuse_attr *attr, uint64_t id)
{
    memset(attr, 0, sizeof *attr);
    attr->ino = id;
    attr->mode = (id == FUSE_ROOT_ID || KIND(id) == 1) ? 040755 : 0100644;
    attr->size = KIND(id) == 2 ? BIG_SIZE : 0;
    attr->nlink = 1;
    attr->blksize = 4096;
}

/*
 * Builds the reply payload for a request into out; returns its length, or a negative errno.
 * arg is the opcode's argument (for LOOKUP the name). READ sets *data to the bytes to send.
 */
static int answer(const struct fuse_in_header *in, const void *arg, void *out, const void **data)
{
    switch (in->opcode) {
    case FUSE_LOOKUP: {
        const char *name = arg;
        struct fuse_entry_out *entry = out;
        uint64_t id = __atomic_add_fetch(&next_id, 4, __ATOMIC_RELAXED) | (name[0] == 'f' ? 0 : name[0] == 'b' ? 2 : 1);
        memset(entry, 0, sizeof *entry);
        entry->nodeid = id;
        entry->entry_valid = 3600;
        fill_attr(&entry->attr, id);
        return sizeof *entry;
    }
    case FUSE_GETATTR: {
        struct fuse_attr_out *attr = out;
        memset(attr, 0, sizeof *attr);
        fill_attr(&attr->attr, in->nodeid);
        return sizeof *attr;
    }
    case FUSE_OPENDIR:
    case FUSE_OPEN:
        memset(out, 0, sizeof(struct fuse_open_out));
        return sizeof(struct fuse_open_out);
    case FUSE_READ: {
        const struct fuse_read_in *read_in = arg;
        uint64_t size = KIND(in->nodeid) == 2 ? BIG_SIZE : 0;
        uint64_t count = read_in->offset >= size ? 0 : size - read_in->offset;
        if (count > read_in->size)
            count = read_in->size;
        if (count > sizeof zeros)
            count = sizeof zeros;
        *data = array != NULL ? array + read_in->offset : zeros;
        return (int)count;
    }
    case FUSE_RELEASE:
    case FUSE_RELEASEDIR:
    case FUSE_READDIR:
        return 0;
    default:
        return -ENOSYS;
    }
}

static void *ring_queue(void *arg)
{
    int qid = (int)(long)arg;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(qid, &cpus);
    pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);

    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    params.flags = IORING_SETUP_SQE128;
    int ring = syscall(SYS_io_uring_setup, 4, &params);
    if (ring < 0) {
        perror("io_uring_setup");
        exit(1);
    }
    size_t sq_size = params.sq_off.array + params.sq_entries * 4;
    size_t cq_size = params.cq_off.cqes + params.cq_entries * sizeof(struct io_uring_cqe);
    char *rings = mmap(0, sq_size > cq_size ? sq_size : cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    char *sqes = mmap(0, params.sq_entries * 128, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    unsigned *sq_tail = (unsigned *)(rings + params.sq_off.tail), sq_mask = *(unsigned *)(rings + params.sq_off.ring_mask);
    unsigned *sq_array = (unsigned *)(rings + params.sq_off.array);
    unsigned *cq_head = (unsigned *)(rings + params.cq_off.head), *cq_tail = (unsigned *)(rings + params.cq_off.tail);
    unsigned cq_mask = *(unsigned *)(rings + params.cq_off.ring_mask);
    struct io_uring_cqe *cqes = (void *)(rings + params.cq_off.cqes);

    struct ring_header *header = aligned_alloc(4096, 4096);
    char *payload = aligned_alloc(4096, PAYLOAD_SIZE);
    memset(header, 0, sizeof *header);
    struct iovec buffers[2] = { { header, sizeof *header }, { payload, PAYLOAD_SIZE } };
    uint32_t command = 1; /* FUSE_IO_URING_CMD_REGISTER, then COMMIT_AND_FETCH (2) */
    uint64_t commit_id = 0;
    for (;;) {
        unsigned tail = *sq_tail, index = tail & sq_mask;
        char *sqe = sqes + index * 128;
        memset(sqe, 0, 128);
        sqe[0] = IORING_OP_URING_CMD;
        *(int32_t *)(sqe + 4) = fd;
        *(uint32_t *)(sqe + 8) = command;
        *(uint64_t *)(sqe + 16) = (uint64_t)buffers;
        *(uint32_t *)(sqe + 24) = 2;
        struct ring_command *request = (void *)(sqe + 48);
        request->commit_id = commit_id;
        request->qid = qid;
        sq_array[index] = index;
        __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
        int submitted;
        do
            submitted = syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        while (submitted < 0 && errno == EINTR);
        unsigned head = *cq_head;
        while (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
            syscall(SYS_io_uring_enter, ring, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        int result = cqes[head & cq_mask].res;
        __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
        if (result < 0)
            return NULL; /* ENOTCONN: unmounted */

        struct fuse_in_header *in = (void *)header->in_out;
        uint32_t payload_in = header->ent.payload_sz;
        /* The fixed argument is in op_in (LOOKUP has none: its name starts the payload). */
        const void *arg = in->len - sizeof *in > payload_in ? (const void *)header->op_in : payload;
        const void *data = NULL;
        int length = answer(in, arg, payload, &data);
        if (data != NULL && length > 0)
            memcpy(payload, data, length);
        struct fuse_out_header out = { sizeof out + (length > 0 ? length : 0), length < 0 ? length : 0, in->unique };
        commit_id = header->ent.commit_id;
        memcpy(header->in_out, &out, sizeof out);
        header->ent.payload_sz = length > 0 ? length : 0;
        command = 2;
    }
}

int main(int argc, char **argv)
{
    int uring = 0, default_permissions = 1;
    const char *mount_point = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--uring") == 0)
            uring = 1;
        else if (strcmp(argv[i], "--no-default-permissions") == 0)
            default_permissions = 0;
        else if (strcmp(argv[i], "--array") == 0) {
            array = malloc(BIG_SIZE);
            if (array == NULL) {
                perror("malloc");
                return 1;
            }
            for (uint64_t i = 0; i < BIG_SIZE; i += 8)
                *(uint64_t *)(array + i) = i * 0x9E3779B97F4A7C15ULL; /* touch every page, not zeros */
        }
        else
            mount_point = argv[i];
    }
    if (mount_point == NULL) {
        fprintf(stderr, "usage: %s [--uring] [--no-default-permissions] [--array] <mount point>\n", argv[0]);
        return 2;
    }
    fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    char options[256];
    snprintf(options, sizeof options, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other%s", fd,
             default_permissions ? ",default_permissions" : "");
    if (fd < 0 || mount("fuse-baseline", mount_point, "fuse.baseline", MS_RDONLY, options) != 0) {
        perror("mount");
        return 1;
    }
    static char request[(1 << 17) + 8192];
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
                struct init_out_ext init;
                char payload[256];
            } body;
        } reply;
        memset(&reply, 0, sizeof reply);
        int length;
        if (in->opcode == FUSE_INIT) {
            struct init_in_ext *init = arg;
            reply.body.init.major = FUSE_KERNEL_VERSION;
            reply.body.init.minor = init->minor < 42 ? init->minor : 42;
            reply.body.init.max_readahead = init->max_readahead;
            reply.body.init.flags = init->flags & (FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES | (uring ? FUSE_INIT_EXT : 0));
            reply.body.init.flags2 = uring && (init->flags & FUSE_INIT_EXT) ? init->flags2 & OVER_IO_URING_FLAGS2 : 0;
            if (uring && reply.body.init.flags2 == 0) {
                fprintf(stderr, "the kernel does not offer FUSE over io_uring\n");
                return 1;
            }
            reply.body.init.max_write = 4096;
            reply.body.init.max_pages = 256;
            reply.body.init.max_background = 64;
            reply.body.init.congestion_threshold = 48;
            length = sizeof reply.body.init;
        } else if (in->opcode == FUSE_FORGET || in->opcode == FUSE_BATCH_FORGET) {
            continue;
        } else if (in->opcode == FUSE_READ) {
            const void *data = NULL;
            length = answer(in, arg, reply.body.payload, &data);
            struct fuse_out_header header = { sizeof header + length, 0, in->unique };
            struct iovec vectors[2] = { { &header, sizeof header }, { (void *)data, length } };
            if (writev(fd, vectors, 2) < 0 && errno != ENOENT)
                perror("writev");
            continue;
        } else {
            const void *data = NULL;
            length = answer(in, arg, reply.body.payload, &data);
        }
        reply.header.len = sizeof reply.header + (length > 0 ? length : 0);
        reply.header.error = length < 0 ? length : 0;
        reply.header.unique = in->unique;
        if (write(fd, &reply, reply.header.len) < 0 && errno != ENOENT)
            perror("write");
        if (in->opcode == FUSE_INIT) {
            if (uring) {
                long queues = sysconf(_SC_NPROCESSORS_CONF);
                for (long q = 0; q < queues; q++) {
                    pthread_t thread;
                    pthread_create(&thread, NULL, ring_queue, (void *)q);
                }
            }
            printf("READY\n");
            fflush(stdout);
        }
    }
}
