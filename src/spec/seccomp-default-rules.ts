// DEFAULT_SECCOMP_RULES is berth's default seccomp policy as data: the
// policy of Docker's profiles/seccomp/default.json (moby, 2024; the same as
// containerd's contrib/seccomp/seccomp_default.go), rule by rule in its
// order. Everything not allowed fails with EPERM (defaultErrnoRet 1), as
// there. A rule applies when its `includes` hold and its `excludes` do not:
// `caps` against the container's bounding set, `arches` against the host's
// (Go's names: amd64, x86, x32, arm64, arm, ...), `minKernel` against the
// running kernel. seccomp-profile.ts turns the rules into linux.seccomp.

export type SeccompAction = "SCMP_ACT_ALLOW" | "SCMP_ACT_ERRNO";

export interface SeccompRuleArg {
  index: number;
  value: number;
  op: "SCMP_CMP_EQ" | "SCMP_CMP_NE" | "SCMP_CMP_MASKED_EQ";
}

export interface SeccompRuleCondition {
  caps?: readonly string[];
  arches?: readonly string[];
  minKernel?: string;
}

export interface SeccompRule {
  names: readonly string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: readonly SeccompRuleArg[];
  includes?: SeccompRuleCondition;
  excludes?: SeccompRuleCondition;
  // why says where the rule comes from and what it is for.
  why: string;
}

// EPERM for every call no rule allows (default.json's defaultErrnoRet).
export const DEFAULT_ERRNO_RET = 1;
const ENOSYS = 38;

// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
// | CLONE_NEWPID | CLONE_NEWNET (0x7E020000): clone(2) is allowed only when
// none of these flags is set, so a container without CAP_SYS_ADMIN makes no
// namespace (default.json's 2114060288).
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

// personality(2)'s harmless values (default.json): PER_LINUX (0), PER_LINUX32
// (8), UNAME26 (0x20000), PER_LINUX32|UNAME26 (0x20008), and 0xffffffff, the
// query. Others (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC...) weaken ASLR or NX.
const PERSONALITY_SAFE = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

const split = (text: string): string[] => text.trim().split(/\s+/);

// The unconditional allowlist (default.json's first rule).
const ALWAYS_ALLOWED = split(`
  accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime clock_adjtime64
  clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range
  connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2
  epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64
  fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr
  flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex
  futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32
  getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
  getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
  gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl
  io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter
  io_uring_register io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
  lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
  membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect
  mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink
  mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect
  open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
  ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev
  pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages
  removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
  rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity
  sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
  sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp
  select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid
  setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32
  setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt
  set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd
  signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync
  sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
  timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times
  tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice
  wait4 waitid waitpid write writev
`);

// The calls CAP_SYS_ADMIN makes safe to allow (default.json): namespaces,
// mounts, bpf, perf, quotas, host and domain names, the kernel log.
const SYS_ADMIN_CALLS = split(`
  bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr move_mount open_tree
  perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare
`);

const allow = (names: readonly string[], why: string, more: Partial<SeccompRule> = {}): SeccompRule => ({ names, action: "SCMP_ACT_ALLOW", why, ...more });
const withCap = (cap: string, names: readonly string[], why: string): SeccompRule => allow(names, why, { includes: { caps: [cap] } });

export const DEFAULT_SECCOMP_RULES: readonly SeccompRule[] = [
  allow(ALWAYS_ALLOWED, "default.json's allowlist: what ordinary programs call"),
  allow(["process_vm_readv", "process_vm_writev", "ptrace"], "since 4.8 seccomp cannot be bypassed with ptrace (default.json)", {
    includes: { minKernel: "4.8" },
  }),
  allow(["socket"], "every address family but AF_VSOCK (40), which reaches the hypervisor (default.json)", {
    args: [{ index: 0, value: 40, op: "SCMP_CMP_NE" }],
  }),
  ...PERSONALITY_SAFE.map((value) =>
    allow(["personality"], `personality(${value === 0xffffffff ? "0xffffffff, the query" : `0x${value.toString(16)}`}): harmless execution domains (default.json)`, {
      args: [{ index: 0, value, op: "SCMP_CMP_EQ" }],
    }),
  ),
  allow(["sync_file_range2", "swapcontext"], "ppc64le's own calls (default.json)", { includes: { arches: ["ppc64le"] } }),
  allow(["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"], "arm's own calls (default.json)", {
    includes: { arches: ["arm", "arm64"] },
  }),
  allow(["arch_prctl"], "x86-64's thread-pointer call (default.json)", { includes: { arches: ["amd64", "x32"] } }),
  allow(["modify_ldt"], "x86's LDT call (default.json)", { includes: { arches: ["amd64", "x32", "x86"] } }),
  allow(["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"], "s390's own calls (default.json)", { includes: { arches: ["s390", "s390x"] } }),
  allow(["riscv_flush_icache"], "riscv64's own call (default.json)", { includes: { arches: ["riscv64"] } }),
  withCap("CAP_DAC_READ_SEARCH", ["open_by_handle_at"], "the shocker escape needs it: only with CAP_DAC_READ_SEARCH (default.json)"),
  withCap("CAP_SYS_ADMIN", SYS_ADMIN_CALLS, "namespaces, mounts, bpf, perf and the kernel log: only with CAP_SYS_ADMIN (default.json)"),
  allow(["clone"], "clone without namespace flags, for threads and fork (default.json)", {
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: "SCMP_CMP_MASKED_EQ" }],
    excludes: { caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"] },
  }),
  allow(["clone"], "s390 puts clone's flags second (default.json)", {
    args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, op: "SCMP_CMP_MASKED_EQ" }],
    includes: { arches: ["s390", "s390x"] },
    excludes: { caps: ["CAP_SYS_ADMIN"] },
  }),
  {
    names: ["clone3"],
    action: "SCMP_ACT_ERRNO",
    errnoRet: ENOSYS,
    excludes: { caps: ["CAP_SYS_ADMIN"] },
    // seccomp cannot read clone3's flags (they sit in a struct in memory):
    // ENOSYS makes glibc and others fall back to clone, which the rule above
    // checks; EPERM would be taken as a real failure (default.json).
    why: "clone3 answers ENOSYS without CAP_SYS_ADMIN, so libc falls back to clone (default.json)",
  },
  withCap("CAP_SYS_BOOT", ["reboot"], "only with CAP_SYS_BOOT (default.json)"),
  withCap("CAP_SYS_CHROOT", ["chroot"], "only with CAP_SYS_CHROOT (default.json)"),
  withCap("CAP_SYS_MODULE", ["delete_module", "init_module", "finit_module"], "kernel modules: only with CAP_SYS_MODULE (default.json)"),
  withCap("CAP_SYS_PACCT", ["acct"], "process accounting: only with CAP_SYS_PACCT (default.json)"),
  withCap(
    "CAP_SYS_PTRACE",
    ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
    "other processes' memory: only with CAP_SYS_PTRACE (default.json)",
  ),
  withCap("CAP_SYS_RAWIO", ["iopl", "ioperm"], "I/O ports: only with CAP_SYS_RAWIO (default.json)"),
  withCap("CAP_SYS_TIME", ["settimeofday", "stime", "clock_settime", "clock_settime64"], "the host's clock: only with CAP_SYS_TIME (default.json)"),
  withCap("CAP_SYS_TTY_CONFIG", ["vhangup"], "only with CAP_SYS_TTY_CONFIG (default.json)"),
  withCap("CAP_SYS_NICE", ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"], "NUMA policy: only with CAP_SYS_NICE (default.json)"),
  withCap("CAP_SYSLOG", ["syslog"], "the kernel log: only with CAP_SYSLOG (default.json)"),
  withCap("CAP_BPF", ["bpf"], "only with CAP_BPF (default.json)"),
  withCap("CAP_PERFMON", ["perf_event_open"], "only with CAP_PERFMON (default.json)"),
];
