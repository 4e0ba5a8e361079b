# Toolchain for the relaxed-SIMD page module (latentlab_core_relaxed.wasm): Debian's clang-19 and
# lld-19 targeting wasm32-wasi, with wasi-libc and libc++-19's wasm32 build as the C/C++ libraries
# (apt: clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 libclang-rt-19-dev-wasm32). Emscripten 3.1.6
# (LLVM 14) emits only the pre-standard relaxed-SIMD opcodes, which current engines reject; LLVM 19
# emits the standard ones. Used by the CMake preset "wasm-relaxed" (scripts/build-wasm).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
# The driver runs wasm-opt after linking whenever the link line has an -O flag and a wasm-opt is on
# PATH (Emscripten's binaryen, which predates the standard relaxed-SIMD opcodes and fails on them).
# So no -O in the flags that CMake also passes to the link: the optimisation levels are set as
# compile options (CMakeLists.txt, LATENTLAB_WASM_CLANG).
set(CMAKE_CXX_FLAGS_RELEASE "-DNDEBUG" CACHE STRING "")
set(CMAKE_C_FLAGS_RELEASE "-DNDEBUG" CACHE STRING "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(LATENTLAB_WASM_CLANG ON)
