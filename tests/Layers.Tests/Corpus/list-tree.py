#!/usr/bin/env python3
"""Prints one canonical line per entry of a tree, names and values as hex-safe text: type, mode, owner, size,
mtime (ns), link count, device, link target, sha256 of the content, every xattr with its exact bytes. Used to
compare an applied layer with a reference extraction byte for byte and attribute for attribute."""
import hashlib, os, stat, sys

root = os.fsencode(sys.argv[1])
skip_times = len(sys.argv) > 2 and sys.argv[2] == '--no-dir-times'

def show(b):
    return b.decode('utf-8', 'backslashreplace')

def line(rel, path):
    st = os.lstat(path)
    kind = stat.S_IFMT(st.st_mode)
    parts = [show(rel) or '.', 'type=%o' % kind, 'uid=%d' % st.st_uid, 'gid=%d' % st.st_gid]
    if not stat.S_ISLNK(st.st_mode):
        parts.append('mode=%04o' % stat.S_IMODE(st.st_mode))
    if not (stat.S_ISDIR(st.st_mode) and skip_times):
        parts.append('mtime=%d' % st.st_mtime_ns)
    if not stat.S_ISDIR(st.st_mode):
        parts.append('nlink=%d' % st.st_nlink)
    if stat.S_ISREG(st.st_mode):
        with open(path, 'rb') as f:
            parts.append('size=%d sha256=%s' % (st.st_size, hashlib.sha256(f.read()).hexdigest()))
    if stat.S_ISLNK(st.st_mode):
        parts.append('target=' + show(os.readlink(path)))
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        parts.append('dev=%d,%d' % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    for name in sorted(os.listxattr(path, follow_symlinks=False)):
        parts.append('xattr:%s=%s' % (name, os.getxattr(path, name, follow_symlinks=False).hex()))
    return ' '.join(parts)

out = [line(b'', root)]
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(dirnames + filenames):
        path = os.path.join(dirpath, name)
        out.append(line(os.path.relpath(path, root), path))
print('\n'.join(sorted(out)))
