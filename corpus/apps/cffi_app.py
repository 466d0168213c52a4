"""cffi: ABI mode through _cffi_backend, calling libc."""

from cffi import FFI

ffi = FFI()
ffi.cdef("int abs(int); size_t strlen(const char *);")
libc = ffi.dlopen(None)
print(libc.abs(-42), libc.strlen(b"frozen"))
buf = ffi.new("char[]", b"abc")
print(ffi.string(buf), ffi.sizeof("int"))
