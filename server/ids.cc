#include "server/ids.h"

#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace profundo::server {

std::string NewId(absl::string_view prefix) {
  static std::mutex mu;
  static absl::BitGen* gen ABSL_GUARDED_BY(mu) = new absl::BitGen();
  uint64_t bits;
  {
    std::lock_guard<std::mutex> lock(mu);
    bits = absl::Uniform<uint64_t>(*gen);
  }
  return absl::StrCat(prefix, "-", absl::StrFormat("%016x", bits));
}

absl::Status ValidateClientId(absl::string_view id, absl::string_view field) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", absl::CHexEscape(id.substr(0, 80)), "\" ", why));
  };
  if (id.empty() || id.size() > 63) return bad("must have 1..63 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return bad("may only contain a-z, 0-9 and '-'");
  }
  if (id[0] == '-') return bad("must start with a letter or digit");
  return absl::OkStatus();
}

absl::Status ValidateName(absl::string_view name, absl::string_view field,
                          bool required) {
  if ((required && name.empty()) || name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must have ", required ? 1 : 0, "..", kMaxNameBytes,
        " bytes (got ", name.size(), ")"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s must not contain control characters (byte 0x%02x at offset %d)",
          field, c, i));
    }
  }
  return absl::OkStatus();
}

}  // namespace profundo::server
