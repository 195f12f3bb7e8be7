// OpenMP wait policy of the server process (--omp_wait_policy).
//
// The training workers' oneDNN primitives run on libgomp teams. Between
// parallel regions libgomp's threads spin (OMP_WAIT_POLICY unset: about
// 300,000 spins before sleeping; "active": minutes). On a machine whose
// cores are shared -- with the gRPC and prediction threads, with other
// processes -- a spinning thread holds a core that the thread it waits for
// (or a prediction) needs. In one bench/load.py run at load average 12-19
// on 2 cores, the server with libgomp's default answered 8.0k Predict/s
// (p99 37 ms) and trained at 39 s per epoch; with "passive", 13.2k/s (p99
// 12 ms) at 2.2 s per epoch (README, "Performance (Predict RPC under
// load)"). On an idle machine passive costs training speed instead
// (bench/compare.py --omp_wait_policy), but a server shares its cores with
// the predictions it must keep fast, so it defaults to passive.
//
// libgomp reads OMP_WAIT_POLICY once, when it is loaded -- before main() --
// so setting it in main() is too late. profundo-server's main therefore
// re-executes itself (/proc/self/exe, same pid and arguments) once with the
// variable set, unless the environment already sets OMP_WAIT_POLICY or
// GOMP_SPINCOUNT: an operator's OpenMP settings win, as for any OpenMP
// program.
//
// Stateless functions; thread-safe except ReexecWithOmpWaitPolicy, which
// must run before the process starts threads.
#ifndef PROFUNDO_SERVER_OMP_WAIT_POLICY_H_
#define PROFUNDO_SERVER_OMP_WAIT_POLICY_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace profundo::server {

// --omp_wait_policy must be "passive", "active" or "" (libgomp's default:
// spin a while, then sleep).
absl::Status ValidateOmpWaitPolicy(absl::string_view policy);

// The value OMP_WAIT_POLICY must get before libgomp loads, or nullopt if
// nothing is to be done: `policy` is empty, or the environment already has
// OMP_WAIT_POLICY (`env_policy`) or GOMP_SPINCOUNT (`env_spincount`) set
// (nullptr = unset).
std::optional<std::string> OmpWaitPolicyToSet(absl::string_view policy,
                                              const char* env_policy,
                                              const char* env_spincount);

// The wait policy in effect, for the startup log: "passive", "libgomp's
// default", "active, GOMP_SPINCOUNT=1000", ...
std::string DescribeOmpWaitPolicy(const char* env_policy,
                                  const char* env_spincount);

// Sets OMP_WAIT_POLICY=`policy` and executes /proc/self/exe with `argv`.
// Returns only if that failed (the process then goes on with the policy it
// has).
absl::Status ReexecWithOmpWaitPolicy(const std::string& policy, char** argv);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_OMP_WAIT_POLICY_H_
