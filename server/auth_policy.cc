#include "server/auth_policy.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "openssl/crypto.h"
#include "openssl/evp.h"
#include "engine/status_macros.h"
#include "server/env.h"

namespace profundo::server {
namespace {

struct MethodAccess {
  const char* method;
  Access access;
};

// The one access table. Add every new RPC here (auth_policy_test fails
// until it is listed); unlisted methods are denied to every token.
constexpr MethodAccess kAccessTable[] = {
    // Probes and tooling: no token.
    {"/grpc.health.v1.Health/Check", Access::kPublic},
    {"/grpc.health.v1.Health/Watch", Access::kPublic},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
     Access::kPublic},
    {"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
     Access::kPublic},
    // Read-only and prediction: roles predict and admin.
    {"/profundo.v1.Profundo/GetDataset", Access::kPredict},
    {"/profundo.v1.Profundo/ListDatasets", Access::kPredict},
    {"/profundo.v1.Profundo/ValidateModel", Access::kPredict},
    {"/profundo.v1.Profundo/ListModels", Access::kPredict},
    {"/profundo.v1.Profundo/GetModel", Access::kPredict},
    {"/profundo.v1.Profundo/GetJob", Access::kPredict},
    {"/profundo.v1.Profundo/ListJobs", Access::kPredict},
    {"/profundo.v1.Profundo/WatchJob", Access::kPredict},
    {"/profundo.v1.Profundo/Predict", Access::kPredict},
    // Mutating: admin only.
    {"/profundo.v1.Profundo/UploadDataset", Access::kAdmin},
    {"/profundo.v1.Profundo/DeleteDataset", Access::kAdmin},
    {"/profundo.v1.Profundo/SubmitJob", Access::kAdmin},
    {"/profundo.v1.Profundo/CancelJob", Access::kAdmin},
};

const MethodAccess* Lookup(absl::string_view method) {
  for (const MethodAccess& entry : kAccessTable) {
    if (method == entry.method) return &entry;
  }
  return nullptr;
}

// "SubmitJob" of "/profundo.v1.Profundo/SubmitJob".
absl::string_view ShortName(absl::string_view method) {
  const size_t slash = method.rfind('/');
  return slash == absl::string_view::npos ? method : method.substr(slash + 1);
}

}  // namespace

const char* RoleName(Role role) {
  return role == Role::kAdmin ? "admin" : "predict";
}

Access AccessOf(absl::string_view method) {
  const MethodAccess* entry = Lookup(method);
  return entry == nullptr ? Access::kNobody : entry->access;
}

absl::Status CheckHealthOnly(absl::string_view method) {
  if (absl::StartsWith(method, "/grpc.health.v1.Health/")) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "this port (--health_listen) serves only grpc.health.v1, not ",
      ShortName(method), "; the API is on --listen"));
}

absl::StatusOr<AuthPolicy> AuthPolicy::FromText(absl::string_view text,
                                                absl::string_view source) {
  AuthPolicy policy;
  std::vector<int> lines;  // the line of each entry, for duplicate errors
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat(source, ":", line_number, ": ");
    if (fields.size() < 2 || fields.size() > 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "expected '<token> <role> [name]', got ", fields.size(),
          " field(s)"));
    }
    Entry entry;
    if (fields[1] == "admin") {
      entry.role = Role::kAdmin;
    } else if (fields[1] == "predict") {
      entry.role = Role::kPredict;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "unknown role '", fields[1], "' (admin or predict)"));
    }
    if (fields[0].size() < kMinTokenLength) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "token shorter than ", kMinTokenLength,
                       " characters (use e.g. 'openssl rand -hex 32')"));
    }
    unsigned int size = 0;
    if (EVP_Digest(fields[0].data(), fields[0].size(), entry.digest.data(),
                   &size, EVP_sha256(), nullptr) != 1 ||
        size != entry.digest.size()) {
      return absl::InternalError(absl::StrCat(where, "SHA-256 failed"));
    }
    for (size_t i = 0; i < policy.entries_.size(); ++i) {
      if (policy.entries_[i].digest == entry.digest) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "the same token as line ", lines[i]));
      }
    }
    entry.name = fields.size() == 3 ? std::string(fields[2])
                                    : absl::StrCat("line ", line_number);
    policy.entries_.push_back(std::move(entry));
    lines.push_back(line_number);
  }
  if (policy.entries_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no tokens (expected '<token> <role> [name]' "
                             "lines)"));
  }
  return policy;
}

absl::StatusOr<AuthPolicy> AuthPolicy::FromFile(const std::string& path) {
  // Env's errors name the path: "open /x: No such file or directory".
  PROFUNDO_ASSIGN_OR_RETURN(const std::string text,
                            Env::Default()->ReadFile(path));
  return FromText(text, path);
}

const AuthPolicy::Entry* AuthPolicy::Find(absl::string_view token) const {
  Digest digest;
  unsigned int size = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &size,
                 EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    return nullptr;
  }
  // Every entry is compared, whatever matches, in constant time each.
  const Entry* found = nullptr;
  for (const Entry& entry : entries_) {
    if (CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0) {
      found = &entry;
    }
  }
  return found;
}

absl::Status AuthPolicy::Check(absl::string_view method,
                               absl::string_view authorization) const {
  const Access access = AccessOf(method);
  if (access == Access::kPublic) return absl::OkStatus();
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "missing bearer token: send the metadata 'authorization: Bearer "
        "<token>' (profundo --token or $PROFUNDO_TOKEN)");
  }
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return absl::UnauthenticatedError(
        "the authorization metadata must be 'Bearer <token>'");
  }
  const Entry* entry = Find(
      absl::StripAsciiWhitespace(authorization.substr(kScheme.size())));
  if (entry == nullptr) return absl::UnauthenticatedError("invalid bearer token");
  if (access == Access::kNobody) {
    return absl::PermissionDeniedError(
        absl::StrCat(ShortName(method), " is not in the access table"));
  }
  if (access == Access::kAdmin && entry->role != Role::kAdmin) {
    return absl::PermissionDeniedError(absl::StrCat(
        "token '", entry->name, "' has role ", RoleName(entry->role),
        ", which may not call ", ShortName(method), " (admin only)"));
  }
  return absl::OkStatus();
}

int AuthPolicy::CountRole(Role role) const {
  int count = 0;
  for (const Entry& entry : entries_) count += entry.role == role ? 1 : 0;
  return count;
}

std::string AuthPolicy::Describe() const {
  return absl::StrJoin(entries_, ", ", [](std::string* out, const Entry& e) {
    absl::StrAppend(out, e.name, " (", RoleName(e.role), ")");
  });
}

}  // namespace profundo::server
