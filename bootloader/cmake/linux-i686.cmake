# Toolchain file: a 32-bit (i686) Linux bootloader built on an x86_64 Linux host with gcc -m32.
#
#   cmake -S bootloader -B build/i686 -DCMAKE_TOOLCHAIN_FILE=bootloader/cmake/linux-i686.cmake \
#         -DPython_INCLUDE_DIR=<i386 include/python3.X>
#
# (or set the CMAKE_TOOLCHAIN_FILE environment variable, CMake >= 3.21). The 32-bit static zstd
# library is looked for in $FREEZEKIT_I386_ROOT/lib (scripts/install-i386.sh unpacks it there,
# default /opt/freezekit/i386), then in the multiarch folder /usr/lib/i386-linux-gnu
# (libzstd-dev:i386). Without this file CMake, which detected a 64-bit compiler, would pick the
# 64-bit libzstd.a and the link would fail.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-m32")
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)

if(DEFINED ENV{FREEZEKIT_I386_ROOT})
  set(_fk_i386_root "$ENV{FREEZEKIT_I386_ROOT}")
else()
  set(_fk_i386_root "/opt/freezekit/i386")
endif()
if(NOT ZSTD_STATIC_LIBRARY)
  foreach(_fk_dir "${_fk_i386_root}/lib" "/usr/lib/i386-linux-gnu" "/usr/lib32")
    if(EXISTS "${_fk_dir}/libzstd.a")
      set(ZSTD_STATIC_LIBRARY "${_fk_dir}/libzstd.a" CACHE FILEPATH "32-bit static zstd library")
      break()
    endif()
  endforeach()
endif()
