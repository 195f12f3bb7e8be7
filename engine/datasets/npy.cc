#include "engine/datasets/npy.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/datasets/dataset.h"
#include "engine/status_macros.h"

namespace profundo {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DType {
  const char* descr;
  int size;
};
constexpr DType kDTypes[] = {
    {"<f4", 4}, {"<f8", 8}, {"|u1", 1}, {"<i4", 4}, {"<i8", 8}};

uint64_t LittleEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

float DecodeNpyValue(const unsigned char* p, const DType& t) {
  switch (t.descr[1]) {
    case 'u':
      return p[0];
    case 'i':
      return t.size == 4
                 ? static_cast<float>(static_cast<int32_t>(
                       static_cast<uint32_t>(LittleEndian(p, 4))))
                 : static_cast<float>(static_cast<int64_t>(LittleEndian(p, 8)));
    default: {  // 'f'
      if (t.size == 4) {
        const uint32_t bits = static_cast<uint32_t>(LittleEndian(p, 4));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
      }
      const uint64_t bits = LittleEndian(p, 8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return static_cast<float>(d);
    }
  }
}

absl::Status HeaderError(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("npy header: ", what));
}

// A value of the header's Python dict literal.
struct Value {
  enum Kind { kString, kBool, kTuple } kind = kString;
  std::string text;
  bool flag = false;
  std::vector<int64_t> ints;
};

// Parses the header dict, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view s) : s_(s) {}

  absl::StatusOr<std::map<std::string, Value>> Parse() {
    std::map<std::string, Value> dict;
    SkipSpace();
    if (!Eat('{')) return HeaderError("expected '{' at the start");
    while (true) {
      SkipSpace();
      if (Eat('}')) break;
      PROFUNDO_ASSIGN_OR_RETURN(std::string key, ParseString());
      SkipSpace();
      if (!Eat(':'))
        return HeaderError(absl::StrCat("expected ':' after '", key, "'"));
      SkipSpace();
      PROFUNDO_ASSIGN_OR_RETURN(Value v, ParseValue());
      if (!dict.emplace(key, std::move(v)).second) {
        return HeaderError(absl::StrCat("duplicate key '", key, "'"));
      }
      SkipSpace();
      if (Eat(',')) continue;
      SkipSpace();
      if (Eat('}')) break;
      return HeaderError("expected ',' or '}' in the dict");
    }
    SkipSpace();
    if (pos_ != s_.size()) return HeaderError("unexpected text after the dict");
    return dict;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' ||
                                s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool EatWord(std::string_view w) {
    if (s_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }

  absl::StatusOr<std::string> ParseString() {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) {
      return HeaderError("expected a quoted key or string");
    }
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos)
      return HeaderError("unterminated string");
    std::string out(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }

  absl::StatusOr<Value> ParseValue() {
    Value v;
    if (EatWord("True") || EatWord("False")) {
      v.kind = Value::kBool;
      v.flag = s_.substr(pos_ - 4, 4) == "True";
      return v;
    }
    if (Eat('(')) {
      v.kind = Value::kTuple;
      while (true) {
        SkipSpace();
        if (Eat(')')) return v;
        int64_t n = 0;
        const size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
          if (n > (int64_t{1} << 50)) return HeaderError("dimension too large");
          n = n * 10 + (s_[pos_++] - '0');
        }
        if (pos_ == start)
          return HeaderError("expected a dimension in 'shape'");
        // Python 2 writers append L to longs.
        Eat('L');
        v.ints.push_back(n);
        SkipSpace();
        if (Eat(',')) continue;
        if (Eat(')')) return v;
        return HeaderError("expected ',' or ')' in 'shape'");
      }
    }
    PROFUNDO_ASSIGN_OR_RETURN(v.text, ParseString());
    return v;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<Tensor> ParseNpy(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kMagicSize + 2 ||
      bytes.substr(0, kMagicSize) != std::string_view(kMagic, kMagicSize)) {
    return absl::InvalidArgumentError(
        "npy: bad magic: expected \\x93NUMPY at the start");
  }
  const int major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("npy: unsupported format version ", major, ".", minor,
                     " (expected 1.0, 2.0 or 3.0)"));
  }
  const size_t len_size = major == 1 ? 2 : 4;
  const size_t prefix = kMagicSize + 2 + len_size;
  if (bytes.size() < prefix) {
    return absl::InvalidArgumentError("npy: truncated header length");
  }
  const uint64_t header_len = LittleEndian(p + 8, static_cast<int>(len_size));
  if (header_len > bytes.size() - prefix) {
    return absl::InvalidArgumentError(
        absl::StrCat("npy: truncated header: ", header_len, " bytes declared, ",
                     bytes.size() - prefix, " present"));
  }
  PROFUNDO_ASSIGN_OR_RETURN(
      auto dict, HeaderParser(bytes.substr(prefix, header_len)).Parse());
  for (const char* key : {"descr", "fortran_order", "shape"}) {
    if (dict.count(key) == 0) {
      return HeaderError(absl::StrCat("missing key '", key, "'"));
    }
  }
  if (dict.size() != 3) {
    return HeaderError(
        "unexpected keys (expected only descr, fortran_order, shape)");
  }
  const Value& descr = dict["descr"];
  const Value& fortran = dict["fortran_order"];
  const Value& shape_value = dict["shape"];
  if (descr.kind != Value::kString || fortran.kind != Value::kBool ||
      shape_value.kind != Value::kTuple) {
    return HeaderError(
        "descr must be a string, fortran_order a bool, shape a tuple");
  }
  const DType* type = nullptr;
  for (const DType& t : kDTypes) {
    if (descr.text == t.descr) type = &t;
  }
  if (type == nullptr) {
    std::vector<const char*> names;
    for (const DType& t : kDTypes) names.push_back(t.descr);
    return absl::InvalidArgumentError(absl::StrCat(
        "npy: dtype '", descr.text, "' is not supported",
        !descr.text.empty() && descr.text[0] == '>' ? " (big-endian)" : "",
        "; expected one of ", absl::StrJoin(names, ", ")));
  }
  if (fortran.flag) {
    return absl::InvalidArgumentError(
        "npy: fortran_order True is not supported; save a C-order array "
        "(numpy.ascontiguousarray)");
  }
  const Shape shape(shape_value.ints.begin(), shape_value.ints.end());
  // Element count, bounded by the data present (no overflow: every
  // dimension is < 2^51 and the running product stays <= available).
  const uint64_t available = bytes.size() - prefix - header_len;
  const uint64_t max_elements = available / type->size;
  uint64_t count = 1;
  for (int64_t d : shape) count = d == 0 ? 0 : count;
  for (size_t i = 0; i < shape.size() && count != 0; ++i) {
    const uint64_t dim = static_cast<uint64_t>(shape[i]);
    if (count > max_elements / dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("npy: truncated data: shape ", ShapeToString(shape),
                       " of ", type->descr, " needs more than the ", available,
                       " bytes after the header"));
    }
    count *= dim;
  }
  if (count * type->size != available) {
    return absl::InvalidArgumentError(absl::StrCat(
        "npy: ", available - count * type->size, " trailing bytes after the ",
        ShapeToString(shape), " ", type->descr, " data"));
  }
  Tensor t(shape);
  const unsigned char* src = p + prefix + header_len;
  float* dst = t.data();
  for (uint64_t i = 0; i < count; ++i) {
    dst[i] = DecodeNpyValue(src + i * type->size, *type);
  }
  PROFUNDO_RETURN_IF_ERROR(CheckFinite(t, "npy data"));
  return t;
}

}  // namespace profundo
