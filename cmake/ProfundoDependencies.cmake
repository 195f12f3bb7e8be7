# All third-party packages, found once. Every one comes from Debian 12
# (deploy/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)
# Debian ships no CMake config for protobuf: module mode.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(dnnl CONFIG REQUIRED)
if(PROFUNDO_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
find_package(ZLIB REQUIRED)
find_package(SQLite3 REQUIRED)
# libcrypto: token digests and TLS file checks in the server (gRPC links
# the same library).
find_package(OpenSSL REQUIRED)
if(PROFUNDO_BUILD_BENCH)
  find_package(benchmark CONFIG QUIET)
  if(NOT benchmark_FOUND)
    set(PROFUNDO_BUILD_BENCH OFF)
  endif()
endif()
