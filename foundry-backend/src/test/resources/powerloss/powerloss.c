/*
 * A test-only "disk" for PowerLossTest, loaded with LD_PRELOAD into the server's JVM.
 *
 * A power loss keeps what was fsynced and loses what sat in the page cache. This library keeps a
 * shadow copy of the data directory as the disk would hold it: whenever the process calls fsync()
 * or fdatasync() on a regular file under POWERLOSS_ROOT, the file's whole current content is
 * copied to the same relative path under POWERLOSS_SHADOW (through a temporary file and rename).
 * Files never synced never reach the shadow, like a new file whose data a power loss takes. An
 * unlink() of a file under the root removes its copy: directory updates count as durable (as a
 * journaling file system's metadata is), so a deleted rollback journal does not come back.
 * After kill -9, the test puts the shadow in place of the data directory and starts the server on
 * it: whatever an acknowledged request needs must be there.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void make_parents(const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  for (char *p = dir + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(dir, 0700);
      *p = '/';
    }
  }
}

static void shadow(int fd) {
  const char *root = getenv("POWERLOSS_ROOT");
  const char *target = getenv("POWERLOSS_SHADOW");
  if (root == NULL || target == NULL) {
    return;
  }
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) {
    return;
  }
  path[n] = '\0';
  size_t rootLength = strlen(root);
  if (strncmp(path, root, rootLength) != 0 || path[rootLength] != '/') {
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return;
  }
  char copy[PATH_MAX], partial[PATH_MAX];
  snprintf(copy, sizeof copy, "%s%s", target, path + rootLength);
  snprintf(partial, sizeof partial, "%s.powerloss-partial", copy);
  pthread_mutex_lock(&lock);
  make_parents(copy);
  int out = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out >= 0) {
    char buffer[65536];
    off_t offset = 0;
    ssize_t got;
    while ((got = pread(fd, buffer, sizeof buffer, offset)) > 0) {
      if (write(out, buffer, (size_t) got) != got) {
        break;
      }
      offset += got;
    }
    close(out);
    rename(partial, copy);
  }
  pthread_mutex_unlock(&lock);
}

int fsync(int fd) {
  static int (*real)(int) = NULL;
  if (real == NULL) {
    real = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
  }
  int result = real(fd);
  int saved = errno;
  if (result == 0) {
    shadow(fd);
  }
  errno = saved;
  return result;
}

int fdatasync(int fd) {
  static int (*real)(int) = NULL;
  if (real == NULL) {
    real = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
  }
  int result = real(fd);
  int saved = errno;
  if (result == 0) {
    shadow(fd);
  }
  errno = saved;
  return result;
}

static void forget(const char *path) {
  const char *root = getenv("POWERLOSS_ROOT");
  const char *target = getenv("POWERLOSS_SHADOW");
  if (root == NULL || target == NULL || path == NULL || path[0] != '/') {
    return;
  }
  size_t rootLength = strlen(root);
  if (strncmp(path, root, rootLength) != 0 || path[rootLength] != '/') {
    return;
  }
  char copy[PATH_MAX];
  snprintf(copy, sizeof copy, "%s%s", target, path + rootLength);
  pthread_mutex_lock(&lock);
  static int (*real)(const char *) = NULL;
  if (real == NULL) {
    real = (int (*)(const char *)) dlsym(RTLD_NEXT, "unlink");
  }
  real(copy);
  pthread_mutex_unlock(&lock);
}

int unlink(const char *path) {
  static int (*real)(const char *) = NULL;
  if (real == NULL) {
    real = (int (*)(const char *)) dlsym(RTLD_NEXT, "unlink");
  }
  int result = real(path);
  int saved = errno;
  if (result == 0) {
    forget(path);
  }
  errno = saved;
  return result;
}

int unlinkat(int dirfd, const char *path, int flags) {
  static int (*real)(int, const char *, int) = NULL;
  if (real == NULL) {
    real = (int (*)(int, const char *, int)) dlsym(RTLD_NEXT, "unlinkat");
  }
  int result = real(dirfd, path, flags);
  int saved = errno;
  if (result == 0 && (flags & AT_REMOVEDIR) == 0) {
    forget(path);
  }
  errno = saved;
  return result;
}
