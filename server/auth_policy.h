// AuthPolicy: who may call which RPC. Bearer tokens come from a token file
// (--tokens_file), each with a role; the access table below says which
// roles may call each RPC. port_credentials.h runs Check() inside gRPC
// before any handler, so a refused call never reaches the service.
//
// Token file: one token per line, "<token> <role> [name]", fields separated
// by spaces or tabs. Lines starting with '#' and blank lines are skipped.
// Roles:
//   admin    every RPC
//   predict  Predict and the read-only RPCs (Get*, List*, WatchJob,
//            ValidateModel); PERMISSION_DENIED on the others
// The name (default "line N") only labels the token in logs and messages.
// Tokens must be at least kMinTokenLength characters and unique. Errors
// name the file and the line, never the token.
//
// Access table (kAccessTable in auth_policy.cc, the one place to extend):
// every RPC of profundo.v1.Profundo is listed as kPredict (callable by
// predict and admin) or kAdmin; grpc.health.v1 and server reflection are
// kPublic (probes and grpcurl need no token). An RPC missing from the table
// is denied to every token (PERMISSION_DENIED) until someone lists it;
// tests/service/auth_policy_test.cc fails when an RPC of the service is
// not listed.
//
// Check() answers UNAUTHENTICATED for a missing, malformed or unknown
// token and PERMISSION_DENIED for a role that may not call the method.
// Presented tokens are compared with every known token in constant time
// (SHA-256 digests, CRYPTO_memcmp); the policy keeps only the digests.
//
// Immutable after construction; Check() is thread-safe.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(AuthPolicy policy,
//                             AuthPolicy::FromFile("/etc/profundo/tokens"));
//   absl::Status s = policy.Check("/profundo.v1.Profundo/SubmitJob",
//                                 "Bearer 3f9c...");
#ifndef PROFUNDO_SERVER_AUTH_POLICY_H_
#define PROFUNDO_SERVER_AUTH_POLICY_H_

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace profundo::server {

enum class Role { kAdmin, kPredict };

// Who may call a method.
enum class Access {
  kPublic,   // anyone, no token needed
  kPredict,  // roles predict and admin
  kAdmin,    // role admin only
  kNobody,   // not in the table: denied to every token
};

// "admin", "predict".
const char* RoleName(Role role);

// The access level of a full method name ("/package.Service/Method");
// kNobody for a method the table does not list.
Access AccessOf(absl::string_view method);

// The gate of the plaintext health port (--health_listen): OK for
// grpc.health.v1 methods, PERMISSION_DENIED for anything else.
absl::Status CheckHealthOnly(absl::string_view method);

class AuthPolicy {
 public:
  static constexpr size_t kMinTokenLength = 16;

  // Parses a token file's contents; `source` (the file name) prefixes
  // errors: "<source>:<line>: ...". INVALID_ARGUMENT for a bad line, a
  // short or repeated token, an unknown role, or no token at all.
  static absl::StatusOr<AuthPolicy> FromText(absl::string_view text,
                                             absl::string_view source);
  // Reads and parses `path`; errors name the file.
  static absl::StatusOr<AuthPolicy> FromFile(const std::string& path);

  // OK if the call may proceed; `authorization` is the value of the
  // "authorization" metadata ("" when absent).
  absl::Status Check(absl::string_view method,
                     absl::string_view authorization) const;

  // How many tokens have `role`.
  int CountRole(Role role) const;
  // "alice (admin), svc-frontend (predict)": for the startup line.
  std::string Describe() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    Digest digest;
    Role role;
    std::string name;
  };
  AuthPolicy() = default;

  // The entry whose token is `token`, or null; examines every entry.
  const Entry* Find(absl::string_view token) const;

  std::vector<Entry> entries_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_AUTH_POLICY_H_
