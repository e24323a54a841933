// System calls the boot stage needs from Node.js, which either has no binding for them or makes
// them expensive:
//   mount, umount  mount(2) and umount2(2), so that the stage does not start mount(8);
//   spawn          a synchronous process runner on posix_spawn(3) and poll(2). Under emulation
//                  every child_process spawn costs ≈ 0.1 s (Node forks its whole process and builds
//                  three stream objects) and the first one ≈ 0.4 s more (it loads child_process,
//                  net and dgram). posix_spawn uses clone(CLONE_VM | CLONE_VFORK): nothing is copied.
//
// Node-API only, version 8: the same file loads in Debian 12's Node.js 18 (libnode.so.108) and in
// newer ones. Failures throw an Error shaped like Node's own system errors: code ("EBUSY"), errno
// (positive, as in errno(3)), syscall, and strerror's text. Nothing is kept between calls.
#define _GNU_SOURCE // pipe2, explicit_bzero, posix_spawn_file_actions_add{chdir,closefrom}_np (glibc 2.34)
#define NAPI_VERSION 8

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>

#define NAME(e) \
  case e:       \
    return #e;

// The errors mount(2), umount2(2) and posix_spawn(3) document, and a few that filesystems add.
static const char *errno_name(int err, char *fallback, size_t size) {
  switch (err) {
    NAME(EPERM) NAME(ENOENT) NAME(EINTR) NAME(EIO) NAME(ENXIO) NAME(E2BIG) NAME(ENOEXEC) NAME(EBADF)
    NAME(ECHILD) NAME(EAGAIN) NAME(ENOMEM) NAME(EACCES) NAME(EFAULT) NAME(ENOTBLK) NAME(EBUSY)
    NAME(EEXIST) NAME(EXDEV) NAME(ENODEV) NAME(ENOTDIR) NAME(EISDIR) NAME(EINVAL) NAME(ENFILE)
    NAME(EMFILE) NAME(ETXTBSY) NAME(ENOSPC) NAME(EROFS) NAME(EPIPE) NAME(ENAMETOOLONG) NAME(ELOOP)
    NAME(ENOSYS) NAME(EOPNOTSUPP) NAME(ESTALE) NAME(EUCLEAN)
  }
  snprintf(fallback, size, "E%d", err);
  return fallback;
}

// The names Node.js gives signals on Linux (os.constants.signals).
static const char *signal_name(int sig, char *fallback, size_t size) {
  switch (sig) {
    NAME(SIGHUP) NAME(SIGINT) NAME(SIGQUIT) NAME(SIGILL) NAME(SIGTRAP) NAME(SIGABRT) NAME(SIGBUS)
    NAME(SIGFPE) NAME(SIGKILL) NAME(SIGUSR1) NAME(SIGSEGV) NAME(SIGUSR2) NAME(SIGPIPE) NAME(SIGALRM)
    NAME(SIGTERM) NAME(SIGCHLD) NAME(SIGCONT) NAME(SIGSTOP) NAME(SIGTSTP) NAME(SIGTTIN) NAME(SIGTTOU)
    NAME(SIGURG) NAME(SIGXCPU) NAME(SIGXFSZ) NAME(SIGVTALRM) NAME(SIGPROF) NAME(SIGWINCH) NAME(SIGIO)
    NAME(SIGPWR) NAME(SIGSYS)
#ifdef SIGSTKFLT
    NAME(SIGSTKFLT)
#endif
  }
  snprintf(fallback, size, "SIG%d", sig);
  return fallback;
}

static void throw_errno(napi_env env, const char *syscall, int err) {
  char fallback[16], text[128];
  napi_value code, message, error, number, name;
  snprintf(text, sizeof text, "%s(2): %s", syscall, strerror(err));
  if (napi_create_string_utf8(env, errno_name(err, fallback, sizeof fallback), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, code, message, &error) != napi_ok ||
      napi_create_int32(env, err, &number) != napi_ok ||
      napi_set_named_property(env, error, "errno", number) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_set_named_property(env, error, "syscall", name) != napi_ok)
    return;
  napi_throw(env, error);
}

// Always false, so that argument readers can `return invalid(...)`.
static bool invalid(napi_env env, const char *code, const char *function, const char *argument, const char *expected) {
  char text[128];
  snprintf(text, sizeof text, "%s: %s must be %s", function, argument, expected);
  napi_throw_type_error(env, code, text);
  return false;
}

static bool out_of_memory(napi_env env) {
  napi_throw_error(env, "ENOMEM", "out of memory");
  return false;
}

static bool is_undefined(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && type == napi_undefined;
}

// A malloc'ed copy of a string argument, or NULL for null when `nullable`. A NUL inside the string
// is refused: C would silently cut the path there.
static bool get_string(napi_env env, napi_value value, const char *function, const char *argument, bool nullable,
                       char **out) {
  napi_valuetype type;
  size_t length;
  *out = NULL;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_null && nullable) return true;
  if (type != napi_string)
    return invalid(env, "ERR_INVALID_ARG_TYPE", function, argument, nullable ? "a string or null" : "a string");
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return false;
  if (!(*out = malloc(length + 1))) return out_of_memory(env);
  bool copied = napi_get_value_string_utf8(env, value, *out, length + 1, &length) == napi_ok;
  if (copied && strlen(*out) == length) return true;
  free(*out);
  *out = NULL;
  return copied && invalid(env, "ERR_INVALID_ARG_VALUE", function, argument, "a string without NUL characters");
}

// Mount flags and timeouts: every MS_* and MNT_* flag fits in 32 bits, which a JavaScript number
// holds exactly.
static bool get_uint32(napi_env env, napi_value value, const char *function, const char *argument, bool optional,
                       uint32_t *out) {
  napi_valuetype type;
  double number;
  *out = 0;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_undefined && optional) return true;
  if (type != napi_number) return invalid(env, "ERR_INVALID_ARG_TYPE", function, argument, "a number");
  if (napi_get_value_double(env, value, &number) != napi_ok) return false;
  if (!(number >= 0 && number <= UINT32_MAX) || number != (double)(uint32_t)number)
    return invalid(env, "ERR_OUT_OF_RANGE", function, argument, "an integer from 0 to 2^32-1");
  *out = (uint32_t)number;
  return true;
}

// mount(source, target, fstype, flags, data): source, fstype and data may be null.
static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  uint32_t flags;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (get_string(env, argv[0], "mount", "source", true, &source) &&
      get_string(env, argv[1], "mount", "target", false, &target) &&
      get_string(env, argv[2], "mount", "fstype", true, &fstype) &&
      get_uint32(env, argv[3], "mount", "flags", false, &flags) &&
      get_string(env, argv[4], "mount", "data", true, &data) && mount(source, target, fstype, flags, data) != 0)
    throw_errno(env, "mount", errno);
  free(source);
  free(target);
  free(fstype);
  free(data);
  return NULL;
}

// umount(target, flags = 0)
static napi_value js_umount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char *target = NULL;
  uint32_t flags;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (get_string(env, argv[0], "umount", "target", false, &target) &&
      get_uint32(env, argv[1], "umount", "flags", true, &flags) && umount2(target, (int)flags) != 0)
    throw_errno(env, "umount2", errno);
  free(target);
  return NULL;
}

// ---- spawn(file, args, env, input, timeoutMs, cwd?) ----------------------------------------------

// What to run. The strings are copies; `input` points into the caller's Buffer, which stays alive
// and in place for the whole call: it may hold a secret, so it is never copied.
struct request {
  char **argv; // NULL-terminated; argv[0] is `file`, the program's path (no PATH search)
  char **envp; // exactly the child's environment
  char *cwd;   // NULL: this process's
  const uint8_t *input;
  size_t input_length;
  int64_t timeout_ms; // 0: none
};

struct output {
  uint8_t *data;
  size_t length, capacity;
};

// A started child and our ends of its pipes; every descriptor is -1 once closed.
struct child {
  pid_t pid;
  int pidfd; // readable once the child has exited; -1 without pidfd_open(2), and once reaped
  int in, out, err;
  size_t written;
  bool reaped, timed_out, stdin_broken;
  int status; // waitpid's, once reaped
  struct output stdout_data, stderr_data;
};

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Frees a NULL-terminated vector from index `from` on (the slots before it are not filled yet).
static void free_vector(char **vector, size_t from) {
  if (!vector) return;
  for (char **item = vector + from; *item; item++) free(*item);
  free(vector);
}

// A NULL-terminated copy of a string array, after `skip` slots left for the caller.
static bool get_string_vector(napi_env env, napi_value value, const char *argument, size_t skip, char ***out) {
  bool is_array;
  uint32_t count;
  *out = NULL;
  if (napi_is_array(env, value, &is_array) != napi_ok) return false;
  if (!is_array) return invalid(env, "ERR_INVALID_ARG_TYPE", "spawn", argument, "an array of strings");
  if (napi_get_array_length(env, value, &count) != napi_ok) return false;
  if (!(*out = calloc(skip + count + 1, sizeof **out))) return out_of_memory(env);
  for (uint32_t i = 0; i < count; i++) {
    char name[32];
    napi_value item;
    snprintf(name, sizeof name, "%s[%u]", argument, i);
    if (napi_get_element(env, value, i, &item) != napi_ok ||
        !get_string(env, item, "spawn", name, false, &(*out)[skip + i])) {
      free_vector(*out, skip);
      *out = NULL;
      return false;
    }
  }
  return true;
}

static bool get_input(napi_env env, napi_value value, const uint8_t **data, size_t *length) {
  napi_valuetype type;
  bool is_buffer;
  void *bytes;
  *data = NULL;
  *length = 0;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_null) return true;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok) return false;
  if (!is_buffer) return invalid(env, "ERR_INVALID_ARG_TYPE", "spawn", "input", "a Buffer or null");
  if (napi_get_buffer_info(env, value, &bytes, length) != napi_ok) return false;
  *data = bytes;
  return true;
}

static void free_request(struct request *r) {
  free_vector(r->argv, 0);
  free_vector(r->envp, 0);
  free(r->cwd);
}

static bool get_request(napi_env env, napi_value argv[6], struct request *r) {
  char *file;
  uint32_t timeout;
  *r = (struct request){0};
  if (!get_string(env, argv[0], "spawn", "file", false, &file)) return false;
  if (!get_string_vector(env, argv[1], "args", 1, &r->argv)) {
    free(file);
    return false;
  }
  r->argv[0] = file;
  if (!get_string_vector(env, argv[2], "env", 0, &r->envp) ||
      !get_input(env, argv[3], &r->input, &r->input_length) ||
      !get_uint32(env, argv[4], "spawn", "timeoutMs", false, &timeout) ||
      !(is_undefined(env, argv[5]) || get_string(env, argv[5], "spawn", "cwd", true, &r->cwd)))
    return false;
  r->timeout_ms = timeout;
  return true;
}

// posix_spawn with the three pipes as the child's 0, 1 and 2 (Node.js keeps 0, 1 and 2 open, so no
// pipe end is one of them and one dup2 cannot overwrite the source of the next). Node.js opens its
// own descriptors close-on-exec, but not those it inherited (a shell's `3>file`, which child_process
// passes on): every descriptor from 3 up is closed in the child.
static int spawn_with_pipes(const struct request *r, int pipes[3][2], pid_t *pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t all, none;
  int err = posix_spawn_file_actions_init(&actions);
  if (err) return err;
  if ((err = posix_spawnattr_init(&attr))) {
    posix_spawn_file_actions_destroy(&actions);
    return err;
  }
  // As libuv does: default dispositions (Node.js ignores SIGPIPE, which a child must not inherit)
  // and an empty mask (spawn() blocks SIGPIPE while it runs).
  sigfillset(&all);
  sigemptyset(&none);
  err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (!err) err = posix_spawnattr_setsigdefault(&attr, &all);
  if (!err) err = posix_spawnattr_setsigmask(&attr, &none);
  if (!err) err = posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0);
  if (!err) err = posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1);
  if (!err) err = posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2);
  if (!err) err = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!err && r->cwd) err = posix_spawn_file_actions_addchdir_np(&actions, r->cwd);
  if (!err) err = posix_spawn(pid, r->argv[0], &actions, &attr, r->argv, r->envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return err;
}

// Without pidfd_open(2) (Linux < 5.3, or a seccomp filter) the child is reaped once its output
// ends; see pump().
static int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0); // always close-on-exec
#else
  (void)pid;
  return -1;
#endif
}

// Returns 0 or an errno value, and then names the failed call in *syscall.
static int start_child(const struct request *r, struct child *c, const char **syscall) {
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}}; // [stdin, stdout, stderr][read end, write end]
  pid_t pid = -1;
  int err = 0;
  *syscall = "pipe2";
  for (int i = 0; i < 3 && !err; i++)
    if (pipe2(pipes[i], O_CLOEXEC) != 0) err = errno;
  if (!err) {
    *syscall = "posix_spawn";
    err = spawn_with_pipes(r, pipes, &pid);
  }
  // The child has its own copies by now, or never started.
  close_fd(&pipes[0][0]);
  close_fd(&pipes[1][1]);
  close_fd(&pipes[2][1]);
  c->in = pipes[0][1];
  c->out = pipes[1][0];
  c->err = pipes[2][0];
  if (err) return err;
  c->pid = pid;
  // Only our ends: the flag belongs to the open pipe end, which dup2 would share with the child.
  int ours[] = {c->in, c->out, c->err};
  for (int i = 0; i < 3; i++) fcntl(ours[i], F_SETFL, fcntl(ours[i], F_GETFL) | O_NONBLOCK);
  c->pidfd = open_pidfd(c->pid);
  if (r->input_length == 0) close_fd(&c->in); // the child reads end of file at once
  return 0;
}

// Collects the child's status; with WNOHANG only if it has exited. Returns 0 or an errno value
// (ECHILD: something else reaped it); either way a child that is gone is never signalled again.
static int reap(struct child *c, int options) {
  int status;
  pid_t got;
  do got = waitpid(c->pid, &status, options);
  while (got < 0 && errno == EINTR);
  int err = got < 0 ? errno : 0;
  if (got == c->pid) c->status = status;
  if (got == c->pid || err) {
    c->reaped = true;
    close_fd(&c->pidfd);
  }
  return err;
}

static int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// How long poll(2) may wait: until the deadline while the child may still be killed, else without
// end. Once the deadline has passed, kills the child (its pid is ours until we reap it); its
// output is still read to the end, as child_process does.
static int wait_ms(struct child *c, int64_t deadline) {
  if (deadline < 0 || c->timed_out || c->reaped) return -1;
  int64_t left = deadline - now_ms();
  if (left > 0) return left > INT_MAX ? INT_MAX : (int)left;
  kill(c->pid, SIGKILL);
  c->timed_out = true;
  return -1;
}

// Frees an output, zeroed first: a child may echo a secret.
static void wipe(struct output *o) {
  if (o->data) explicit_bzero(o->data, o->length);
  free(o->data);
  *o = (struct output){0};
}

// Room for `more` bytes. Grows by copying rather than realloc, so no copy is left behind unzeroed.
static bool reserve(struct output *o, size_t more) {
  if (o->capacity - o->length >= more) return true;
  size_t capacity = o->capacity ? o->capacity : more;
  while (capacity - o->length < more) capacity *= 2;
  uint8_t *data = malloc(capacity);
  if (!data) return false;
  if (o->length) memcpy(data, o->data, o->length);
  size_t length = o->length;
  wipe(o);
  *o = (struct output){data, length, capacity};
  return true;
}

// Writes what the child's stdin takes now, straight from the caller's Buffer. A child that stops
// reading (EPIPE) is not our failure, as with child_process: its stdin is closed, that is all.
static void feed(const struct request *r, struct child *c) {
  ssize_t n = write(c->in, r->input + c->written, r->input_length - c->written);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0) {
    c->stdin_broken = errno == EPIPE;
    close_fd(&c->in);
    return;
  }
  c->written += (size_t)n;
  if (c->written == r->input_length) close_fd(&c->in);
}

// Reads what a pipe holds now; closes it at end of file. Returns 0 or ENOMEM.
static int collect(int *fd, struct output *o) {
  enum { CHUNK = 64 * 1024 }; // a pipe's default capacity
  if (!reserve(o, CHUNK)) return ENOMEM;
  ssize_t n = read(*fd, o->data + o->length, o->capacity - o->length);
  if (n > 0) o->length += (size_t)n;
  else if (n == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(fd);
  return 0;
}

static void watch(struct pollfd *fds, int *count, int fd, short events) {
  if (fd >= 0) fds[(*count)++] = (struct pollfd){.fd = fd, .events = events};
}

// Feeds stdin, reads stdout and stderr to their end, kills the child at the deadline and reaps
// it. Returns 0, or an errno value and the failed call in *syscall.
static int pump(const struct request *r, struct child *c, const char **syscall) {
  int64_t deadline = r->timeout_ms > 0 ? now_ms() + r->timeout_ms : -1;
  while (c->out >= 0 || c->err >= 0 || !c->reaped) {
    if (c->out < 0 && c->err < 0 && c->pidfd < 0) {
      // No pidfd: nothing tells us when the child exits but waitpid itself, which cannot wait on
      // stdin too. A child that closed its output before reading all its input gets end of file.
      close_fd(&c->in);
      *syscall = "waitpid";
      return reap(c, 0);
    }
    struct pollfd fds[4];
    int count = 0;
    int timeout = wait_ms(c, deadline);
    watch(fds, &count, c->in, POLLOUT);
    watch(fds, &count, c->out, POLLIN);
    watch(fds, &count, c->err, POLLIN);
    watch(fds, &count, c->pidfd, POLLIN);
    if (poll(fds, (nfds_t)count, timeout) < 0) {
      if (errno == EINTR) continue;
      *syscall = "poll";
      return errno;
    }
    for (int i = 0; i < count; i++) {
      int fd = fds[i].fd, err = 0;
      if (!fds[i].revents) continue;
      if (fd == c->in) feed(r, c);
      else if (fd == c->out) err = collect(&c->out, &c->stdout_data);
      else if (fd == c->err) err = collect(&c->err, &c->stderr_data);
      else if (fd == c->pidfd) {
        *syscall = "waitpid";
        err = reap(c, WNOHANG);
      }
      if (err) return err;
    }
  }
  return 0;
}

// Kills and reaps a child we cannot serve any more (out of memory, poll failing), so that no
// zombie and no descriptor stays behind.
static void abandon(struct child *c) {
  close_fd(&c->in);
  close_fd(&c->out);
  close_fd(&c->err);
  if (c->pid > 0 && !c->reaped) {
    kill(c->pid, SIGKILL);
    reap(c, 0);
  }
}

static void free_child(struct child *c) {
  abandon(c);
  close_fd(&c->pidfd);
  wipe(&c->stdout_data);
  wipe(&c->stderr_data);
}

// A write to a pipe without a reader raises SIGPIPE. Node.js ignores it, but a process embedding
// Node.js may not, so spawn() blocks it while it runs, then takes back the one it raised itself.
struct sigpipe_guard {
  sigset_t pipe_only, saved;
  bool was_pending;
};

static void block_sigpipe(struct sigpipe_guard *g) {
  sigset_t pending;
  sigemptyset(&g->pipe_only);
  sigaddset(&g->pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &g->pipe_only, &g->saved);
  g->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
}

static void unblock_sigpipe(struct sigpipe_guard *g, bool raised) {
  struct timespec now = {0, 0};
  if (raised && !g->was_pending) sigtimedwait(&g->pipe_only, NULL, &now);
  pthread_sigmask(SIG_SETMASK, &g->saved, NULL);
}

static bool set_buffer(napi_env env, napi_value object, const char *name, const struct output *o) {
  napi_value value;
  void *data;
  if (napi_create_buffer(env, o->length, &data, &value) != napi_ok) return false;
  if (o->length) memcpy(data, o->data, o->length);
  return napi_set_named_property(env, object, name, value) == napi_ok;
}

// { status, signal, stdout, stderr, timedOut }: status is null when a signal ended the child.
static napi_value make_result(napi_env env, const struct child *c) {
  napi_value result, status, signal, timed_out;
  char fallback[16];
  bool exited = WIFEXITED(c->status);
  if (napi_create_object(env, &result) != napi_ok ||
      (exited ? napi_create_int32(env, WEXITSTATUS(c->status), &status) : napi_get_null(env, &status)) != napi_ok ||
      (exited ? napi_get_null(env, &signal)
              : napi_create_string_utf8(env, signal_name(WTERMSIG(c->status), fallback, sizeof fallback),
                                        NAPI_AUTO_LENGTH, &signal)) != napi_ok ||
      napi_get_boolean(env, c->timed_out, &timed_out) != napi_ok ||
      napi_set_named_property(env, result, "status", status) != napi_ok ||
      napi_set_named_property(env, result, "signal", signal) != napi_ok ||
      !set_buffer(env, result, "stdout", &c->stdout_data) || !set_buffer(env, result, "stderr", &c->stderr_data) ||
      napi_set_named_property(env, result, "timedOut", timed_out) != napi_ok)
    return NULL;
  return result;
}

// spawn(file, args, env, input, timeoutMs, cwd?): runs the program to its end. Throws when it
// cannot be started (code ENOENT, EACCES, ENOEXEC…, syscall "posix_spawn").
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], result = NULL;
  struct request r;
  struct child c = {.pid = -1, .pidfd = -1, .in = -1, .out = -1, .err = -1};
  struct sigpipe_guard guard;
  const char *syscall;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (!get_request(env, argv, &r)) {
    free_request(&r);
    return NULL;
  }
  block_sigpipe(&guard);
  int err = start_child(&r, &c, &syscall);
  if (!err) err = pump(&r, &c, &syscall);
  if (err) abandon(&c);
  unblock_sigpipe(&guard, c.stdin_broken);
  if (err) throw_errno(env, syscall, err);
  else result = make_result(env, &c);
  free_child(&c);
  free_request(&r);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount", NULL, js_umount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, 3, functions) == napi_ok ? exports : NULL;
}
