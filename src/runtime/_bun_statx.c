/*
 * statx(2) for a batch of a listing's names in one call from JavaScript,
 * compiled by Bun's built-in TinyCC (`bun:ffi`'s `cc`, `_bun_libc.ts`):
 * a call through the FFI per entry, with its name encoded and its buffer
 * decoded, added its own cost to every entry's system call. The contract is
 * `StatxManyCall`'s in `_statx.ts`. No system headers: statx is glibc's
 * (2.28 and later), and its buffer has one layout on every Linux machine.
 */

typedef unsigned long size_t;
typedef unsigned int u32;

int statx(int dirfd, const char *path, int flags, u32 mask, void *buffer);
void *memchr(const void *text, int byte, size_t count);
void *memcpy(void *to, const void *from, size_t count);

/* The words of each buffer copied out: `STATX_PREFIX_WORDS` in `_statx.ts`. */
#define PREFIX_WORDS 36

int statx_many(int dirfd, const char *names, u32 length, u32 count, int flags, u32 mask, u32 *out, u32 capacity) {
  if ((size_t)count * PREFIX_WORDS * 4 > capacity) return -1;
  /* Exactly `count` names must fill `length` bytes: a NUL inside a name
   * would otherwise pair every later name with another's metadata. */
  const char *end = names + length;
  const char *at = names;
  for (u32 i = 0; i < count; i++) {
    const char *nul = memchr(at, 0, end - at);
    if (!nul) return -1;
    at = nul + 1;
  }
  if (at != end) return -1;
  u32 buffer[64];
  for (u32 i = 0; i < count; i++, out += PREFIX_WORDS) {
    if (statx(dirfd, names, flags, mask, buffer) == 0 && buffer[0] != 0) {
      memcpy(out, buffer, PREFIX_WORDS * 4);
    } else {
      out[0] = 0;
    }
    names = (const char *)memchr(names, 0, end - names) + 1;
  }
  return 0;
}
