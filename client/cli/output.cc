#include "client/cli/output.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace profundo::cli {

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::SetRightAligned(size_t column) {
  if (column < right_.size()) right_[column] = true;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) width[c] = headers_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  std::string out;
  auto render_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      if (c > 0) line += "  ";
      line += right_[c] ? pad + cells[c] : cells[c] + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  };
  render_row(headers_);
  for (const auto& row : rows_) render_row(row);
  return out;
}

std::string FormatName(v1::DataFormat format) {
  switch (format) {
    case v1::DATA_FORMAT_IDX: return "IDX";
    case v1::DATA_FORMAT_CSV: return "CSV";
    case v1::DATA_FORMAT_NPY: return "NPY";
    default: return "?";
  }
}

std::string JobStateName(v1::JobState state) {
  const std::string& name = v1::JobState_Name(state);
  return name.size() > 10 ? name.substr(10) : name;  // drops "JOB_STATE_"
}

std::string HealthIssueName(v1::HealthIssue issue) {
  if (issue == v1::HEALTH_ISSUE_UNSPECIFIED) return "?";
  // Drops "HEALTH_ISSUE_".
  return absl::AsciiStrToLower(v1::HealthIssue_Name(issue).substr(13));
}

std::string VersionStateName(v1::ModelVersionState state) {
  const std::string& name = v1::ModelVersionState_Name(state);
  return name.size() > 20 ? name.substr(20) : name;  // "MODEL_VERSION_STATE_"
}

absl::Status ParseJobState(const std::string& text, v1::JobState* state) {
  if (v1::JobState_Parse("JOB_STATE_" + absl::AsciiStrToUpper(text), state) &&
      *state != v1::JOB_STATE_UNSPECIFIED) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--state: '", text,
      "' is not one of queued, running, succeeded, failed, cancelled"));
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, units[unit]);
}

std::string FormatShape(
    const google::protobuf::RepeatedField<int64_t>& shape) {
  if (shape.empty()) return "scalar";
  return absl::StrJoin(shape, "x");
}

std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string FormatError(const absl::Status& status) {
  return absl::StrCat("profundo: ", absl::StatusCodeToString(status.code()),
                      ": ", status.message());
}

ExitCode ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return kExitUsage;
    case absl::StatusCode::kNotFound: return kExitNotFound;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition: return kExitConflict;
    case absl::StatusCode::kResourceExhausted: return kExitExhausted;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return kExitUnavailable;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied: return kExitUnauthorized;
    case absl::StatusCode::kAborted: return kExitJobFailed;
    case absl::StatusCode::kCancelled: return kExitJobCancelled;
    default: return kExitError;
  }
}

}  // namespace profundo::cli
