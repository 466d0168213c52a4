# Shared part of mingw-x86_64.cmake and mingw-i686.cmake: compilers by triple, the sysroot,
# a statically linked C runtime helper (libgcc), no symbols (-s) and dead-code removal (the single-file zstd
# library holds the compressor too; only the decompressor is kept).
find_program(CMAKE_C_COMPILER NAMES ${FK_MINGW_TRIPLE}-gcc-win32 ${FK_MINGW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${FK_MINGW_TRIPLE}-windres)
find_program(CMAKE_AR NAMES ${FK_MINGW_TRIPLE}-ar)
set(CMAKE_FIND_ROOT_PATH /usr/${FK_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_C_FLAGS_INIT "-ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc -s -Wl,--gc-sections")
