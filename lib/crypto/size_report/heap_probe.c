/* Heap probe: how much of the static buffer given to mbedtls_memory_buffer_alloc_init() one
 * verify needs, measured on the real Cortex-M4F code (same library, config and verify path as
 * edge_verify_size_report), and a functional check of that code: the good signature verifies, a
 * tampered message or signature does not.
 *
 * It runs under QEMU's Linux user-mode emulator (`qemu-arm`, Debian package qemu-user), so it has
 * its own _start and talks to the host through two Linux syscalls (write, exit); it is not a
 * firmware image. scripts/build-cortex-m4.sh runs it when qemu-arm is installed.
 *
 * Output (stdout): the smallest buffer (bytes) for which a verify succeeds, found by bisection and
 * re-checked (three verifies in a row at that size, so nothing leaks), and the stack the verify
 * used (painted-stack high-water mark). Exit status 0 if every check passed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mbedtls/ecp.h"
#include "mbedtls/memory_buffer_alloc.h"
#include "verify_path.h"
#include "verify_vectors.h"

/* --- Linux ARM EABI syscalls (qemu-arm user mode) -------------------------------------------- */
static long sys_call3(long nr, long a0, long a1, long a2) {
  register long r0 __asm__("r0") = a0;
  register long r1 __asm__("r1") = a1;
  register long r2 __asm__("r2") = a2;
  register long r7 __asm__("r7") = nr;
  __asm__ volatile("svc #0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  return r0;
}

void _exit(int status) {
  for (;;) {
    sys_call3(248 /* exit_group */, status, 0, 0);
  }
}

static void put(const char* s) { sys_call3(4 /* write */, 1, (long)s, (long)strlen(s)); }

static void put_u(unsigned long v) {
  char buf[24];
  char* p = buf + sizeof buf - 1;
  *p = '\0';
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put(p);
}

static void put_i(long v) {
  if (v < 0) {
    put("-");
    put_u((unsigned long)-v);
  } else {
    put_u((unsigned long)v);
  }
}

/* --- Probe ---------------------------------------------------------------------------------- */
#define ARENA_BYTES 32768
static unsigned char arena[ARENA_BYTES] __attribute__((aligned(8)));

static int verify_with(size_t heap_bytes, const unsigned char* message, size_t message_size,
                       const unsigned char* signature, size_t signature_size) {
  mbedtls_memory_buffer_alloc_init(arena, heap_bytes);
  int ret = edge_verify_path(message, message_size, kEdgeVerifyPublicKey,
                             sizeof kEdgeVerifyPublicKey, signature, signature_size);
  mbedtls_memory_buffer_alloc_free();
  return ret;
}

static int verify_good(size_t heap_bytes) {
  return verify_with(heap_bytes, kEdgeVerifyMessage, sizeof kEdgeVerifyMessage,
                     kEdgeVerifySignature, sizeof kEdgeVerifySignature);
}

#define STACK_PAINT_BYTES 32768u
#define STACK_PAINT_WORD 0x5a17c0deu

/* Paints the STACK_PAINT_BYTES below this frame, runs one verify with `heap_bytes`, returns how
 * deep the stack went below the caller's frame (bytes) or 0 if the verify failed. */
static __attribute__((noinline)) size_t verify_stack_bytes(size_t heap_bytes) {
  volatile uint32_t marker = 0;
  uint32_t* top = (uint32_t*)(((uintptr_t)&marker - 512u) & ~(uintptr_t)7u);
  uint32_t* bottom = top - STACK_PAINT_BYTES / 4;
  for (volatile uint32_t* w = bottom; w < top; ++w) {
    *w = STACK_PAINT_WORD;
  }
  if (verify_good(heap_bytes) != 0) {
    return 0;
  }
  const uint32_t* w = bottom;
  while (w < top && *w == STACK_PAINT_WORD) {
    ++w;
  }
  return (size_t)((uintptr_t)&marker - (uintptr_t)w);
}

int edge_heap_probe_main(void); /* called from _start */
int edge_heap_probe_main(void) {
  int failures = 0;

  int ret = verify_good(ARENA_BYTES);
  if (ret != 0) {
    put("heap_probe: FAIL: verify with a ");
    put_u(ARENA_BYTES);
    put("-byte heap failed: ");
    put_i(ret);
    put("\n");
    return 1;
  }

  /* Smallest heap that works: fails at lo, works at hi. */
  size_t lo = 64, hi = ARENA_BYTES;
  while (hi - lo > MBEDTLS_MEMORY_ALIGN_MULTIPLE) {
    size_t mid = (lo + hi) / 2 / MBEDTLS_MEMORY_ALIGN_MULTIPLE * MBEDTLS_MEMORY_ALIGN_MULTIPLE;
    if (verify_good(mid) == 0) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  int below = verify_good(hi - MBEDTLS_MEMORY_ALIGN_MULTIPLE);
  if (below == 0) {
    put("heap_probe: FAIL: heap need is not monotonic around the minimum\n");
    ++failures;
  }
  /* Three verifies in a row on one heap of the minimal size: nothing may leak. */
  mbedtls_memory_buffer_alloc_init(arena, hi);
  for (int i = 0; i < 3; ++i) {
    ret = edge_verify_path(kEdgeVerifyMessage, sizeof kEdgeVerifyMessage, kEdgeVerifyPublicKey,
                           sizeof kEdgeVerifyPublicKey, kEdgeVerifySignature,
                           sizeof kEdgeVerifySignature);
    if (ret != 0) {
      put("heap_probe: FAIL: repeated verify on a minimal heap failed (leak?): ");
      put_i(ret);
      put("\n");
      ++failures;
      break;
    }
  }
  mbedtls_memory_buffer_alloc_free();

  /* Tampered inputs must be rejected (with the failure verify reports, not an allocation error). */
  unsigned char message[sizeof kEdgeVerifyMessage];
  memcpy(message, kEdgeVerifyMessage, sizeof message);
  message[0] ^= 1u;
  int bad_message = verify_with(ARENA_BYTES, message, sizeof message, kEdgeVerifySignature,
                                sizeof kEdgeVerifySignature);
  unsigned char signature[sizeof kEdgeVerifySignature];
  memcpy(signature, kEdgeVerifySignature, sizeof signature);
  signature[sizeof signature - 1] ^= 1u; /* last byte of s */
  int bad_signature = verify_with(ARENA_BYTES, kEdgeVerifyMessage, sizeof kEdgeVerifyMessage,
                                  signature, sizeof signature);
  if (bad_message != MBEDTLS_ERR_ECP_VERIFY_FAILED ||
      bad_signature != MBEDTLS_ERR_ECP_VERIFY_FAILED) {
    put("heap_probe: FAIL: tampered message/signature gave ");
    put_i(bad_message);
    put("/");
    put_i(bad_signature);
    put(", want MBEDTLS_ERR_ECP_VERIFY_FAILED\n");
    ++failures;
  }

  size_t stack = verify_stack_bytes(hi);

  put("heap_probe: valid signature verifies, tampered message and signature are rejected\n");
  put("heap_probe: min_heap_bytes=");
  put_u(hi);
  put(" (mbedtls_memory_buffer_alloc_init buffer for one ECDSA-P256 verify; fails at ");
  put_u(hi - MBEDTLS_MEMORY_ALIGN_MULTIPLE);
  put(")\n");
  put("heap_probe: configured EDGE_MBEDTLS_HEAP_BYTES=");
  put_u(EDGE_MBEDTLS_HEAP_BYTES);
  put("\n");
  if (hi > EDGE_MBEDTLS_HEAP_BYTES) {
    put("heap_probe: FAIL: EDGE_MBEDTLS_HEAP_BYTES is too small\n");
    ++failures;
  }
  put("heap_probe: verify_stack_bytes=");
  put_u(stack);
  put(" (stack high-water mark of one verify)\n");
  return failures == 0 ? 0 : 1;
}

/* Entry point (qemu-arm sets up sp; .data is loaded and .bss zeroed by the ELF loader). */
__attribute__((naked, noreturn)) void _start(void) {
  __asm__ volatile(
      "bl edge_heap_probe_main\n\t"
      "bl _exit\n\t");
}
