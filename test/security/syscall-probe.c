/* syscall-probe calls each system call named on its command line once, in a
 * way that succeeds for root with the capability it needs and without
 * seccomp, and prints "name=ok" or "name=ERRNO" (its symbolic errno). The
 * security tests compile it statically at test time (gcc), since busybox
 * has no applet for keyctl, add_key, bpf or perf_event_open. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "OTHER";
  }
}

static long probe(const char *name) {
  if (!strcmp(name, "keyctl")) /* KEYCTL_GET_KEYRING_ID of the session keyring, create */
    return syscall(SYS_keyctl, 0, -3, 1);
  if (!strcmp(name, "add_key"))
    return syscall(SYS_add_key, "user", "berth-probe", "x", 1, -3);
  if (!strcmp(name, "bpf")) { /* BPF_PROG_LOAD of nothing: fails EINVAL past seccomp with CAP_BPF */
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  }
  if (!strcmp(name, "perf_event_open")) { /* this process's task clock, user space only */
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  }
  if (!strcmp(name, "mount"))
    return mount("none", "/tmp", "tmpfs", 0, "");
  if (!strcmp(name, "unshare"))
    return unshare(CLONE_NEWUSER);
  if (!strcmp(name, "clone3")) { /* clone3 with an empty struct: past seccomp it fails EINVAL or forks */
    long r = syscall(SYS_clone3, NULL, 0);
    return r;
  }
  errno = ENOENT;
  return -1;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    errno = 0;
    long r = probe(argv[i]);
    printf("%s=%s\n", argv[i], r >= 0 ? "ok" : errname(errno));
  }
  return 0;
}
