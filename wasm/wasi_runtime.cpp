// The C++ runtime pieces of the relaxed-SIMD module (clang-19, wasm32-wasi; wasm/CMakeLists.txt)
// that Debian's wasm32 libc++abi (built without exceptions) leaves out, and the fatal-error hooks
// of libc++/libc++abi, replaced so that they do not link printf (≈ 10 KB gzipped). The core's
// parsers return Result and never throw; a throw left in a constructor's precondition check is a
// bug, and ends the module as in the Emscripten build (no exception catching): through
// wasi_snapshot_preview1.proc_exit, which web/latentlab-models.js turns into an Error.
#include <wasi/api.h>

#include <cstddef>
#include <cstdlib>

namespace std {
inline namespace __2 {
// libc++'s report of a broken precondition or of a throw in its no-exceptions build (e.g. a vector
// longer than max_size()); libc++ lets a program define it. The message is dropped: the module
// has no console.
[[noreturn]] void __libcpp_verbose_abort(const char*, ...) noexcept { __wasi_proc_exit(134); }
}  // namespace __2
}  // namespace std

extern "C" {

// memcpy, memmove and memset as the bulk-memory instructions memory.copy and memory.fill (what
// clang makes of the builtins under -mbulk-memory, so these do not call themselves), instead of
// wasi-libc's C loops (2.6 KB of code): prebuilt libc++ and libc code calls them by name.
void* memcpy(void* dst, const void* src, std::size_t n) { return __builtin_memmove(dst, src, n); }
void* memmove(void* dst, const void* src, std::size_t n) { return __builtin_memmove(dst, src, n); }
void* memset(void* dst, int c, std::size_t n) { return __builtin_memset(dst, c, n); }

void* __cxa_allocate_exception(std::size_t size) noexcept { return std::malloc(size); }

[[noreturn]] void __cxa_throw(void*, void*, void (*)(void*)) { __wasi_proc_exit(134); }

// Registers the destructor of a thread_local object (the GEMM's packing scratch). The module is
// single-threaded and its one thread never exits, so there is nothing to register.
int __cxa_thread_atexit(void (*)(void*), void*, void*) noexcept { return 0; }

// A call of a pure virtual function (a bug): libc++abi's version prints a message first.
[[noreturn]] void __cxa_pure_virtual() { __wasi_proc_exit(134); }

// libc++abi's internal fatal-error report (operator new out of memory, the RTTI of a throw): it
// formats with vfprintf to stderr. Defined here, the archive member that holds libc++abi's is not
// linked, and with it goes all of printf.
[[noreturn]] void abort_message(const char*, ...) { __wasi_proc_exit(134); }

}  // extern "C"
