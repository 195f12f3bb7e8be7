// TLS material for tests, made at test time by deploy/make-certs.sh (so no
// private key is committed): each call makes a new CA with a server key
// pair for localhost/127.0.0.1 and a client key pair, in their own
// directory. Needs the `openssl` command (deploy/install-deps.sh).
//
// Header-only; not thread-safe (runs a shell).
#ifndef PROFUNDO_TESTS_TEST_CERTS_H_
#define PROFUNDO_TESTS_TEST_CERTS_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace profundo::testing {

// The source tree: $PROFUNDO_SOURCE_DIR (set by ctest), else from this file.
inline std::string SourceDir() {
  const char* root = std::getenv("PROFUNDO_SOURCE_DIR");
  if (root != nullptr) return root;
  const std::string here = __FILE__;  // <root>/tests/test_certs.h
  return here.substr(0, here.rfind("/tests/"));
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A CA and its key pairs in `dir`: ca.crt, server.crt/.key, client.crt/.key.
struct TestCerts {
  std::string dir;

  std::string Path(const std::string& name) const { return dir + "/" + name; }
  std::string Read(const std::string& name) const {
    return ReadWholeFile(Path(name));
  }
};

// Runs deploy/make-certs.sh into `dir`; returns false if it failed.
inline bool MakeTestCerts(const std::string& dir, TestCerts* certs) {
  certs->dir = dir;
  const std::string command = "bash '" + SourceDir() +
                              "/deploy/make-certs.sh' '" + dir +
                              "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0 &&
         !certs->Read("server.key").empty();
}

}  // namespace profundo::testing

#endif  // PROFUNDO_TESTS_TEST_CERTS_H_
