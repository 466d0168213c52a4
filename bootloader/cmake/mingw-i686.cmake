# Toolchain file: a Windows (i686) bootloader cross-compiled with mingw-w64 on Linux
# (Debian: gcc-mingw-w64-i686).
#
#   cmake -S bootloader -B build/windows-i686 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=bootloader/cmake/mingw-i686.cmake \
#         -DPython_INCLUDE_DIR=<CPython's Include/ with PC/pyconfig.h copied in> \
#         -DZSTD_STATIC_LIBRARY=<mingw libzstd.a> -DZSTD_INCLUDE_DIR=<dir of zstd.h>
#
# freezekit.crossbuild.build_windows_bootloader does all of it, zstd included.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86)
set(FK_MINGW_TRIPLE i686-w64-mingw32)
include("${CMAKE_CURRENT_LIST_DIR}/mingw-common.cmake")
