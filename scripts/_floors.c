/*
 * The C side of scripts/floors.ts: the same floors without a runtime, as a C
 * server such as vsftpd pays them. Built by floors.ts with the system's cc.
 *
 *   _floors lstat DIR   best of 20: lstat per entry by absolute path, the
 *                       same by name relative to an open DIR (fstatat: what
 *                       vsftpd gets by chdir), and reading DIR, in µs
 *   _floors upload      prints "port N", then writes each connection's
 *                       bytes into a new file (deleted at the end of the
 *                       stream), one thread, one 1 MiB buffer
 *   _floors upload splice   the same through one 1 MiB pipe, with
 *                       splice(2) from the socket and into the file (as
 *                       tsftpd on Bun): one copy of each byte instead of two
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAMES 4096
#define MAX_FDS 65536

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int lstat_floor(const char *dir) {
  static char names[MAX_NAMES][256];
  double best_path = 1e18, best_at = 1e18, best_list = 1e18;
  for (int round = 0; round < 20; round++) {
    double started = now_us();
    DIR *listing = opendir(dir);
    if (!listing) return perror(dir), 1;
    int count = 0;
    for (struct dirent *entry; (entry = readdir(listing)) && count < MAX_NAMES;) {
      if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) strcpy(names[count++], entry->d_name);
    }
    closedir(listing);
    double listed = now_us();
    if (listed - started < best_list) best_list = listed - started;
    struct stat info;
    char path[4096];
    started = now_us();
    for (int i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%.3800s/%.255s", dir, names[i]);
      lstat(path, &info);
    }
    double each = (now_us() - started) / count;
    if (each < best_path) best_path = each;
    int folder = open(dir, O_RDONLY | O_DIRECTORY);
    started = now_us();
    for (int i = 0; i < count; i++) fstatat(folder, names[i], &info, AT_SYMLINK_NOFOLLOW);
    each = (now_us() - started) / count;
    close(folder);
    if (each < best_at) best_at = each;
  }
  printf("lstat %.2f at %.2f list %.0f\n", best_path, best_at, best_list);
  return 0;
}

/* Moves what `socket` holds into `file` through `pipe_ends`: the count
 * read from the socket, 0 at its end, -1 when nothing is waiting. */
static ssize_t splice_once(int socket, int file, const int pipe_ends[2]) {
  ssize_t received = splice(socket, NULL, pipe_ends[1], NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  for (ssize_t done = 0, written = 0; done < received && written >= 0; done += written) {
    written = splice(pipe_ends[0], NULL, file, NULL, received - done, SPLICE_F_MOVE);
  }
  return received;
}

static int upload_floor(int use_splice) {
  static char buffer[1 << 20];
  int pipe_ends[2];
  if (use_splice && (pipe2(pipe_ends, O_NONBLOCK) || fcntl(pipe_ends[1], F_SETPIPE_SZ, sizeof buffer) < 0)) {
    return perror("pipe"), 1;
  }
  static int files[MAX_FDS];
  static char paths[MAX_FDS][64];
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, length) || listen(listener, 511)) return perror("listen"), 1;
  getsockname(listener, (struct sockaddr *)&address, &length);
  const char *folder = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  int poll = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(poll, EPOLL_CTL_ADD, listener, &event);
  printf("port %d\n", ntohs(address.sin_port));
  fflush(stdout);
  struct epoll_event events[256];
  for (unsigned serial = 0;;) {
    int ready = epoll_wait(poll, events, 256, -1);
    for (int i = 0; i < ready; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        for (int client; (client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0;) {
          if (client >= MAX_FDS) {
            close(client);
            continue;
          }
          snprintf(paths[client], sizeof paths[client], "%s/tsftpd-floor-%d-%u", folder, getpid(), serial++);
          files[client] = open(paths[client], O_WRONLY | O_CREAT | O_TRUNC, 0600);
          struct epoll_event readable = {.events = EPOLLIN, .data.fd = client};
          epoll_ctl(poll, EPOLL_CTL_ADD, client, &readable);
        }
        continue;
      }
      for (;;) {
        ssize_t received = use_splice ? splice_once(fd, files[fd], pipe_ends) : recv(fd, buffer, sizeof buffer, 0);
        if (received > 0 && use_splice) {
          if (received == sizeof buffer) continue;
        } else if (received > 0) {
          ssize_t done = 0;
          for (ssize_t written = 0; done < received && written >= 0; done += written) {
            written = write(files[fd], buffer + done, received - done);
          }
          if (received == sizeof buffer && done >= received) continue;
        } else if (received == 0) {
          close(files[fd]);
          unlink(paths[fd]);
          close(fd);
        }
        break;
      }
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "lstat")) return lstat_floor(argv[2]);
  if (argc == 2 && !strcmp(argv[1], "upload")) return upload_floor(0);
  if (argc == 3 && !strcmp(argv[1], "upload") && !strcmp(argv[2], "splice")) return upload_floor(1);
  fprintf(stderr, "usage: %s lstat DIR | upload [splice]\n", argv[0]);
  return 2;
}
