// Output formatting for the `profundo` CLI: plain-text tables, the short
// forms of enums, sizes, shapes and times, and the error line and exit code
// for a failed command. Pure functions returning strings, so tests compare
// exact text.
//
// Stateless; thread-safe.
//
// Example:
//   Table t({"ID", "NAME", "ROWS"});
//   t.SetRightAligned(2);
//   t.AddRow({"ds-1", "fashion", "60000"});
//   std::cout << t.Render();
//   // ID    NAME     ROWS
//   // ds-1  fashion  60000
#ifndef PROFUNDO_CLIENT_CLI_OUTPUT_H_
#define PROFUNDO_CLIENT_CLI_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "profundo/v1/service.pb.h"

namespace profundo::cli {

// A text table: a header row, then rows, columns separated by two spaces
// and padded to the widest cell (no trailing spaces). A value type.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Pads column `column` on the left (for numbers).
  void SetRightAligned(size_t column);
  // Missing cells are empty; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // The header and rows, each line ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "IDX", "CSV", "NPY" ("?" for unspecified).
std::string FormatName(v1::DataFormat format);
// "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED".
std::string JobStateName(v1::JobState state);
// "vanishing_gradients", "dead_relu", ... ("?" for unspecified).
std::string HealthIssueName(v1::HealthIssue issue);
// "TRAINING", "READY", "FAILED".
std::string VersionStateName(v1::ModelVersionState state);
// Parses a JobStateName, case-insensitive; INVALID_ARGUMENT otherwise.
absl::Status ParseJobState(const std::string& text, v1::JobState* state);

// 1536 -> "1.5 KiB", 512 -> "512 B", 31457280 -> "30.0 MiB".
std::string FormatBytes(int64_t bytes);
// [28, 28] -> "28x28"; [] -> "scalar".
std::string FormatShape(
    const google::protobuf::RepeatedField<int64_t>& shape);
// UTC "2026-11-27 01:53:24"; "-" when unset (zero).
std::string FormatTimestamp(const google::protobuf::Timestamp& t);

// The stderr line for a failed command: "profundo: NOT_FOUND: <message>".
std::string FormatError(const absl::Status& status);

// Process exit codes, one per category of failure:
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,          // anything else (INTERNAL, UNKNOWN, ...)
  kExitUsage = 2,          // INVALID_ARGUMENT, OUT_OF_RANGE: bad input
  kExitNotFound = 3,       // NOT_FOUND
  kExitConflict = 4,       // ALREADY_EXISTS, FAILED_PRECONDITION
  kExitExhausted = 5,      // RESOURCE_EXHAUSTED: quota or full queue
  kExitUnavailable = 6,    // UNAVAILABLE, DEADLINE_EXCEEDED: retry later
  kExitUnauthorized = 7,   // UNAUTHENTICATED, PERMISSION_DENIED
  kExitJobFailed = 8,      // a watched job ended FAILED (ABORTED)
  kExitJobCancelled = 9,   // a watched job ended CANCELLED (CANCELLED)
};
ExitCode ExitCodeFor(const absl::Status& status);

}  // namespace profundo::cli

#endif  // PROFUNDO_CLIENT_CLI_OUTPUT_H_
