#include "server/paging.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace profundo::server {

namespace {
constexpr absl::string_view kTokenPrefix = "after:";
}  // namespace

absl::StatusOr<Page> ParsePage(int32_t page_size, absl::string_view token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size must be >= 0");
  }
  Page page;
  page.size = page_size == 0 ? kDefaultPageSize
                             : std::min<int32_t>(page_size, kMaxPageSize);
  if (token.empty()) return page;
  std::string decoded;
  absl::string_view rest;
  if (!absl::WebSafeBase64Unescape(token, &decoded) ||
      !absl::ConsumePrefix(&(rest = decoded), kTokenPrefix) ||
      !absl::SimpleAtoi(rest, &page.after_seq) || page.after_seq < 0) {
    return absl::InvalidArgumentError(
        "page_token is not a token returned by this server");
  }
  return page;
}

std::string PageToken(int64_t seq) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, seq));
}

}  // namespace profundo::server
