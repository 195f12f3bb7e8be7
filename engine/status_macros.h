// Status propagation helpers. Abseil 20220623 ships no status macros, so the
// project writes its own, once, here.
//
// Example:
//   absl::StatusOr<Tensor> Load(...);
//   absl::Status Run() {
//     PROFUNDO_ASSIGN_OR_RETURN(Tensor t, Load(...));
//     PROFUNDO_RETURN_IF_ERROR(Check(t));
//     return absl::OkStatus();
//   }
#ifndef PROFUNDO_ENGINE_STATUS_MACROS_H_
#define PROFUNDO_ENGINE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PROFUNDO_RETURN_IF_ERROR(expr)                 \
  do {                                                 \
    ::absl::Status profundo_status_ = (expr);          \
    if (!profundo_status_.ok()) return profundo_status_; \
  } while (0)

#define PROFUNDO_STATUS_CONCAT_INNER_(a, b) a##b
#define PROFUNDO_STATUS_CONCAT_(a, b) PROFUNDO_STATUS_CONCAT_INNER_(a, b)

#define PROFUNDO_ASSIGN_OR_RETURN(lhs, expr)                               \
  PROFUNDO_ASSIGN_OR_RETURN_IMPL_(                                         \
      PROFUNDO_STATUS_CONCAT_(profundo_statusor_, __LINE__), lhs, expr)

#define PROFUNDO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

#endif  // PROFUNDO_ENGINE_STATUS_MACROS_H_
