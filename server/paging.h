// Paging for the List RPCs: page_size defaults and caps, and opaque page
// tokens that carry the creation sequence number of the last item returned.
//
// Stateless; thread-safe.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(Page page, ParsePage(req.page_size(),
//                                                  req.page_token()));
//   rows = catalog->List(page.after_seq, page.size + 1);
//   response.set_next_page_token(TakePage(rows, page, [&](Row& r) {...}));
#ifndef PROFUNDO_SERVER_PAGING_H_
#define PROFUNDO_SERVER_PAGING_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace profundo::server {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

struct Page {
  int size = kDefaultPageSize;
  int64_t after_seq = 0;
};

// INVALID_ARGUMENT "page_size ..." / "page_token ..." when malformed.
absl::StatusOr<Page> ParsePage(int32_t page_size, absl::string_view token);

// The token that continues after the item with sequence number `seq`.
std::string PageToken(int64_t seq);

// Passes the first page.size of `rows` (fetched with limit page.size + 1;
// each has a `seq`) to `add` and returns the next page token, "" if none.
template <typename Row, typename Add>
std::string TakePage(std::vector<Row>& rows, const Page& page, Add add) {
  const size_t n = std::min(rows.size(), static_cast<size_t>(page.size));
  for (size_t i = 0; i < n; ++i) add(rows[i]);
  return rows.size() > n ? PageToken(rows[n - 1].seq) : std::string();
}

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_PAGING_H_
