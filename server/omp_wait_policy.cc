#include "server/omp_wait_policy.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace profundo::server {

absl::Status ValidateOmpWaitPolicy(absl::string_view policy) {
  if (policy.empty() || policy == "passive" || policy == "active") {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--omp_wait_policy must be passive, active or empty "
                   "(libgomp's default), not \"",
                   policy, "\""));
}

std::optional<std::string> OmpWaitPolicyToSet(absl::string_view policy,
                                              const char* env_policy,
                                              const char* env_spincount) {
  if (policy.empty() || env_policy != nullptr || env_spincount != nullptr) {
    return std::nullopt;
  }
  return std::string(policy);
}

std::string DescribeOmpWaitPolicy(const char* env_policy,
                                  const char* env_spincount) {
  std::string out = env_policy != nullptr && *env_policy != '\0'
                        ? std::string(env_policy)
                        : "libgomp's default";
  if (env_spincount != nullptr) {
    absl::StrAppend(&out, ", GOMP_SPINCOUNT=", env_spincount);
  }
  return out;
}

absl::Status ReexecWithOmpWaitPolicy(const std::string& policy, char** argv) {
  if (setenv("OMP_WAIT_POLICY", policy.c_str(), /*overwrite=*/1) != 0) {
    return absl::InternalError(
        absl::StrCat("setenv OMP_WAIT_POLICY: ", std::strerror(errno)));
  }
  execv("/proc/self/exe", argv);
  const int error = errno;
  unsetenv("OMP_WAIT_POLICY");  // it is not in effect
  return absl::InternalError(
      absl::StrCat("re-executing /proc/self/exe: ", std::strerror(error)));
}

}  // namespace profundo::server
